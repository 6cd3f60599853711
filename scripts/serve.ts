/**
 * `npm run serve -- --host H --port P [--tls-cert FILE --tls-key FILE] [--nats nats://HOST:PORT]...`:
 * one process serves the built dashboard, widget.js and the relay (at /relay) on one port, over HTTPS and
 * WSS when given a certificate (src/relay/app-server.ts). `--dist DIR` serves (and builds into) another
 * folder than dist/; `--no-build` serves it as it is. Builds the app first when dist/ is missing or
 * older than its sources. The build leaves the page's default relay unset, so each page uses its own
 * origin's /relay. HOST and PORT set the defaults (127.0.0.1 and 8080).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'vite';
import { type AppServer, startAppServer } from '../src/relay/app-server.ts';
import { natsCluster } from '../src/relay/nats-cluster.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
// Written after a build by this script; a build by anyone else (`npm start` bakes its relay's address into
// the page) empties dist/ and so removes it.
const STAMP_NAME = '.gridnode-serve-build';
const INPUTS = ['index.html', 'vite.config.ts', 'package-lock.json', 'src', 'public'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function stale(dist: string): boolean {
  const stamp = join(dist, STAMP_NAME);
  if (!existsSync(stamp) || !existsSync(join(dist, 'index.html'))) return true;
  const built = statSync(stamp).mtimeMs;
  return INPUTS.some((input) => newestMtime(join(root, input)) > built);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new Error(`invalid port: ${value}`);
  return port;
}

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.PORT ?? '8080' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    nats: { type: 'string', multiple: true, default: [] },
    // Where the build lives (tests use a temporary folder).
    dist: { type: 'string', default: join(root, 'dist') },
    'no-build': { type: 'boolean', default: false },
  },
});
const certFile = values['tls-cert'];
const keyFile = values['tls-key'];
if ((certFile === undefined) !== (keyFile === undefined)) {
  console.error('--tls-cert and --tls-key go together');
  process.exit(2);
}

// Registered before anything slow, so a signal during the build or start-up also stops the process
// cleanly instead of killing it halfway.
let server: AppServer | undefined;
let stopping = false;
function shutdown(): void {
  if (stopping) process.exit(1);
  stopping = true;
  void (server?.close() ?? Promise.resolve()).then(() => process.exit(0));
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

const dist = values.dist;
if (!values['no-build'] && stale(dist)) {
  console.log(`building the app into ${dist} …`);
  delete process.env.VITE_RELAY_URL;
  await build({ root, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
  writeFileSync(join(dist, STAMP_NAME), `${new Date().toISOString()}\n`);
}

server = await startAppServer({
  host: values.host,
  port: parsePort(values.port),
  root: dist,
  ...(certFile && keyFile ? { tls: { cert: readFileSync(certFile), key: readFileSync(keyFile) } } : {}),
  ...(values.nats.length > 0 ? { cluster: natsCluster({ servers: values.nats }) } : {}),
});
console.log(`serving ${server.url}  (relay: ${server.relay.url}, health: ${server.url}health)`);
