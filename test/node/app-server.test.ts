// The one-port server (src/relay/app-server.ts) over HTTP and HTTPS: files with their caching and security
// headers, any Host header, /health, and the relay at /relay with its bounds.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { type AppServer, startAppServer } from '../../src/relay/app-server.ts';
import { CONTENT_SECURITY_POLICY, StaticSiteError } from '../../src/relay/static-files.ts';
import { makeCert, type TestCert } from './helpers/tls-cert.ts';
import { withTimeout } from './helpers/relay-client.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with any Host header (fetch does not let a test choose it). */
function request(server: AppServer, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<Reply>((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: server.port, path, method, headers, rejectUnauthorized: false },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { rejectUnauthorized: false });
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    }),
    10_000,
    `a WebSocket to ${url}`,
  );
}

describe('the one-port server over HTTPS', { timeout: 60_000 }, () => {
  let root: string;
  let cert: TestCert;
  let server: AppServer;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'gridnode-site-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'widget.js'), 'export {};');
    writeFileSync(join(root, 'widget-frame.html'), '<!doctype html><title>frame</title>');
    writeFileSync(join(root, 'assets', 'index-AbC123.js'), 'console.log(1);');
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(root, '.gridnode-serve-build'), 'stamp');
    cert = makeCert('gridnode.test');
    server = await startAppServer({
      host: '127.0.0.1',
      port: 0,
      root,
      tls: { cert: cert.cert, key: cert.key },
      relay: { maxFrameBytes: 1024 },
    });
  });
  after(async () => {
    await server?.close();
    cert?.remove();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the dashboard under any Host header, uncached, under a strict CSP', async () => {
    for (const host of ['gridnode.test', 'friends.example.org:8443', 'anything']) {
      const res = await request(server, '/', { host });
      assert.equal(res.status, 200, host);
      assert.equal(res.body, '<!doctype html><title>app</title>');
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
      assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['strict-transport-security'], 'max-age=31536000');
    }
  });

  it('lets any page frame the widget’s frame, and only that page', async () => {
    const frame = await request(server, '/widget-frame.html');
    assert.equal(frame.status, 200);
    assert.equal(frame.headers['x-frame-options'], undefined);
    assert.match(String(frame.headers['content-security-policy']), /frame-ancestors \*/);
    assert.match(String(frame.headers['content-security-policy']), /script-src 'self'(;|$)/);
    assert.equal(frame.headers['cache-control'], 'no-cache');
    const page = await request(server, '/');
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
  });

  it('caches hashed assets for good, revalidates widget.js, and answers 304 to a matching ETag', async () => {
    const asset = await request(server, '/assets/index-AbC123.js');
    assert.equal(asset.status, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(asset.headers['content-type'], 'text/javascript; charset=utf-8');
    const widget = await request(server, '/widget.js');
    assert.equal(widget.headers['cache-control'], 'no-cache');
    // Other sites embed the widget: its scripts are readable cross-origin.
    assert.equal(widget.headers['access-control-allow-origin'], '*');
    assert.equal(widget.headers['cross-origin-resource-policy'], 'cross-origin');
    const again = await request(server, '/widget.js', { 'if-none-match': String(widget.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    assert.equal((await request(server, '/favicon.svg')).headers['content-type'], 'image/svg+xml');
  });

  it('serves only the files it loaded: no dot files, no paths outside, no methods but GET and HEAD', async () => {
    for (const path of [
      '/.gridnode-serve-build',
      '/../package.json',
      '/%2e%2e/etc/passwd',
      '/nope',
      '/assets',
    ]) {
      assert.equal((await request(server, path)).status, 404, path);
    }
    const post = await request(server, '/', {}, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const head = await request(server, '/', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  it('keeps /health, and takes WebSocket upgrades at /relay only', async () => {
    const health = JSON.parse((await request(server, '/health', { host: 'x' })).body) as Record<
      string,
      unknown
    >;
    assert.equal(health.ok, true);
    assert.equal(server.relay.url, `wss://127.0.0.1:${server.port}/relay`);
    assert.equal((await request(server, '/relay')).status, 426);
    await assert.rejects(openSocket(`wss://127.0.0.1:${server.port}/elsewhere`), /404/);
  });

  it('relays at /relay with its bounds: delivery, then an oversized frame closes the connection', async () => {
    const url = `wss://127.0.0.1:${server.port}/relay`;
    const [alice, bob] = [await openSocket(url), await openSocket(url)];
    const next = (ws: WebSocket) =>
      withTimeout(new Promise<string>((r) => ws.once('message', (d) => r(d.toString()))), 10_000, 'a frame');
    bob.send(JSON.stringify({ type: 'subscribe', topics: ['t'] }));
    bob.send(JSON.stringify({ type: 'ping' }));
    assert.equal(await next(bob), '{"type":"pong"}');
    alice.send(JSON.stringify({ type: 'publish', topic: 't', data: 'hi' }));
    assert.deepEqual(JSON.parse(await next(bob)), { type: 'publish', topic: 't', data: 'hi' });
    const closed = new Promise<number>((r) => alice.once('close', (code) => r(code)));
    alice.send('x'.repeat(2048));
    assert.equal(await withTimeout(closed, 10_000, 'the close'), 1009);
    assert.equal(server.relay.health().dropped['frame-too-large'], 1);
    bob.close();
  });

  it('refuses to start on a folder that is not a build', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gridnode-empty-'));
    try {
      await assert.rejects(startAppServer({ host: '127.0.0.1', port: 0, root: empty }), StaticSiteError);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
