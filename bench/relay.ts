/**
 * `npm run bench:relay -- [--clients 2000] [--topic-size 10] [--publishes 2000] [--blast 5]`
 *
 * The signaling relay under load, first as one process, then as two processes joined through Debian's
 * nats-server (clients split evenly across them). Relays run as child processes (`src/relay/cli.ts`); this
 * process holds the WebSocket clients on loopback. Clients are grouped into topics of `--topic-size`, each
 * topic spread over the relays, so in the NATS run half of every delivery crosses NATS.
 *
 * Per run: connections held; memory per connection (the relay processes' RSS growth from start to holding
 * every client, over the clients); publish→deliver latency p50/p99 over `--publishes` publishes paced at
 * about 400/s (one timestamped publish, delivered to every member of its topic, sender included; both
 * ends on this process's clock); and throughput: every client publishes `--blast` frames back to back (within the
 * relay's rate limit burst), measured as deliveries and publishes per second until the last delivery.
 * Progress goes to stderr; stdout gets one JSON line. It stops by itself (each wait has a deadline).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { startNatsServer } from '../test/node/helpers/nats-server.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    'topic-size': { type: 'string', default: '10' },
    publishes: { type: 'string', default: '2000' },
    blast: { type: 'string', default: '5' },
  },
});
const CLIENTS = Number(values.clients);
const TOPIC_SIZE = Number(values['topic-size']);
const PUBLISHES = Number(values.publishes);
const BLAST = Number(values.blast);
const cli = fileURLToPath(new URL('../src/relay/cli.ts', import.meta.url));
const log = (text: string) => process.stderr.write(`${text}\n`);

interface RelayProcess {
  url: string;
  child: ChildProcess;
  rssBytes(): number;
}

async function startRelayProcess(nats?: string): Promise<RelayProcess> {
  // Every client of this benchmark comes from one loopback address: lift the per-address bounds.
  const perAddress = [
    '--max-connections-per-address',
    '100000',
    '--max-subscriptions-per-address',
    '100000',
    '--publish-bytes-per-address',
    String(1 << 30),
  ];
  const args = ['--import', 'tsx', cli, '--port', '0', ...perAddress, ...(nats ? ['--nats', nats] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('relay did not start')), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /relay listening on (ws:\/\/\S+)/.exec(out);
      if (match?.[1]) (clearTimeout(timer), resolve(match[1]));
    });
  });
  const rssBytes = () => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
  };
  return { url, child, rssBytes };
}

async function stopRelayProcess(relay: RelayProcess): Promise<void> {
  if (relay.child.exitCode !== null) return;
  const exited = once(relay.child, 'exit');
  relay.child.kill('SIGTERM');
  await exited;
}

interface Client {
  ws: WebSocket;
  topic: string;
  onFrame: (frame: Record<string, unknown>) => void;
}

async function connect(url: string, topic: string): Promise<Client> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const client: Client = { ws, topic, onFrame: () => {} };
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data) => client.onFrame(JSON.parse(data.toString()) as Record<string, unknown>));
  const subscribed = new Promise<void>((resolve) => (client.onFrame = (f) => f.type === 'pong' && resolve()));
  ws.send(JSON.stringify({ type: 'subscribe', topics: [topic] }));
  ws.send(JSON.stringify({ type: 'ping' }));
  await subscribed;
  client.onFrame = () => {};
  return client;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** Waits until `count()` reaches `target` or `ms` pass; returns whether it did. */
