// `npm run serve` (scripts/serve.ts) as a process: builds a missing app, serves it with a certificate,
// rebuilds only when the sources are newer than the build, and stops on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { withTimeout } from './helpers/relay-client.ts';
import { type TestCert, makeCert } from './helpers/tls-cert.ts';

const script = fileURLToPath(new URL('../../scripts/serve.ts', import.meta.url));

function get(url: string): Promise<{ status: number; csp: unknown; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { rejectUnauthorized: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, csp: res.headers['content-security-policy'], body }),
        );
      })
      .on('error', reject);
  });
}

async function serve(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = once(child, 'exit');
  const url = await withTimeout(
    new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /serving (https:\/\/\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then(([code]) => reject(new Error(`serve exited (${code}): ${out}`)));
    }),
    120_000,
    'serve to listen',
  );
  return {
    url,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      assert.deepEqual(await withTimeout(exited, 10_000, 'serve to exit'), [0, null]);
    },
  };
}

describe('npm run serve', { timeout: 240_000 }, () => {
  let dist: string;
  let cert: TestCert;
  before(() => {
    dist = join(mkdtempSync(join(tmpdir(), 'gridnode-serve-cli-')), 'dist');
    cert = makeCert('gridnode.test');
  });
  after(() => {
    rmSync(join(dist, '..'), { recursive: true, force: true });
    cert.remove();
  });

  const args = () => ['--port', '0', '--dist', dist, '--tls-cert', cert.certFile, '--tls-key', cert.keyFile];

  it('builds a missing app, then serves it and its relay over https on one port', async () => {
    const server = await serve(args());
    try {
      assert.match(server.output(), /building the app/);
      assert.ok(existsSync(join(dist, 'widget.js')), 'the build has widget.js');
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
      assert.match(server.output(), /relay: wss:\/\/127\.0\.0\.1:\d+\/relay/);
      const page = await get(server.url);
      assert.equal(page.status, 200);
      assert.match(page.body, /<grid-app>/);
      assert.equal(typeof page.csp, 'string');
      assert.equal((await get(`${server.url}widget.js`)).status, 200);
      assert.equal(JSON.parse((await get(`${server.url}health`)).body).ok, true);
    } finally {
      await server.stop();
    }
  });

  it('does not rebuild a build that is newer than its sources', async () => {
    const server = await serve(args());
    try {
      assert.doesNotMatch(server.output(), /building the app/);
    } finally {
      await server.stop();
    }
  });

  it('refuses a certificate without its key', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--tls-cert', cert.certFile], {
      stdio: 'ignore',
    });
    assert.deepEqual(await withTimeout(once(child, 'exit'), 30_000, 'serve to exit'), [2, null]);
  });
});
