// Debian's nats-server (package nats-server, /usr/sbin/nats-server) on a loopback port, for the relay
// cluster tests and the relay benchmark. `.ci/run` installs the package when it is missing.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { freeTcpPort } from './free-port.ts';

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server'];

export function natsServerPath(): string {
  const found = [process.env.NATS_SERVER_PATH, ...CANDIDATES].find((p) => p && existsSync(p));
  if (!found)
    throw new Error(`nats-server not found (${CANDIDATES.join(', ')}): apt-get install nats-server`);
  return found;
}

export interface NatsServer {
  port: number;
  url: string;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function spawnServer(port: number): Promise<ChildProcess> {
  const child = spawn(natsServerPath(), ['-a', '127.0.0.1', '-p', String(port), '--no_advertise'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${log}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code}): ${log}`));
    });
  });
  child.stderr!.resume();
  return child;
}

async function end(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

export async function startNatsServer(): Promise<NatsServer> {
  const port = await freeTcpPort();
  let child = await spawnServer(port);
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    kill: () => end(child, 'SIGKILL'),
    async restart() {
      await end(child, 'SIGKILL');
      child = await spawnServer(port);
    },
    stop: () => end(child, 'SIGTERM'),
  };
}
