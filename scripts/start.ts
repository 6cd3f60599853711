/**
 * `npm start`: starts the signaling relay on loopback, builds the dashboard and serves it, and prints both
 * URLs. Ports come from PORT (default 5173) and RELAY_PORT (default 8787); HOST defaults to 127.0.0.1.
 */
import { build, preview } from 'vite';
import { startRelay } from '../src/relay/relay.ts';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 5173);
const relayPort = Number(process.env.RELAY_PORT ?? 8787);

const relay = await startRelay({ host, port: relayPort });
// The page's default relay is baked into the build (a page may still pick others with ?relay=).
process.env.VITE_RELAY_URL = relay.url;
// A trial build (src/trial-options.ts): it obeys ?config= and ?grid=, which a served build never does.
await build({ mode: 'trial', logLevel: 'warn' });
const server = await preview({ preview: { host, port, strictPort: true } });

console.log(`dashboard: http://${host}:${port}/`);
console.log(`relay:     ${relay.url}  (health: http://${host}:${relay.port}/health)`);

async function shutdown(): Promise<void> {
  await Promise.allSettled([relay.close(), server.close()]);
  process.exit(0);
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
