/**
 * Issue "Liveness" in the simulator (virtual clock, seeded): whole grids of core nodes that dial their own
 * links, persist what a browser node persists, crash, reload, and run with clocks set wrong.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { type CoreConfig, type NodeId, encodeAnnounce, planDials, toHex } from '../../src/core/index.ts';
import { Simulation } from '../sim/network.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** People's defaults scaled down: refresh hourly, forget after half a day. */
const config: Partial<CoreConfig> = {
  refreshIntervalMs: HOUR,
  expireAfterMs: 3.5 * HOUR,
  forgetAfterMs: 12 * HOUR,
  minPeersToForget: 3,
  settleMs: MINUTE,
  targetLinks: 5,
  maxDialsInFlight: 3,
  dialTimeoutMs: 10_000,
};

/** A grid whose nodes found each other through a sparse start and then dialed their own links. */
function grid(nodes: number, seed: number, setup?: (sim: Simulation) => void): Simulation {
  const sim = new Simulation({ nodes, seed, dialing: true, persist: true, config });
  setup?.(sim);
  sim.randomOverlay(2);
  for (const n of sim.nodes) sim.at(Math.floor(sim.random.next() * 1_000), () => sim.announce(n.index));
  sim.runFor(30 * MINUTE);
  assert.equal(sim.coverage(), 1, 'every node holds every node before the test starts');
  return sim;
}

const holds = (sim: Simulation, index: number, id: NodeId) =>
  sim.nodes[index]!.node.getPeers().some((p) => p.id === id);

/** Simulated time at which each node forgot `id`. */
function watchForgetting(sim: Simulation, id: NodeId): Map<number, number> {
  const forgotten = new Map<number, number>();
  const previous = sim.onOutput;
  sim.onOutput = (node, out, at) => {
    previous?.(node, out, at);
    if (out.type === 'forgotten' && out.id === id && !forgotten.has(node)) forgotten.set(node, at);
  };
  return forgotten;
}

describe('a node that departs without a goodbye', { timeout: 120_000 }, () => {
  it('is forgotten by every node within forgetAfterMs plus one refresh interval, and never comes back through gossip', () => {
    const sim = grid(30, 101);
    const departed = sim.nodes[7]!;
    const lastEnvelope = departed.node.envelopeOf(departed.id)!;
    const forgotten = watchForgetting(sim, departed.id);
    let storedAgain = 0;
    const observe = sim.onOutput;
    sim.onOutput = (node, out, at) => {
      observe?.(node, out, at);
      if (
        out.type === 'stored' &&
        forgotten.has(node) &&
        toHex(out.origin) === toHex(departed.signer.publicKey)
      )
        storedAgain++;
    };
    const t0 = sim.now;
    sim.crash(departed.index);

    sim.runUntil(t0 + config.forgetAfterMs! + config.refreshIntervalMs!);
    const live = sim.live();
    assert.equal(forgotten.size, live.length, 'every live node forgot it');
    for (const [node, at] of forgotten) {
      assert.ok(at - t0 <= config.forgetAfterMs! + config.refreshIntervalMs!, `node ${node} at ${at - t0}`);
      // Not before it could have been unseen for forgetAfterMs: its last refresh was at most 1.1 refresh ago.
      assert.ok(at - t0 >= config.forgetAfterMs! - 1.1 * config.refreshIntervalMs!, `node ${node} too early`);
    }

    // Someone replays its last announcement to a member: refused by the floor, without a signature check.
    const target = live[0]!;
    const peer = live.find((n) => sim.isLinked(target.index, n.index))!;
    const replay = encodeAnnounce([lastEnvelope], 1 << 20)[0]!;
    const out = target.node.receive(peer.id, replay, sim.clock(target.index), sim.cache.lookup);
    assert.equal(out.filter((o) => o.type === 'stored').length, 0);
    assert.equal(target.node.stats().dropped['forgotten-replay'], 1);

    // Two more forget periods, floors lapsing on the way: it never returns.
    sim.runFor(2 * config.forgetAfterMs!);
    assert.equal(storedAgain, 0, 'no node stored the departed node again');
    for (const n of sim.live()) assert.ok(!holds(sim, n.index, departed.id), `node ${n.index} holds it`);
    assert.equal(sim.coverage(), 1, 'the living still all know each other');
  });
});

