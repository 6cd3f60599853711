// Usage: node --import tsx src/relay/cli.ts [--host 127.0.0.1] [--port 8787] [--nats nats://HOST:PORT]...
//        [--max-connections-per-address N] [--max-subscriptions-per-address N]
//        [--publish-bytes-per-address N] (per second; the burst is four times it)
// RELAY_PORT sets the default port. The per-address bounds (options.ts) default to 32 and 256; a benchmark
// holding thousands of clients on loopback (one address) raises them. Each --nats names a server of one NATS cluster; with any, this relay
// shares its topics with every other relay started with the same servers (nats-cluster.ts).
import { parseArgs } from 'node:util';
import { natsCluster } from './nats-cluster.ts';
import { relayDefaults, startRelay } from './relay.ts';

function parseCount(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`invalid count: ${value}`);
  return Number(value);
}

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
      nats: { type: 'string', multiple: true, default: [] },
      'max-connections-per-address': { type: 'string' },
      'max-subscriptions-per-address': { type: 'string' },
      'publish-bytes-per-address': { type: 'string' },
    },
  });
  const cluster = values.nats.length > 0 ? natsCluster({ servers: values.nats }) : undefined;
  const addressBytes = parseCount(
    values['publish-bytes-per-address'],
    relayDefaults.publishBytesPerSecondPerAddress,
  );
  const relay = await startRelay({
    publishBytesPerSecondPerAddress: addressBytes,
    publishBytesBurstPerAddress: 4 * addressBytes,
    host: values.host,
    port: parsePort(values.port),
    maxConnectionsPerAddress: parseCount(
      values['max-connections-per-address'],
      relayDefaults.maxConnectionsPerAddress,
    ),
    maxSubscriptionsPerAddress: parseCount(
      values['max-subscriptions-per-address'],
      relayDefaults.maxSubscriptionsPerAddress,
    ),
    ...(cluster ? { cluster } : {}),
  });
  console.log(`relay listening on ${relay.url}${cluster ? ` (NATS: ${values.nats.join(', ')})` : ''}`);
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
