/**
 * Eager push trees on the simulator (PROTOCOL.md §5, eager.ts): a tree repairs itself after a link drops,
 * an origin's tree is rebuilt after it restarts with an empty table, and a settled tree carries a version
 * with about one payload copy per node and no GRAFT. Every seed is in the test name, so a failure replays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { MessageType, decodeMessage, equalBytes, tagOf } from '../../src/core/index.ts';
import { Simulation } from '../sim/network.ts';
import { plantTrees } from '../sim/trees.ts';
import { rule } from './rules.ts';

function bootstrap(nodes: number, links: number, seed: number) {
  const sim = new Simulation({ nodes, seed, revocations: true });
  sim.randomOverlay(links);
  for (const n of sim.nodes) sim.at(sim.random.next() * 500, () => sim.setServices(n.index, { storage: {} }));
  sim.runUntil(20_000);
  return sim;
}

/** Origin `o` publishes a new version; counts payload copies and GRAFTs naming it, and who got it from whom. */
function spread(sim: Simulation, o: number, ms = 10_000) {
  const origin = sim.nodes[o]!;
  const tag = tagOf(origin.signer.publicKey);
  sim.publish(o, `svc-${sim.now}`);
  const env = origin.node.envelopeOf(origin.id)!;
  const hash = sha256(env);
  let copies = 0;
  let grafts = 0;
  const parent = new Map<number, number>();
  let lastAt = 0;
  const t0 = sim.now;
  sim.onDeliver = ({ bytes }) => {
    const m = decodeMessage(bytes, 1 << 20);
    if (!m.ok) return;
    const v = m.value;
    if (v.type === MessageType.Announce || v.type === MessageType.Push)
      copies += v.envelopes.filter((e) => equalBytes(e, env)).length;
    if (v.type === MessageType.Graft && v.refs.some((r) => r.tag === tag)) grafts++;
  };
  sim.onStored = (node, h, from) => {
    if (!equalBytes(h, hash) || from === undefined) return;
    parent.set(node, from);
    lastAt = sim.now - t0;
  };
  sim.runFor(ms);
  sim.onDeliver = undefined;
  sim.onStored = undefined;
  const held = sim.live().filter((n) => equalBytes(n.node.envelopeOf(origin.id) ?? new Uint8Array(), env));
  return { copies, grafts, parent, reached: held.length, lastAt };
}

