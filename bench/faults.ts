/**
 * `npm run bench:faults -- --nodes N --links K --seed S [--only loss,churn,kill] [--start settled|cold]
 *   [--trees planted|grafted] [--publishers P] [--churn-ms W]`
 *
 * Eager push trees under faults, on the simulator (a random overlay of N nodes with about K links, 50 ms
 * a hop, refresh every 10 minutes so that a refresh interval can be simulated). First the trees: with
 * `--start cold` every node publishes its first version on the overlay (N² · K refs); with `settled`
 * (the default, as `bench:sim`) every node restores everyone's announcement, and then either every
 * origin's tree is planted as a grid that has run a while has it (`--trees planted`, the default;
 * test/sim/trees.ts) or P publishers (default all N, else a random sample) publish a first version, which
 * builds their trees by GRAFT (`grafted`: at 10,000 nodes and P = N that is a cold start's cost, hours).
 * P publishers (default all N) then make the new versions of loss and kill:
 *  - loss:  1 % of messages are lost, and every publisher publishes a new version;
 *  - churn: during one refresh interval, 10 % of the nodes crash at random moments and come back a minute
 *           later with their tables (a reload), announcing anew, while every node refreshes as usual;
 *           `--churn-ms W` churns at that rate for W ms only (the settled start's refreshes come at the
 *           end of the interval, so a short window has none);
 *  - kill:  50 % of the nodes are killed at once, and every surviving publisher publishes a new version.
 * At 10,000 nodes, loss and kill take `--publishers 100`: all 10,000 publishing anew is a refresh wave
 * (10^8 deliveries) per fault. Churn for a whole interval has every node refresh whatever P is: at
 * 10,000 nodes 1 h 45 min and 14.7 GB, so `--churn-ms 180000` measures the same rate in 24 minutes.
 * For each: `msToFull`, the simulated time (from the last fault) until every live node holds every live
 * origin's newest announcement — within the largest connected part of the overlay, since nodes left
 * without links cannot hear anything — and `copiesPerNode`, the payload copies each live node received per
 * announcement made during the run. Prints one JSON line.
 */
import { MessageType, decodeMessage } from '../src/core/index.ts';
import { Simulation } from '../test/sim/network.ts';
import { plantTrees } from '../test/sim/trees.ts';
import { Memory, round, startOption } from './spread.ts';

