/**
 * `npm run bench:sim -- --nodes N --links K --seed S [--latency MS] [--loss P] [--idle-minutes M]
 *   [--forget-nodes F]`
 *
 * Builds a random overlay of N core nodes with about K links each, lets every node publish, then
 * measures one new announcement's spread and the quiet grid's cost. Then, in a grid of F nodes (default
 * min(N, 100)) that dial their own links with liveness intervals scaled down (refresh every 10 minutes,
 * forget after an hour), one node leaves without a goodbye: `msToForget` is the simulated time until every
 * other node has forgotten it, to compare with `forgetAfterMs` + `refreshIntervalMs`. (Simulating hours of
 * refreshes costs N² messages per refresh round, hence the smaller grid.) Prints a readable table, then
 * as its last line one JSON object. The same seed gives the same figures (wall time aside).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { MessageType, decodeMessage, equalBytes, tagOf } from '../src/core/index.ts';
import { Simulation } from '../test/sim/network.ts';

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
const started = performance.now();

const sim = new Simulation({ nodes, seed, latencyMs, jitterMs: latencyMs / 5, loss });
sim.randomOverlay(links);
const meanDegree = sim.nodes.reduce((a, n) => a + sim.degree(n.index), 0) / nodes;

// Phase 1: every node publishes once, at a random moment in the first second.
for (const n of sim.nodes) {
  sim.at(sim.random.next() * 1000, () => sim.setServices(n.index, { storage: {}, 'grid-control': {} }));
}
sim.runUntil(60_000);
const coverageAfterBootstrap = sim.coverage();

// Phase 2: one new announcement, tracked hop by hop.
const origin = Math.floor(sim.random.next() * nodes);
const t0 = sim.now;
let tracked: Uint8Array | undefined;
let trackedEnvelope: Uint8Array | undefined;
const hops = new Map<number, number>([[origin, 0]]);
const times = new Map<number, number>();
let payloadCopies = 0;
let controlBytes = 0;
sim.onStored = (node, hash, from) => {
  if (!tracked || !equalBytes(hash, tracked) || hops.has(node)) return;
  hops.set(node, from === undefined ? 0 : (hops.get(from) ?? 0) + 1);
  times.set(node, sim.now - t0);
};
sim.onDeliver = ({ bytes }) => {
  if (!trackedEnvelope) return;
  const m = decodeMessage(bytes, 1 << 20);
  if (!m.ok) return;
  if (m.value.type === MessageType.Announce) {
    for (const env of m.value.envelopes) {
      if (equalBytes(env, trackedEnvelope)) {
        payloadCopies++;
        controlBytes += bytes.length - env.length;
      }
    }
  } else if (m.value.type === MessageType.IHave || m.value.type === MessageType.IWant) {
    if (m.value.refs.some((r) => r.tag === trackedTag)) controlBytes += bytes.length;
  }
};
const originNode = sim.nodes[origin]!;
const trackedTag = tagOf(originNode.signer.publicKey);
sim.publish(origin, 'helper', { note: 'bench' });
trackedEnvelope = originNode.node.envelopeOf(originNode.id)!;
tracked = sha256(trackedEnvelope);
sim.runFor(30_000);
sim.onDeliver = undefined;
sim.onStored = undefined;

const live = sim.live().length;
const receivers = live - 1;
const sortedHops = [...hops.entries()]
  .filter(([n]) => n !== origin)
  .map(([, h]) => h)
  .sort((a, b) => a - b);
const sortedTimes = [...times.entries()]
  .filter(([n]) => n !== origin)
  .map(([, t]) => t)
  .sort((a, b) => a - b);
const need = Math.ceil(0.999 * receivers);
const reached = sortedHops.length >= need;
const hopsTo999 = reached ? sortedHops[need - 1]! : null;
const msTo999 = reached ? Math.round(sortedTimes[need - 1]!) : null;
const envelopeBytes = trackedEnvelope.length;

// Phase 3: a quiet grid. Measured: anti-entropy and anything else that happens in the window. Refreshes
// (one per node per refreshIntervalMs) are too rare to land in a short window, so their cost is added amortised:
// one announcement's measured spread cost × N origins / refresh period.
const bytesBefore = sim.bytesSent;
sim.runFor(idleMinutes * 60_000);
const measuredIdle = (sim.bytesSent - bytesBefore) / live / idleMinutes;
const refreshMinutes = originNode.node.config.refreshIntervalMs / 60_000;
const perAnnouncementPerNode = (payloadCopies * envelopeBytes + controlBytes) / live;
const refreshAmortised = (perAnnouncementPerNode * live) / refreshMinutes;

// Phase 4: forgetting a node that left without a goodbye.
const liveness = {
  refreshIntervalMs: 10 * 60_000,
  expireAfterMs: 35 * 60_000,
  forgetAfterMs: 60 * 60_000,
  settleMs: 60_000,
};
const forgetSim = new Simulation({
  nodes: forgetNodes,
  seed,
  latencyMs,
  jitterMs: latencyMs / 5,
  loss,
  dialing: true,
  config: liveness,
});
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

const result = {
  nodes,
  links,
  seed,
  latencyMs,
  loss,
  meanDegree: round(meanDegree, 2),
  coverageAfterBootstrap: round(coverageAfterBootstrap, 4),
  coverage: round(sim.coverage(), 4),
  hopsTo999,
  msTo999,
  payloadCopiesPerNode: round(payloadCopies / receivers, 3),
  envelopeBytes,
  controlBytesPerNodePerAnnouncement: round(controlBytes / live, 1),
  idleBytesPerNodePerMinute: round(measuredIdle + refreshAmortised, 1),
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
  messagesSent: sim.messagesSent,
  verifications: sim.cache.misses,
  verificationCache:
    'shared by all simulated nodes (keyed by envelope hash; sharing changes speed, not results)',
  wallMs: Math.round(performance.now() - started),
};

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

console.table(Object.fromEntries(Object.entries(result).filter(([, v]) => typeof v !== 'object')));
console.log(JSON.stringify(result));