describe('eager push trees on the simulator', () => {
  it('a settled tree carries a version with about one payload copy per node and no GRAFT (seed 11)', () => {
    const sim = bootstrap(80, 8, 11);
    spread(sim, 3);
    const s = spread(sim, 3);
    assert.equal(s.reached, 80);
    assert.equal(s.grafts, 0);
    assert.ok(s.copies >= 79 && s.copies <= 79 * 1.05, `payload copies ${s.copies} for 79 receivers`);
    // One latency per hop: 50–60 ms a hop on a tree a few hops deep, not three trips per hop.
    assert.ok(s.lastAt < 600, `the last node had it after ${s.lastAt} ms`);
  });

  it('the tree repairs itself after a link of it drops: GRAFT, then one copy per node again (seed 12)', () => {
    const sim = bootstrap(60, 6, 12);
    const o = 7;
    const first = spread(sim, o);
    // Cut a tree link below the origin's neighbours: the child's branch no longer gets PUSHes.
    const [child, parent] = [...first.parent].find(([c, p]) => p !== o && c !== o)!;
    sim.disconnect(child, parent);
    // IHAVEs go to `lazyFanout` of the lazy links only, so the cut-off branch may hear of the version
    // first from anti-entropy (whose DIGEST news is asked with GRAFT): give it one round, 60 s.
    const repair = spread(sim, o, 70_000);
    assert.equal(repair.reached, 60, 'every node has the version (GRAFT after IHAVE, or anti-entropy)');
    const settled = spread(sim, o);
    assert.equal(settled.reached, 60);
    assert.equal(settled.grafts, 0, 'the repaired tree needs no GRAFT');
    assert.ok(settled.copies <= 59 * 1.05, `payload copies ${settled.copies} for 59 receivers`);
    assert.equal(sim.coverage(), 1);
  });

  it(
    rule(
      "An origin's tree starts empty: its first version spreads by IHAVE to every link, and GRAFT builds the tree.",
    ) + ' — and after the origin restarts with an empty table (seed 13)',
    () => {
      const sim = bootstrap(60, 6, 13);
      const o = 21;
      spread(sim, o);
      const peers = sim.crash(o);
      sim.runFor(5_000);
      sim.restart(o, peers, sim.nodes[o]!.node.seqnum, false);
      // Its first version after the restart: the tree is built again (by GRAFT, or by the link-up
      // anti-entropy, which sends it as if grafted).
      const again = spread(sim, o);
      assert.equal(again.reached, 60);
      const settled = spread(sim, o);
      assert.equal(settled.reached, 60);
      assert.equal(settled.grafts, 0);
      assert.ok(settled.copies <= 59 * 1.05, `payload copies ${settled.copies} for 59 receivers`);
    },
  );

  it('a grid started settled (everyone restored, no trees yet): a first version builds its tree by GRAFT, the next goes by PUSH alone (seed 15)', () => {
    const sim = new Simulation({ nodes: 60, seed: 15, revocations: true });
    for (const n of sim.nodes) sim.setServices(n.index, { storage: {} });
    assert.equal(sim.restoreEveryone(), 60 * 59);
    assert.equal(sim.messagesSent, 0, 'restoring sends nothing');
    sim.randomOverlay(6);
    sim.runFor(20_000);
    assert.equal(sim.coverage(), 1);
    const first = spread(sim, 4);
    assert.equal(first.reached, 60);
    assert.ok(first.grafts > 0, 'a first version is asked for with GRAFT, which builds the tree');
    const next = spread(sim, 4);
    assert.equal(next.reached, 60);
    assert.equal(next.grafts, 0);
    assert.ok(next.copies <= 59 * 1.05, `payload copies ${next.copies} for 59 receivers`);
  });

  it("planted trees (bench:faults' settled start): every origin's first version goes by PUSH alone, each node's parent one hop nearer the origin (seed 16)", () => {
    const sim = new Simulation({ nodes: 60, seed: 16, revocations: true });
    sim.startSettled(6, { storage: {} });
    // Every live link is in every origin's tree at both ends: 59 tree links per origin.
    assert.equal(plantTrees(sim), 60 * 59);
    sim.runFor(20_000);
    /** Each node's distance in hops from `from`. */
    const hops = (from: number): number[] => {
      const depth = new Array<number>(60).fill(-1);
      depth[from] = 0;
      const queue = [from];
      while (queue.length > 0) {
        const v = queue.shift()!;
        for (const w of sim.neighbours(v)) {
          if (depth[w] !== -1) continue;
          depth[w] = depth[v]! + 1;
          queue.push(w);
        }
      }
      return depth;
    };
    for (const o of [4, 21, 40]) {
      const s = spread(sim, o);
      assert.equal(s.reached, 60);
      assert.equal(s.grafts, 0, 'no GRAFT: the tree was there before the first version');
      assert.equal(s.copies, 59, 'one payload copy per node');
      const depth = hops(o);
      for (const [child, parent] of s.parent)
        assert.equal(depth[parent], depth[child]! - 1, `${child}'s parent`);
    }
  });

  it('1 % loss: trees and anti-entropy bring every node every newest version (seed 14)', () => {
    const sim = bootstrap(60, 6, 14);
    sim.setLoss(0.01);
    for (const n of sim.nodes)
      sim.at(sim.now + sim.random.next() * 1000, () => sim.publish(n.index, 'refresh'));
    sim.runFor(5 * 60_000);
    assert.ok(sim.messagesLost > 0);
    assert.equal(sim.coverage(), 1);
  });
});