/** What follows `--name` (undefined if it is last), or `fallback` without `--name`. */
function word(name: string, fallback: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
/** The number after `--name`, or `fallback`. */
function arg(name: string, fallback: number): number {
  const value = Number(word(name, String(fallback)) ?? Number.NaN);
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  return value;
}
// `--only loss,kill`: the runs named, in the usual order.
const only = (word('only', 'loss,churn,kill') ?? '').split(',');
for (const name of only)
  if (name !== 'loss' && name !== 'churn' && name !== 'kill') throw new Error(`--only: no run ${name}`);
const nodes = arg('nodes', 100);
const links = arg('links', 8);
const seed = arg('seed', 1);
const start = startOption();
const publisherCount = Math.min(nodes, arg('publishers', nodes));
const trees = word('trees', 'planted');
if (trees !== 'planted' && trees !== 'grafted') throw new Error('--trees is planted or grafted');
if (start === 'cold' && publisherCount < nodes) throw new Error('--publishers needs --start settled');
const config = { refreshIntervalMs: 10 * 60_000, expireAfterMs: 35 * 60_000, forgetAfterMs: 60 * 60_000 };
// How long churn lasts (default one refresh interval); at 10,000 nodes a whole interval holds 10,000
// refreshes, 10^8 deliveries, so a shorter window measures the same churn rate without the refresh wave.
const churnMs = arg('churn-ms', config.refreshIntervalMs);
if (churnMs < 60_000 || churnMs > config.refreshIntervalMs)
  throw new Error('--churn-ms is between 60000 and one refresh interval');
const started = performance.now();
const memory = new Memory();

/**
 * A grid whose publishers' trees are built, and the publishers (all nodes, or a sample drawn from the
 * seed, in index order).
 */
function bootstrap(): { sim: Simulation; publishers: number[] } {
  // The previous run's grid is garbage by now (its run's call has returned), but V8 counts little of it
  // (its tables are typed arrays) and would build the next one beside it: two 10,000-node grids do not
  // fit in 24 GB.
  (globalThis as { gc?: () => void }).gc?.();
  // With the grid's revocation set, as a browser node has (its messages share the link).
  const sim = new Simulation({ nodes, seed, latencyMs: 50, jitterMs: 10, config, revocations: true });
  const services = { storage: {} };
  let publishers: number[];
  if (start === 'cold') {
    sim.randomOverlay(links);
    for (const n of sim.nodes) sim.at(sim.random.next() * 1000, () => sim.setServices(n.index, services));
    publishers = sim.nodes.map((n) => n.index);
  } else {
    sim.startSettled(links, services);
    if (trees === 'planted') plantTrees(sim);
    const chosen = new Set<number>();
    while (chosen.size < publisherCount) chosen.add(Math.floor(sim.random.next() * nodes));
    publishers = [...chosen].sort((a, b) => a - b);
    // Their first versions build their trees (no tree is persisted).
    if (trees === 'grafted')
      for (const i of publishers) sim.at(sim.random.next() * 1000, () => sim.publish(i, 'warm-up'));
  }
  memory.runUntil(sim, 60_000);
  return { sim, publishers };
}

/** The live nodes reachable from the best-linked live node. */
function mainPart(sim: Simulation): number[] {
  const live = sim.live();
  if (live.length === 0) return [];
  let start = live[0]!.index;
  for (const n of live) if (sim.degree(n.index) > sim.degree(start)) start = n.index;
  const seen = new Set([start]);
  const todo = [start];
  while (todo.length > 0)
    for (const p of sim.neighbours(todo.pop()!)) if (!seen.has(p) && (seen.add(p), true)) todo.push(p);
  return [...seen];
}

/**
 * Whether every node of `part` holds the own newest announcement of every origin of `origins` (default:
 * every origin of `part`); `Simulation.holds` reads each table in one pass when the origins are many.
 */
function full(sim: Simulation, part: readonly number[], origins: readonly number[] = part): boolean {
  const newest = origins.map((i) => {
    const key = sim.nodes[i]!.signer.publicKey;
    return [key, sim.nodes[i]!.node.heldHash(key)] as const;
  });
  if (newest.some(([, hash]) => !hash)) return false;
  // A pass costs the whole table (about one entry per node of the part), so only for many origins.
  const wanted = newest.length * 8 >= part.length ? new Set(newest.map(([, hash]) => hash)) : undefined;
  return part.every((i) => sim.holds(i, newest, wanted));
}

/** Counts payload copies delivered, and announcements made (and by whom), from now on. */
function counting(sim: Simulation) {
  const c = { copies: 0, announcements: 0, announced: new Set<number>() };
  sim.onDeliver = ({ bytes }) => {
    if (bytes[0] !== MessageType.Announce && bytes[0] !== MessageType.Push) return;
    const m = decodeMessage(bytes, 1 << 20);
    if (m.ok && 'envelopes' in m.value) c.copies += m.value.envelopes.length;
  };
  sim.onOutput = (node, out) => {
    if (out.type !== 'announce-needed') return;
    c.announcements++;
    c.announced.add(node);
  };
  return c;
}

/**
 * Runs until `part` is full (checked every 2 s), at most `maxMs`; the time it took, or null. Every 2 s
 * only the origins that announced since the fault are checked (at 10,000 nodes a full check is 10^8
 * lookups); the others' announcements are the ones every node held before, and a full check confirms.
 */
function untilFull(
  sim: Simulation,
  part: () => number[],
  announced: ReadonlySet<number>,
  maxMs: number,
): number | null {
  const t0 = sim.now;
  while (sim.now - t0 <= maxMs) {
    const nodes = part();
    const changed = nodes.filter((i) => announced.has(i));
    if (full(sim, nodes, changed) && full(sim, nodes)) return sim.now - t0;
    memory.runUntil(sim, sim.now + 2_000);
  }
  return null;
}

type Figures = ReturnType<typeof result>;

function result(run: string, sim: Simulation, c: ReturnType<typeof counting>, msToFull: number | null) {
  sim.onDeliver = undefined;
  sim.onOutput = undefined;
  const live = sim.live().length;
  const figures = {
    msToFull,
    copiesPerNode: round(c.copies / Math.max(1, live * c.announcements), 3),
    announcements: c.announcements,
    live,
    mainPart: mainPart(sim).length,
    messagesLost: sim.messagesLost,
  };
  // Each run's figures as soon as they are known: a long run that dies later keeps them.
  process.stderr.write(`[faults] ${run} ${JSON.stringify(figures)}\n`);
  return figures;
}

const out: Record<string, unknown> = {
  nodes,
  links,
  seed,
  start,
  publishers: publisherCount,
  trees: start === 'cold' ? 'grafted' : trees,
  sharedEnvelopes: true,
};

// Each run is a function of its own: a grid held by a const of the module's top level stays in that
// frame's registers after its block ends (a heap snapshot showed the loss run's grid retained by the
// stack while the kill run built its own, 23.9 GB at 10,000 nodes), and a returned call frees it.

function lossRun(): Figures {
  const { sim, publishers } = bootstrap();
  sim.setLoss(0.01);
  const c = counting(sim);
  for (const i of publishers) sim.at(sim.now + sim.random.next() * 1000, () => sim.publish(i, 'after-loss'));
  sim.runFor(1000);
  return result(
    'loss',
    sim,
    c,
    untilFull(sim, () => mainPart(sim), c.announced, 20 * 60_000),
  );
}

function churnRun(): Figures & { churnMs: number; churners: number } {
  const { sim } = bootstrap();
  const c = counting(sim);
  const start = sim.now;
  const churners = new Set<number>();
  // 10 % of the nodes per refresh interval, pro rata for a window of `churnMs`.
  const count = Math.round((nodes / 10) * (churnMs / config.refreshIntervalMs));
  while (churners.size < count) churners.add(Math.floor(sim.random.next() * nodes));
  let lastBack = start;
  for (const i of churners) {
    const at = start + Math.floor(sim.random.next() * (churnMs - 60_000));
    lastBack = Math.max(lastBack, at + 60_000);
    sim.at(at, () => {
      const peers = sim.crash(i);
      sim.at(sim.now + 60_000, () => {
        sim.restart(i, peers, sim.nodes[i]!.node.seqnum);
        sim.announce(i);
        c.announcements++;
        c.announced.add(i);
      });
    });
  }
  memory.runUntil(sim, lastBack + 1, 10_000);
  const figures = result(
    'churn',
    sim,
    c,
    untilFull(sim, () => mainPart(sim), c.announced, 20 * 60_000),
  );
  return { churnMs, churners: churners.size, ...figures };
}

function killRun(): Figures {
  const { sim, publishers } = bootstrap();
  const c = counting(sim);
  for (const n of sim.nodes) if (sim.random.next() < 0.5) sim.crash(n.index);
  for (const i of publishers)
    if (sim.nodes[i]!.alive) sim.at(sim.now + sim.random.next() * 1000, () => sim.publish(i, 'after-kill'));
  sim.runFor(1000);
  return result(
    'kill',
    sim,
    c,
    untilFull(sim, () => mainPart(sim), c.announced, 20 * 60_000),
  );
}

if (only.includes('loss')) out.loss = lossRun();
if (only.includes('churn')) out.churn = churnRun();
if (only.includes('kill')) out.kill = killRun();

out.peakRssMiB = memory.peakMiB;
out.wallMs = Math.round(performance.now() - started);
console.log(JSON.stringify(out));
