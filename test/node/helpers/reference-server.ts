// Runs y-webrtc's own signaling server (node_modules/y-webrtc/bin/server.js, unmodified) as a child process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from './protocol-suite.ts';
import { withTimeout } from './relay-client.ts';

// The package exports map hides bin/, so locate it next to the package's CommonJS entry point.
const serverScript = join(dirname(createRequire(import.meta.url).resolve('y-webrtc')), '../bin/server.js');
const preload = fileURLToPath(new URL('./loopback-listen.ts', import.meta.url));

export async function startReferenceServer(): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', preload, serverScript], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /LISTENING (\d+)/.exec(out);
        if (match?.[1]) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`reference server exited early (${code})`)));
    }),
    10_000,
    'the reference server to listen',
  ).catch((err: unknown) => {
    child.kill();
    throw err;
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill();
      await withTimeout(exited, 5_000, 'the reference server to exit');
    },
  };
}
