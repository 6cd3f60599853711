// Preloaded (node --import) into y-webrtc's reference server, which has no HOST setting and calls
// server.listen(PORT): pin it to loopback, and report the real port since it only logs the requested one.
import net from 'node:net';

type Listen = (this: net.Server, ...args: unknown[]) => net.Server;
const proto = net.Server.prototype as unknown as { listen: Listen };
const listen = proto.listen;

proto.listen = function (this: net.Server, ...args: unknown[]): net.Server {
  this.once('listening', () => {
    const address = this.address();
    if (address !== null && typeof address === 'object') process.stdout.write(`LISTENING ${address.port}\n`);
  });
  const [port, ...rest] = args;
  if (typeof port === 'number' || typeof port === 'string') {
    return listen.call(this, Number(port), '127.0.0.1', ...rest);
  }
  return listen.apply(this, args);
};