describe('a node offline for longer than forgetAfterMs', { timeout: 120_000 }, () => {
  it('forgets nothing until it is connected again, and then catches up', () => {
    const sim = grid(30, 202);
    const away = sim.nodes[3]!;
    const departed = sim.nodes[9]!;
    sim.crash(away.index);
    sim.runFor(10 * MINUTE);
    sim.crash(departed.index); // departs while `away` is away: `away` still holds it
    sim.runFor(2 * config.forgetAfterMs!);
    assert.ok(!sim.live().some((n) => holds(sim, n.index, departed.id)), 'the others forgot it');

    // Back, but unable to reach anyone for two hours: it ticks, dials, fails — and forgets nothing.
    const outputs: string[] = [];
    sim.onOutput = (node, out) => {
      if (node === away.index) outputs.push(out.type === 'forgotten' ? `forgotten ${out.id}` : out.type);
    };
    away.reachable = false;
    sim.reload(away.index);
    const known = away.node.getPeers().length;
    assert.equal(known, 30, 'it restored everything it knew');
    assert.ok(
      away.node.getPeers().every((p) => p.self || !p.fresh),
      'what it heard long ago is not offered to anyone (rule 1)',
    );
    sim.runFor(2 * HOUR);
    assert.ok(outputs.includes('dial'), 'it tried to reconnect');
    assert.ok(!outputs.some((o) => o.startsWith('forgotten')), 'nothing forgotten while unconnected');
    assert.equal(away.node.getPeers().length, known);

    // Reachable again: it links, hears everyone's news, forgets only the one that left.
    outputs.length = 0;
    away.reachable = true;
    sim.runFor(30 * MINUTE);
    assert.ok(away.node.stats().links >= config.minPeersToForget!, 'linked again');
    assert.deepEqual(
      outputs.filter((o) => o.startsWith('forgotten')),
      [`forgotten ${departed.id}`],
      'forgot the departed node and no one else',
    );
    assert.equal(
      sim.coverage(),
      1,
      'caught up: it holds every live node’s newest announcement, and they hold its',
    );
    assert.ok(
      !sim.live().some((n) => holds(sim, n.index, departed.id)),
      'it did not bring the departed back',
    );
  });
});

describe('clocks', { timeout: 120_000 }, () => {
  /** A run with a departure and a reload, as a digest of everything observable on the wire and when. */
  function trace(offsets: Record<number, number>): { digest: string; forgotAt: number[] } {
    const lines: string[] = [];
    const sim = grid(20, 303, (s) => {
      for (const [index, offset] of Object.entries(offsets)) s.nodes[Number(index)]!.clockOffsetMs = offset;
      s.onOutput = (node, out, at) => {
        if (out.type === 'send') lines.push(`${at} ${node} send ${out.to} ${toHex(sha256(out.bytes))}`);
        else if (out.type === 'dial' || out.type === 'dial-timeout' || out.type === 'forgotten')
          lines.push(`${at} ${node} ${out.type} ${out.id}`);
        else if (out.type === 'stored') lines.push(`${at} ${node} stored ${toHex(out.hash)}`);
        else if (out.type === 'announce-needed') lines.push(`${at} ${node} announce ${out.reason}`);
      };
    });
    const forgotten = watchForgetting(sim, sim.nodes[11]!.id);
    sim.crash(11);
    sim.runFor(HOUR);
    sim.crash(4);
    sim.runFor(config.forgetAfterMs! + 2 * HOUR);
    sim.reload(4);
    sim.runFor(HOUR);
    return {
      digest: toHex(sha256(new TextEncoder().encode(lines.join('\n')))),
      forgotAt: [...forgotten.values()],
    };
  }

  it('a node whose clock is off by a month behaves exactly as one whose clock is right', () => {
    const right = trace({});
    const wrong = trace({ 4: 30 * DAY, 5: -30 * DAY, 6: 31 * DAY + 12_345 });
    assert.ok(right.forgotAt.length >= 18, 'the run includes forgetting');
    assert.deepEqual(wrong.forgotAt, right.forgotAt);
    assert.equal(wrong.digest, right.digest, 'every message, dial and forgetting at the same simulated time');
  });
});

