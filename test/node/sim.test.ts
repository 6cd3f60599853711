/**
 * Many-node behaviour, on the simulator: every seed is printed in the test name, so a failure replays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { MessageType, decodeMessage, equalBytes, tagOf } from '../../src/core/index.ts';
import { Simulation } from '../sim/network.ts';
import { rule } from './rules.ts';

function bootstrap(nodes: number, links: number, seed: number, options: { loss?: number } = {}) {
  const sim = new Simulation({ nodes, seed, ...options });
  sim.randomOverlay(links);
  for (const n of sim.nodes) sim.at(sim.random.next() * 500, () => sim.setServices(n.index, { storage: {} }));
  sim.runUntil(20_000);
  return sim;
}

const sameViews = (sim: Simulation) => {
  const views = sim.views().map((v) => JSON.stringify([...v].sort()));
  return views.every((v) => v === views[0]);
};

describe('simulated grids', () => {
  it('a 60-node grid converges: every node holds every origin’s newest announcement (seed 1)', () => {
    const sim = bootstrap(60, 6, 1);
    assert.equal(sim.coverage(), 1);
    assert.ok(sameViews(sim));
  });

  it('each node receives about one copy of a new announcement’s payload (seed 2)', () => {
    const sim = bootstrap(80, 8, 2);
    const env = (() => {
      sim.publish(5, 'helper');
      return sim.nodes[5]!.node.envelopeOf(sim.nodes[5]!.id)!;
    })();
    let copies = 0;
    sim.onDeliver = ({ bytes }) => {
      const m = decodeMessage(bytes, 1 << 20);
      if (m.ok && (m.value.type === MessageType.Announce || m.value.type === MessageType.Push))
        copies += m.value.envelopes.filter((e) => equalBytes(e, env)).length;
    };
    sim.runFor(10_000);
    assert.equal(sim.coverage(), 1);
    assert.ok(copies >= 79 && copies <= 79 * 1.1, `payload copies ${copies} for 79 receivers`);
  });

  it(
    rule('A node forwards each version of an announcement at most once, so there are no flooding loops.'),
    () => {
      const sim = bootstrap(50, 8, 3);
      sim.publish(7, 'helper');
      const tag = tagOf(sim.nodes[7]!.signer.publicKey);
      const adverts = new Map<string, number>();
      sim.onDeliver = ({ from, to, bytes }) => {
        const m = decodeMessage(bytes, 1 << 20);
        if (!m.ok || m.value.type !== MessageType.IHave) return;
        for (const ref of m.value.refs) {
          if (ref.tag !== tag) continue;
          const key = `${from}->${to}:${ref.seqnum}`;
          adverts.set(key, (adverts.get(key) ?? 0) + 1);
        }
      };
      const before = sim.messagesSent;
      sim.runFor(5_000);
      assert.ok(adverts.size > 0);
      assert.ok(
        [...adverts.values()].every((n) => n === 1),
        'no link carries the same advertisement twice',
      );
      sim.runFor(5 * 60_000);
      const idlePerNodeMinute = (sim.messagesSent - before) / 50 / 5;
      assert.ok(
        idlePerNodeMinute < 3,
        `a quiet grid sends ${idlePerNodeMinute} messages per node per minute`,
      );
    },
  );

  it('every node ends with the same set after a partition heals (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 2, max: 3 }), (seed, groups) => {
        const sim = bootstrap(24, 4, seed);
        const cut = sim.partition((i) => i % groups);
        // Both sides keep changing while apart: new services, and a node that refreshes twice.
        for (let i = 0; i < 24; i += 5) sim.publish(i, `svc-${i}`);
        sim.runFor(5_000);
        sim.publish(1, 'again');
        sim.runFor(5_000);
        const apart = sim.coverage();
        sim.heal(cut);
        sim.runFor(30_000);
        assert.ok(apart < 1, 'the partition really separated the grid');
        assert.equal(sim.coverage(), 1, `seed ${seed}`);
        assert.ok(sameViews(sim), `seed ${seed}`);
      }),
      { numRuns: 8 },
    );
  });

  it('lost messages are repaired by anti-entropy: 20 % loss still converges (seed 4)', () => {
    const sim = bootstrap(40, 6, 4, { loss: 0.2 });
    sim.runFor(10 * 60_000);
    assert.ok(sim.messagesLost > 100);
    assert.equal(sim.coverage(), 1);
  });

  it('churn: nodes crash and come back, and the grid converges again (seed 5)', () => {
    const sim = bootstrap(40, 6, 5);
    const gone = [3, 9, 17, 21].map((i) => [i, sim.crash(i)] as const);
    sim.publish(0, 'while-they-were-away');
    sim.runFor(10_000);
    for (const [i, peers] of gone) sim.restart(i, peers, sim.nodes[i]!.node.seqnum);
    sim.runFor(30_000);
    assert.equal(sim.coverage(), 1);
  });

  it('a node rebuilt from its key alone (counter lost) overtakes its old announcements (seed 6)', () => {
    const sim = bootstrap(30, 6, 6);
    sim.publish(4, 'a');
    sim.publish(4, 'b');
    sim.runFor(5_000);
    const oldSeqnum = sim.nodes[4]!.node.seqnum;
    const peers = sim.crash(4);
    sim.restart(4, peers, 0, false);
    sim.announce(4);
    sim.runFor(30_000);
    const fresh = sim.nodes[4]!.node.seqnum;
    assert.ok(fresh > oldSeqnum, `counter ${fresh} jumped past ${oldSeqnum}`);
    assert.equal(sim.coverage(), 1);
    for (const view of sim.views()) assert.equal(view.get(sim.nodes[4]!.id), fresh);
  });

  it('the same seed gives the same run', () => {
    const run = () => {
      const sim = bootstrap(30, 5, 42, { loss: 0.05 });
      return [
        sim.messagesSent,
        sim.bytesSent,
        sim.messagesLost,
        sha256(sim.nodes[0]!.node.envelopeOf(sim.nodes[29]!.id)!),
      ];
    };
    assert.deepEqual(run(), run());
  });
});
