// Debian's coturn (package coturn, /usr/bin/turnserver) on a loopback port with one long-term credential,
// for tests of relay-only WebRTC links; reusable by a GridNode-level test (`iceServer` goes straight into
// an RTCIceServer list). `.ci/run` installs the package when it is missing.
//
// Relayed traffic: with --verbose coturn logs each allocation's usage ("usage: realm=<…>, username=<…>,
// rp=…, rb=…, sp=…, sb=…": packets and bytes received from and sent to the client) every few seconds and
// when the session closes; `relayedBytes()` reads the largest rb+sb seen per session from its log file.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpTcpPort } from './free-port.ts';

const CANDIDATES = ['/usr/bin/turnserver', '/usr/sbin/turnserver'];

export function turnServerPath(): string {
  const found = [process.env.TURNSERVER_PATH, ...CANDIDATES].find((p) => p && existsSync(p));
  if (!found) throw new Error(`turnserver not found (${CANDIDATES.join(', ')}): apt-get install coturn`);
  return found;
}

export interface TurnServer {
  port: number;
  iceServer: { urls: string; username: string; credential: string };
  /** Bytes coturn reports having relayed for clients (received plus sent), over all sessions so far. */
  relayedBytes(): number;
  log(): string;
  stop(): Promise<void>;
}

const USER = 'gridnode';
const PASSWORD = 'test-only-secret';

export async function startTurnServer(): Promise<TurnServer> {
  const port = await freeUdpTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'gridnode-turn-'));
  const logFile = join(dir, 'turn.log');
  const args = [
    ...['--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1', '-p', String(port)],
    // Loopback peers are refused by default (they usually mean an attack on the TURN host's services).
    '--allow-loopback-peers',
    ...['--lt-cred-mech', '--user', `${USER}:${PASSWORD}`, '--realm', 'gridnode'],
    ...['--no-cli', '-n', '--no-tls', '--no-dtls', '--no-multicast-peers'],
    ...['--min-port', '49152', '--max-port', '65535'],
    ...['--log-file', logFile, '--simple-log', '--no-stdout-log', '--verbose'],
    ...['--pidfile', join(dir, 'turn.pid'), '--userdb', join(dir, 'turn.db')],
  ];
  const child: ChildProcess = spawn(turnServerPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  // Ready once its UDP listener is up (coturn logs one line per listener it opens).
  const deadline = Date.now() + 10_000;
  while (!/IPv4\. UDP listener opened on\s*:\s*127\.0\.0\.1:\d+/.test(log())) {
    if (child.exitCode !== null)
      throw new Error(`turnserver exited (${child.exitCode}): ${stderr}\n${log()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`turnserver did not start: ${stderr}\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    iceServer: { urls: `turn:127.0.0.1:${port}?transport=udp`, username: USER, credential: PASSWORD },
    relayedBytes() {
      const perSession = new Map<string, number>();
      for (const match of log().matchAll(/session (\d+): usage: .*?rb=(\d+), sp=\d+, sb=(\d+)/g)) {
        const bytes = Number(match[2]) + Number(match[3]);
        perSession.set(match[1]!, Math.max(perSession.get(match[1]!) ?? 0, bytes));
      }
      return [...perSession.values()].reduce((a, b) => a + b, 0);
    },
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
