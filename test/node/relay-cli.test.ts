import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { subscriber, withTimeout } from './helpers/relay-client.ts';

const cli = fileURLToPath(new URL('../../src/relay/cli.ts', import.meta.url));

function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const listening = withTimeout(
    new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const match = /relay listening on (ws:\/\/\S+)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then(([code]) => reject(new Error(`cli exited (${code}): ${stderr}`)));
    }),
    10_000,
    'the cli to listen',
  );
  return { child, listening, exited, output: () => ({ stdout, stderr }) };
}

describe('relay cli', { timeout: 30_000 }, () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`serves on the requested host and port 0, and exits 0 on ${signal}`, async () => {
      const proc = startCli(['--host', '127.0.0.1', '--port', '0']);
      try {
        const url = await proc.listening;
        assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+$/);
        const client = await subscriber(url, ['t']);
        proc.child.kill(signal);
        assert.equal((await withTimeout(client.closed, 5000, 'the relay to close the client')).code, 1001);
        assert.deepEqual(await withTimeout(proc.exited, 5000, 'the cli to exit'), [0, null]);
      } finally {
        proc.child.kill('SIGKILL');
      }
    });
  }

  it('takes its default port from RELAY_PORT and rejects a bad one', async () => {
    const good = startCli(['--host', '127.0.0.1'], { RELAY_PORT: '0' });
    try {
      assert.match(await good.listening, /^ws:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      good.child.kill('SIGTERM');
      await withTimeout(good.exited, 5000, 'the cli to exit');
    }
    const bad = startCli(['--host', '127.0.0.1'], { RELAY_PORT: 'eighty' });
    const [code] = await withTimeout(bad.exited, 10_000, 'the cli to reject the port');
    assert.equal(code, 1);
    assert.match(bad.output().stderr, /invalid port/);
    await assert.rejects(bad.listening);
  });
});