describe('reconnecting with 30 % of known peers unreachable', { timeout: 120_000 }, () => {
  it('reaches the live ones first and never has more dials in flight than the limit', () => {
    let maxInFlight = 0;
    const sim = grid(40, 404, (s) => {
      s.onOutput = (node) => {
        maxInFlight = Math.max(maxInFlight, s.nodes[node]!.node.dialsInFlight);
      };
    });
    const me = sim.nodes[0]!;
    const others = sim.nodes.filter((n) => n.index !== me.index);
    // 30 % of the grid becomes unreachable (crashed, or behind a dead network).
    const gone = new Set<number>();
    while (gone.size < 12) gone.add(others[Math.floor(sim.random.next() * others.length)]!.index);
    for (const index of gone) sim.crash(index);
    sim.runFor(30 * MINUTE);
    assert.ok(me.node.stats().links >= config.targetLinks!, 'relinked to live peers');

    // Restart: what does it dial, in what order, and how soon is it linked again?
    sim.crash(me.index);
    sim.runFor(5 * MINUTE);
    const dials: { id: NodeId; at: number; linksBefore: number }[] = [];
    const observe = sim.onOutput;
    sim.onOutput = (node, out, at) => {
      observe?.(node, out, at);
      if (node === me.index && out.type === 'dial')
        dials.push({ id: out.id, at, linksBefore: me.node.stats().links });
    };
    const restartedAt = sim.now;
    sim.reload(me.index);
    // Its restored history: the unreachable peers it had been linked with failed since; they come last.
    const order = planDials(
      others.map((n) => [n.index, me.node.historyOf(n.id)] as const),
      sim.clock(me.index) + DAY,
      others.length,
      1,
      1,
    ).now;
    const goneSeen = order.filter((i) => gone.has(i) && me.node.historyOf(sim.nodes[i]!.id).lastConnectedAt);
    const liveSeen = order.filter((i) => !gone.has(i) && me.node.historyOf(sim.nodes[i]!.id).lastConnectedAt);
    assert.ok(goneSeen.length >= 2, `it had been linked with unreachable peers: ${goneSeen}`);
    assert.ok(
      Math.max(...liveSeen.map((i) => order.indexOf(i))) < Math.min(...goneSeen.map((i) => order.indexOf(i))),
      'every live peer it had been linked with comes before every unreachable one',
    );
    let linkedAt: number | undefined;
    while (sim.now < restartedAt + 10 * MINUTE) {
      sim.runFor(100);
      if (linkedAt === undefined && me.node.stats().links >= config.targetLinks!) linkedAt = sim.now;
    }
    const indexOf = new Map(sim.nodes.map((n) => [n.id, n.index]));
    const untilLinked = dials.filter((d) => d.at <= linkedAt!);
    assert.ok(untilLinked.length > 0);
    assert.deepEqual(
      untilLinked.filter((d) => gone.has(indexOf.get(d.id)!)).map((d) => indexOf.get(d.id)),
      [],
      'no unreachable peer was dialed before the live ones had answered',
    );
    assert.ok(linkedAt! - restartedAt < config.dialTimeoutMs!, `linked after ${linkedAt! - restartedAt} ms`);
    assert.ok(maxInFlight <= config.maxDialsInFlight!, `at most ${maxInFlight} dials in flight`);
    assert.ok(maxInFlight === config.maxDialsInFlight, 'the limit was reached, so it was tested');
  });
});