async function reach(count: () => number, target: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (count() < target) {
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

async function run(name: string, relays: RelayProcess[]) {
  await sleep(300);
  const rssBefore = relays.map((r) => r.rssBytes());
  const started = performance.now();
  const clients: Client[] = [];
  // In batches: a few hundred handshakes in flight at a time keeps loopback's accept queue happy.
  for (let i = 0; i < CLIENTS; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(CLIENTS, i + 200); j++)
      batch.push(connect(relays[j % relays.length]!.url, `topic-${Math.floor(j / TOPIC_SIZE)}`));
    clients.push(...(await Promise.all(batch)));
  }
  const connectMs = performance.now() - started;
  const byTopic = new Map<string, Client[]>();
  for (const c of clients) byTopic.set(c.topic, [...(byTopic.get(c.topic) ?? []), c]);
  const topics = [...byTopic.values()];

  let delivered = 0;
  const latencies: number[] = [];
  for (const c of clients)
    c.onFrame = (f) => {
      if (f.type !== 'publish') return;
      delivered++;
      const sentAt = (f.data as { at?: unknown } | undefined)?.at;
      if (typeof sentAt === 'number') latencies.push(performance.now() - sentAt);
    };

  // Warm-up: until a round of one publish per topic reaches every member (NATS subscriptions propagate
  // asynchronously), so the measurements below see a settled cluster.
  for (let attempt = 0; ; attempt++) {
    const target = delivered + topics.reduce((n, members) => n + members.length, 0);
    for (const members of topics)
      members[0]!.ws.send(JSON.stringify({ type: 'publish', topic: members[0]!.topic, data: 'warm' }));
    if (await reach(() => delivered, target, 5_000)) break;
    if (attempt === 5) throw new Error(`${name}: the relays never delivered a full round`);
    await sleep(500);
  }
  await sleep(200);
  const rssAfter = relays.map((r) => r.rssBytes());
  const memoryPerConnection =
    rssAfter.reduce((a, b) => a + b, 0) / CLIENTS - rssBefore.reduce((a, b) => a + b, 0) / CLIENTS;

  // Latency: paced publishes, one per 2.5 ms, rotating over topics and publishers.
  latencies.length = 0;
  let target = delivered;
  for (let i = 0; i < PUBLISHES; i++) {
    const members = topics[i % topics.length]!;
    const publisher = members[Math.floor(i / topics.length) % members.length]!;
    publisher.ws.send(
      JSON.stringify({ type: 'publish', topic: publisher.topic, data: { at: performance.now() } }),
    );
    target += members.length;
    if (i % 4 === 3) await sleep(10);
  }
  const latencyComplete = await reach(() => delivered, target, 30_000);
  const sorted = [...latencies].sort((a, b) => a - b);

  // Throughput: every client publishes BLAST frames at once.
  const blastStart = performance.now();
  const before = delivered;
  target = delivered + CLIENTS * BLAST * TOPIC_SIZE;
  for (let k = 0; k < BLAST; k++)
    for (const c of clients) c.ws.send(JSON.stringify({ type: 'publish', topic: c.topic, data: k }));
  const blastComplete = await reach(() => delivered, target, 60_000);
  const blastSeconds = (performance.now() - blastStart) / 1000;
  const blastDelivered = delivered - before;

  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.ws.once('close', () => resolve());
          c.ws.close();
        }),
    ),
  );
  const result = {
    relays: relays.length,
    connections: CLIENTS,
    topicSize: TOPIC_SIZE,
    connectMs: Math.round(connectMs),
    memoryPerConnectionBytes: Math.round(memoryPerConnection),
    latencyMs: {
      p50: round(quantile(sorted, 0.5)),
      p99: round(quantile(sorted, 0.99)),
      samples: sorted.length,
    },
    latencyRunComplete: latencyComplete,
    deliveriesPerSecond: Math.round(blastDelivered / blastSeconds),
    publishesPerSecond: Math.round(blastDelivered / TOPIC_SIZE / blastSeconds),
    throughputRunComplete: blastComplete,
  };
  log(`${name}: ${JSON.stringify(result)}`);
  return result;
}

const single = await startRelayProcess();
let one;
try {
  one = await run('one relay', [single]);
} finally {
  await stopRelayProcess(single);
}

const nats = await startNatsServer();
let two;
try {
  const pair = [await startRelayProcess(nats.url), await startRelayProcess(nats.url)];
  try {
    two = await run('two relays on NATS', pair);
  } finally {
    await Promise.all(pair.map(stopRelayProcess));
  }
} finally {
  await nats.stop();
}
console.log(JSON.stringify({ bench: 'relay', oneRelay: one, twoRelaysOnNats: two }));
