// One port for everything a deployment serves (`npm run serve`): the built dashboard and widget.js, the
// signaling relay's WebSocket at /relay, and /health. Over HTTPS and WSS when given a certificate, which
// browsers require of any name but localhost (Web Crypto and Web Locks exist only in secure contexts).
//
// Any Host header is served: the server has no idea which names point at it (a reverse proxy, a new DNS
// name), the app is the same under every name, and a page's relay is its own origin's /relay, so nothing
// the server sends depends on the name. Only GET and HEAD; only the files loaded at start (static-files.ts).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ClusterFactory } from './cluster.ts';
import type { RelayOptions } from './options.ts';
import { Relay } from './relay.ts';
import { type StaticFile, commonHeaders, loadStaticFiles } from './static-files.ts';

export const RELAY_PATH = '/relay';

export interface AppServerOptions {
  host: string;
  port: number;
  /** The built app (dist/). */
  root: string;
  /** PEM certificate chain and private key; without them the server speaks plain HTTP. */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** Relay settings (its bounds); host, port and path are the server's. */
  relay?: Partial<Omit<RelayOptions, 'host' | 'port' | 'path'>>;
  cluster?: ClusterFactory;
}

export interface AppServer {
  /** The page's address, e.g. https://127.0.0.1:8443/ (the name a browser uses may be any other). */
  url: string;
  port: number;
  relay: Relay;
  close(): Promise<void>;
}

export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const secure = options.tls !== undefined;
  const files = loadStaticFiles(options.root, secure);
  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key })
    : http.createServer();
  // Slow or idle clients must not hold sockets forever (the relay's own sockets are upgraded, not timed).
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const relay = Relay.attach(server, {
    ...options.relay,
    path: RELAY_PATH,
    ...(options.cluster ? { cluster: options.cluster } : {}),
  });
  server.on('request', (req, res) => respond(req, res, files, relay, secure));
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `${secure ? 'https' : 'http'}://${host}:${port}/`,
    port,
    relay,
    async close() {
      await relay.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function respond(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  files: Map<string, StaticFile>,
  relay: Relay,
  secure: boolean,
): void {
  const plain = (status: number, text: string, extra: Record<string, string> = {}): void => {
    res.writeHead(status, {
      ...commonHeaders(secure),
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      ...extra,
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return plain(405, 'method not allowed\n', { allow: 'GET, HEAD' });
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/health') {
    res.writeHead(200, {
      ...commonHeaders(secure),
      'content-type': 'application/json',
      'cache-control': 'no-store',
    });
    return void res.end(req.method === 'HEAD' ? undefined : JSON.stringify(relay.health()));
  }
  if (path === RELAY_PATH)
    return plain(426, 'this is the relay: connect with a WebSocket\n', { upgrade: 'websocket' });
  const file = files.get(path === '/' ? '/index.html' : path);
  if (!file) return plain(404, 'not found\n');
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, file.headers);
    return void res.end();
  }
  res.writeHead(200, { ...file.headers, 'content-length': String(file.body.length) });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}
