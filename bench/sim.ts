/**
 * `npm run bench:sim -- --nodes N --links K --seed S [--start settled|cold] [--latency MS] [--loss P]
 *   [--idle-minutes M] [--forget-nodes F] [--no-flood]`
 *
 * Builds a random overlay of N core nodes with about K links each and a grid where every node holds
 * every node's announcement, then measures one new announcement's spread and the quiet grid's cost. How
 * the grid gets there (`--start`):
 *  - `settled` (the default): as a grid that has run a while — every node announces, every node restores
 *    every other's announcement through `GossipNode.restore` (the IndexedDB path, every check of §3 run),
 *    then the links come up. No origin has a tree yet (trees are not persisted), so the measured origin
 *    first publishes a warm-up version, which builds its tree and is reported as `firstVersion`; the
 *    next one is measured. This is what shows dissemination at 10,000 nodes.
 *  - `cold`: every node publishes its first announcement at a random moment of the first second, on the
 *    links already up: N first versions spread at once by lazy push (N² · K IHAVE refs), which is the
 *    start-up of a whole grid at once and, at 10,000 nodes, hours of simulation.
 *
 * Beside it, plain flooding (every link, every new version, forwarded once; eager.ts's `flood`) spreads
 * one announcement on the same overlay, seed and latency model:
 * `flood: { hopsTo999, msTo999, payloadCopiesPerNode, bytesPerNode }` and the protocol's ratio to it.
 * Then, in a grid of F nodes (default min(N, 100)) that dial their own links with liveness intervals
 * scaled down (refresh every 10 minutes, forget after an hour), one node leaves without
 * a goodbye: `msToForget` is the simulated time until every other node has forgotten it, to compare with
 * `forgetAfterMs` + `refreshIntervalMs`. Prints a readable table, then as its last line one JSON object.
 * The same seed gives the same figures (wall time, CPU time and memory aside).
 *
 * `npm run bench:sim` gives V8 a 15 GiB old generation (the default stops near 4 GiB, which an N = 10,000
 * run, 10^8 held announcements, passes long before it ends) and a 64 MiB young one.
 *
 * The simulated nodes share the held form of each distinct envelope, its verification result and one
 * numbering of origin tags (`sharedEnvelopes`, test/sim/shared-envelopes.ts): every node still runs every
 * check and keeps its own table, and every distinct envelope is verified with real ed25519 once.
 */
import { Simulation } from '../test/sim/network.ts';
import { Memory, round, startOption, trackSpread } from './spread.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  return value;
}

const nodes = arg('nodes', 100);
const links = arg('links', 8);
const seed = arg('seed', 1);
const latencyMs = arg('latency', 50);
const loss = arg('loss', 0);
const idleMinutes = arg('idle-minutes', 10);
const forgetNodes = arg('forget-nodes', Math.min(nodes, 100));
const withFlood = !process.argv.includes('--no-flood');
const start = startOption();
const started = performance.now();
const cpuStarted = process.cpuUsage();
const memory = new Memory();
const phaseMs: Record<string, number> = {};
let phaseStart = performance.now();
const phase = (name: string) => {
  memory.sample();
  memory.progress(sim, `${name} done; `);
  phaseMs[name] = Math.round(performance.now() - phaseStart);
  phaseStart = performance.now();
};
// Every node holds the grid's revocation set, as a browser node does (its messages share the link).
const model = { nodes, seed, latencyMs, jitterMs: latencyMs / 5, loss, revocations: true };

const sim = new Simulation(model);
const services = { storage: {}, 'grid-control': {} };
if (start === 'cold') {
  // Phase 1, cold: every node publishes once, at a random moment in the first second.
  sim.randomOverlay(links);
  for (const n of sim.nodes) sim.at(sim.random.next() * 1000, () => sim.setServices(n.index, services));
} else {
  // Phase 1, settled: every node announces (no links yet), holds everyone's, then links come up.
  sim.startSettled(links, services);
}
const meanDegree = sim.nodes.reduce((a, n) => a + sim.degree(n.index), 0) / nodes;
memory.runUntil(sim, 60_000);
const coverageAfterBootstrap = sim.coverage();
phase('bootstrap');

// Phase 2: one new announcement, tracked hop by hop (after a warm-up version that builds the origin's
// tree, when the grid started settled).
const origin = Math.floor(sim.random.next() * nodes);
const firstVersion =
  start === 'settled'
    ? trackSpread(sim, origin, () => sim.publish(origin, 'helper', { note: 'warm-up' }), 30_000)
    : undefined;
const spread = trackSpread(sim, origin, () => sim.publish(origin, 'helper', { note: 'bench' }), 30_000);
const live = sim.live().length;
phase('spread');

// Phase 3: a quiet grid. Measured: anti-entropy and anything else that happens in the window. Refreshes
// (one per node per refreshIntervalMs) are too rare to land in a short window, so their cost is added
// amortised: one announcement's measured spread cost × N origins / refresh period. The floor is what the
// refreshes' payloads alone cost: N × envelope bytes / refresh period, per node.
const bytesBefore = sim.bytesSent;
memory.runUntil(sim, sim.now + idleMinutes * 60_000, 10_000);
const measuredIdle = (sim.bytesSent - bytesBefore) / live / idleMinutes;
const refreshMinutes = sim.nodes[origin]!.node.config.refreshIntervalMs / 60_000;
const refreshAmortised = (spread.bytesPerNode * live) / refreshMinutes;
const idleBytesPerNodePerMinute = round(measuredIdle + refreshAmortised, 1);
const idleFloorBytesPerNodePerMinute = round((live * spread.envelopeBytes) / refreshMinutes, 1);
const coverage = sim.coverage();
const messagesSent = sim.messagesSent;
const sharedEnvelopes = sim.shared.size;
const verifications = sim.cache.misses;
phase('idle');

