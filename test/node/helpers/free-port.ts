// A free loopback port for a child process that cannot be told to pick one (nats-server, turnserver).
// Another process could take it between the check and the child's bind; on this machine that race has
// not been seen, and a child that cannot bind fails its start loudly.
import dgram from 'node:dgram';
import net from 'node:net';

export async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A port free for both UDP and TCP (TURN listens on both). */
export async function freeUdpTcpPort(): Promise<number> {
  for (;;) {
    const port = await freeTcpPort();
    const socket = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (ok) return port;
  }
}
