// Usage: node --import tsx src/relay/cli.ts [--host 127.0.0.1] [--port 8787]   (RELAY_PORT sets the default port)
import { parseArgs } from 'node:util';
import { relayDefaults, startRelay } from './relay.ts';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new Error(`invalid port: ${value}`);
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: relayDefaults.host },
      port: { type: 'string', default: process.env.RELAY_PORT ?? String(relayDefaults.port) },
    },
  });
  const relay = await startRelay({ host: values.host, port: parsePort(values.port) });
  console.log(`relay listening on ${relay.url}`);
  let stopping = false;
  const stop = (): void => {
    // A second signal while draining means the operator does not want to wait.
    if (stopping) process.exit(1);
    stopping = true;
    void relay.close().then(() => console.log('relay closed'));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