// The baseline: plain flooding on the same overlay (same seed), one announcement from the same origin.
let flood: Record<string, number | null> | undefined;
if (withFlood) {
  const floodSim = new Simulation({ ...model, dissemination: 'flood' });
  floodSim.randomOverlay(links);
  const f = trackSpread(
    floodSim,
    origin,
    () => floodSim.publish(origin, 'helper', { note: 'bench' }),
    30_000,
  );
  memory.sample();
  flood = {
    hopsTo999: f.hopsTo999,
    msTo999: f.msTo999,
    payloadCopiesPerNode: f.payloadCopiesPerNode,
    bytesPerNode: f.bytesPerNode,
  };
  phase('flood');
}

// Phase 4: forgetting a node that left without a goodbye.
const liveness = {
  refreshIntervalMs: 10 * 60_000,
  expireAfterMs: 35 * 60_000,
  forgetAfterMs: 60 * 60_000,
  settleMs: 60_000,
};
const forgetSim = new Simulation({ ...model, nodes: forgetNodes, dialing: true, config: liveness });
forgetSim.randomOverlay(Math.min(links, 4));
for (const n of forgetSim.nodes) {
  forgetSim.at(Math.floor(forgetSim.random.next() * 1000), () => forgetSim.announce(n.index));
}
forgetSim.runUntil(20 * 60_000);
const leaver = forgetSim.nodes[Math.floor(forgetSim.random.next() * forgetNodes)]!;
const forgottenBy = new Set<number>();
let lastForgottenAt = Number.NaN;
forgetSim.onOutput = (node, out, at) => {
  if (out.type === 'forgotten' && out.id === leaver.id && !forgottenBy.has(node)) {
    forgottenBy.add(node);
    lastForgottenAt = at;
  }
};
const leftAt = forgetSim.now;
forgetSim.crash(leaver.index);
while (forgottenBy.size < forgetNodes - 1 && forgetSim.now < leftAt + 3 * liveness.forgetAfterMs) {
  forgetSim.runFor(60_000);
}
const msToForget = forgottenBy.size === forgetNodes - 1 ? lastForgottenAt - leftAt : null;
phase('forget');

const ratio = (a: number | null, b: number | null | undefined) => (a && b ? round(a / b, 3) : null);
const cpu = process.cpuUsage(cpuStarted);
const result = {
  nodes,
  links,
  seed,
  latencyMs,
  loss,
  dissemination: 'eager',
  start,
  meanDegree: round(meanDegree, 2),
  coverageAfterBootstrap: round(coverageAfterBootstrap, 4),
  coverage: round(coverage, 4),
  hopsTo999: spread.hopsTo999,
  msTo999: spread.msTo999,
  payloadCopiesPerNode: spread.payloadCopiesPerNode,
  envelopeBytes: spread.envelopeBytes,
  controlBytesPerNodePerAnnouncement: spread.controlBytesPerNode,
  bytesPerNode: spread.bytesPerNode,
  firstVersion: firstVersion && {
    hopsTo999: firstVersion.hopsTo999,
    msTo999: firstVersion.msTo999,
    payloadCopiesPerNode: firstVersion.payloadCopiesPerNode,
    bytesPerNode: firstVersion.bytesPerNode,
  },
  flood,
  vsFlood: flood && {
    msTo999: ratio(spread.msTo999, flood.msTo999),
    hopsTo999: ratio(spread.hopsTo999, flood.hopsTo999),
    payloadCopiesPerNode: ratio(spread.payloadCopiesPerNode, flood.payloadCopiesPerNode),
    bytesPerNode: ratio(spread.bytesPerNode, flood.bytesPerNode),
  },
  idleBytesPerNodePerMinute,
  idleFloorBytesPerNodePerMinute,
  idleVsFloor: round(idleBytesPerNodePerMinute / idleFloorBytesPerNodePerMinute, 3),
  idleTarget: round(1.1 * idleFloorBytesPerNodePerMinute + 50, 1),
  idleBreakdown: {
    measuredAntiEntropy: round(measuredIdle, 1),
    refreshAmortised: round(refreshAmortised, 1),
    refreshMinutes,
  },
  msToForget,
  forgetAfterMs: liveness.forgetAfterMs,
  refreshIntervalMs: liveness.refreshIntervalMs,
  forgetNodes,
  forgetMeanLinks: round(forgetSim.nodes.reduce((a, n) => a + forgetSim.degree(n.index), 0) / forgetNodes, 2),
  messagesSent,
  verifications,
  sharedEnvelopes: true,
  sharedEnvelopesHeld: sharedEnvelopes,
  sharing:
    'simulated nodes share each distinct envelope (bytes, hash, checked body head), its verification result and one numbering of origin tags; every node runs every check and keeps its own table, every distinct envelope is verified once with real ed25519',
  peakRssMiB: memory.peakMiB,
  phaseMs,
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  wallMs: Math.round(performance.now() - started),
};

console.table(Object.fromEntries(Object.entries(result).filter(([, v]) => typeof v !== 'object')));
console.log(JSON.stringify(result));
