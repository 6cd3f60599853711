/**
 * Liveness rules of PROTOCOL.md §6 (seed 001) on single core nodes: refresh, freshness, connection
 * history and dialing, forgetting and its floor. Whole-grid behaviour is in sim-liveness.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type GossipNode,
  type Output,
  encodeEnvelope,
  encodeSummary,
  planDials,
} from '../../../src/core/index.ts';
import { emptyHistory } from '../../../src/core/history.ts';
import { rule } from '../rules.ts';
import { announce, countingVerify, envelope, idOf, keyOf, linkedNode, node } from './fixtures.ts';

const config = {
  refreshIntervalMs: 1_000,
  expireAfterMs: 5_000,
  forgetAfterMs: 20_000,
  minPeersToForget: 2,
  settleMs: 500,
  targetLinks: 0,
};
const ofType = <T extends Output['type']>(out: readonly Output[], type: T) =>
  out.filter((o): o is Extract<Output, { type: T }> => o.type === type);
const forgottenIds = (out: readonly Output[]) => ofType(out, 'forgotten').map((o) => o.id);

/** Ticks `n` every `step` ms through [from, to], collecting outputs. */
function run(n: GossipNode, from: number, to: number, step = 100): Output[] {
  const out: Output[] = [];
  for (let t = from; t <= to; t += step) out.push(...n.tick(t));
  return out;
}

/** A node linked to `peer` and to alice, which has heard announcements of alice and bob at time 0. */
function aliceLinkedBobHeard(): GossipNode {
  const n = linkedNode('me', 'peer', { config });
  n.linkUp(idOf('alice'), 0);
  n.receive(idOf('peer'), announce(envelope('alice'), envelope('bob')), 0, countingVerify());
  return n;
}

describe('refresh and freshness', () => {
  it(
    rule('A node re-announces every `refreshIntervalMs` (4 h, ±10 % jitter), even when nothing changed.'),
    () => {
      const n = node('me');
      const prepared = n.prepareAnnouncement();
      n.acceptOwn(encodeEnvelope(n.publicKey, prepared.body, keyOf('me').signSync(prepared.message)), 0);
      let refreshAt = -1;
      for (let t = 0; t <= 5 * 3_600_000; t += 60_000) {
        if (n.tick(t).some((o) => o.type === 'announce-needed' && o.reason === 'refresh')) {
          refreshAt = t;
          break;
        }
      }
      assert.ok(
        refreshAt >= 0.9 * 4 * 3_600_000 && refreshAt <= 1.1 * 4 * 3_600_000 + 60_000,
        `refresh at ${refreshAt}`,
      );
      assert.ok(Number.isInteger(n.nextDeadline()), 'jittered deadlines are whole milliseconds');
    },
  );

  it('a change is announced at once', () => {
    const n = node('me');
    assert.deepEqual(n.publish('storage'), [{ type: 'announce-needed', reason: 'changed' }]);
  });

  it(
    rule(
      "An origin is fresh while this node is linked to it or received its newest seqnum within `expireAfterMs`, on this node's own clock.",
    ),
    () => {
      const n = aliceLinkedBobHeard();
      n.tick(config.expireAfterMs - 100);
      const fresh = () => new Map(n.getPeers().map((p) => [p.id, p.fresh]));
      assert.equal(fresh().get(idOf('bob')), true, 'received within expireAfterMs');
      n.tick(config.expireAfterMs + 1_000);
      assert.equal(fresh().get(idOf('alice')), true, 'linked');
      assert.equal(fresh().get(idOf('bob')), false, 'neither linked nor heard from');
      // Fresh news makes it fresh again.
      n.receive(idOf('peer'), announce(envelope('bob', { seqnum: 2 })), 7_000, countingVerify());
      assert.equal(fresh().get(idOf('bob')), true);
    },
  );

  it(
    rule(
      'Do not gossip about nodes that you have not been connected to, or heard fresh news of, within `expireAfterMs`.',
    ),
    () => {
      const n = aliceLinkedBobHeard();
      n.tick(config.expireAfterMs + 1_000);
      // A stale origin is neither offered in digests nor served on request.
      const digest = ofType(
        n.receive(idOf('peer'), encodeSummary(9, new Uint8Array(16)), 6_000, countingVerify()),
        'send',
      );
      assert.equal(digest[0]!.bytes[1], 1, 'the digest lists only alice');
    },
  );

  it('restored announcements are as fresh as when they were received', () => {
    const n = node('me', { config });
    const verify = countingVerify();
    assert.ok(n.restore(envelope('old'), 0, verify, 60_000));
    assert.ok(n.restore(envelope('new'), 58_000, verify, 60_000));
    const fresh = new Map(n.getPeers().map((p) => [p.id, p.fresh]));
    assert.deepEqual([fresh.get(idOf('old')), fresh.get(idOf('new'))], [false, true]);
  });
});

describe('forgetting', () => {
  it(
    rule(
      'Forget a node not seen for `forgetAfterMs` on the local clock, but only while linked to at least `minPeersToForget` peers.',
    ),
    () => {
      const n = linkedNode('me', 'peer', { config });
      n.receive(idOf('peer'), announce(envelope('bob')), 0, countingVerify());
      assert.deepEqual(forgottenIds(run(n, 0, config.forgetAfterMs * 2)), [], 'one link: keep');
      n.linkUp(idOf('other'), config.forgetAfterMs * 2);
      const out = run(n, config.forgetAfterMs * 2, config.forgetAfterMs * 2 + 1_000);
      assert.deepEqual(forgottenIds(out), [idOf('bob')]);
      const floor = ofType(out, 'forgotten')[0]!.floor!;
      assert.equal(floor.seqnum, 1, 'the floor is the last seqnum held');
      assert.ok(floor.until > config.forgetAfterMs * 2 + config.forgetAfterMs - 1_000, 'kept forgetAfterMs');
      assert.deepEqual(
        n.getPeers().map((p) => p.id),
        [],
      );
    },
  );

  it(rule('A link counts towards `minPeersToForget` only once it has been up for `settleMs`.'), () => {
    const n = linkedNode('me', 'peer', { config });
    n.receive(idOf('peer'), announce(envelope('bob')), 0, countingVerify());
    const back = config.forgetAfterMs * 3;
    n.linkUp(idOf('other'), back);
    assert.deepEqual(forgottenIds(run(n, back, back + config.settleMs - 100)), [], 'not settled yet');
    assert.deepEqual(forgottenIds(run(n, back + config.settleMs, back + config.settleMs + 500)), [
      idOf('bob'),
    ]);
  });

  it('forgetting drops the connection history too', () => {
    const n = linkedNode('me', 'peer', { config });
    n.linkUp(idOf('other'), 0);
    n.linkUp(idOf('bob'), 0);
    n.receive(idOf('peer'), announce(envelope('bob')), 0, countingVerify());
    n.linkDown(idOf('bob'), 100);
    assert.equal(n.historyOf(idOf('bob')).lastConnectedAt, 100);
    assert.deepEqual(forgottenIds(run(n, 100, config.forgetAfterMs + 1_000)), [idOf('bob')]);
    assert.equal(n.historyOf(idOf('bob')).lastConnectedAt, undefined);
  });

  it(
    rule("Refuse a forgotten node's announcements at or below its last seqnum for another `forgetAfterMs`."),
    () => {
      const n = linkedNode('me', 'peer', { config });
      n.linkUp(idOf('other'), 0);
      const verify = countingVerify();
      const old = envelope('bob', { seqnum: 7 });
      n.receive(idOf('peer'), announce(old), 0, verify);
      const forgotAt = config.forgetAfterMs + 1_000;
      assert.deepEqual(forgottenIds(run(n, 0, forgotAt)), [idOf('bob')]);
      // The forgotten bytes, and an equivocation at the same seqnum, come back: refused before verifying.
      const calls = verify.calls;
      n.receive(idOf('peer'), announce(old, envelope('bob', { seqnum: 7, nickname: 'x' })), forgotAt, verify);
      assert.equal(n.stats().dropped['forgotten-replay'], 2);
      assert.equal(verify.calls, calls);
      // Nor is it asked for when advertised.
      const ihave = n.receive(idOf('other'), encodeSummary(1, new Uint8Array(16)), forgotAt, verify);
      assert.ok(ofType(ihave, 'send').length <= 1);
      // A newer seqnum passes: the node came back.
      n.receive(idOf('peer'), announce(envelope('bob', { seqnum: 8 })), forgotAt + 1, verify);
      assert.equal(n.getPeers().find((p) => p.id === idOf('bob'))?.seqnum, 8);
      assert.equal(n.stats().floors, 0);
    },
  );

  it('a floor is kept for forgetAfterMs, survives a restart, and then lapses', () => {
    const n = node('me', { config });
    n.restoreFloor(idOf('bob'), 7, 50_000);
    n.linkUp(idOf('peer'), 0);
    const verify = countingVerify();
    n.receive(idOf('peer'), announce(envelope('bob', { seqnum: 7 })), 100, verify);
    assert.equal(n.stats().dropped['forgotten-replay'], 1);
    assert.equal(n.restore(envelope('bob', { seqnum: 6 }), 0, verify, 100), false, 'restore honours it');
    run(n, 100, 50_100, 1_000);
    n.receive(idOf('peer'), announce(envelope('bob', { seqnum: 7 })), 50_200, verify);
    assert.equal(n.getPeers().find((p) => p.id === idOf('bob'))?.seqnum, 7, 'lapsed');
  });

  it('floors are bounded by maxOrigins, restored ones too: the one lapsing first gives way', () => {
    const n = node('me', { config: { ...config, maxOrigins: 2 } });
    n.restoreFloor(idOf('a'), 1, 300);
    n.restoreFloor(idOf('b'), 1, 100);
    n.restoreFloor(idOf('c'), 1, 200);
    assert.equal(n.stats().floors, 2);
    n.linkUp(idOf('peer'), 0);
    const verify = countingVerify();
    n.receive(idOf('peer'), announce(envelope('b'), envelope('a'), envelope('c')), 0, verify);
    assert.deepEqual(
      n.getPeers().map((p) => p.id),
      [idOf('b')],
      'only b, whose floor gave way, is admitted',
    );
  });

  it('a clock set back does not freeze forgetting: a future last-seen counts as now', () => {
    const n = linkedNode('me', 'peer', { config });
    n.linkUp(idOf('other'), 0);
    n.receive(idOf('peer'), announce(envelope('bob')), 1_000_000, countingVerify());
    // The clock jumps back by ~a million ms; bob is forgotten forgetAfterMs after the jump.
    assert.deepEqual(forgottenIds(run(n, 0, config.forgetAfterMs - 1_000)), []);
    assert.deepEqual(forgottenIds(run(n, config.forgetAfterMs, config.forgetAfterMs + 1_000)), [idOf('bob')]);
  });
});

describe('connection history and dialing', () => {
  const h = (lastConnectedAt?: number, failuresInRow = 0, lastFailureAt?: number) => ({
    ...emptyHistory(),
    lastConnectedAt,
    failuresInRow,
    lastFailureAt,
  });

  it(
    rule(
      'Keep a connection history per peer: last connected, last failure, failures in a row, total uptime and RTT.',
    ),
    () => {
      const n = node('me');
      // p is a member this node holds an announcement of (only those have a history before a link).
      n.linkUp(idOf('q'), 0);
      n.receive(idOf('q'), announce(envelope('p')), 0, countingVerify());
      n.linkFailed(idOf('p'), 10);
      n.linkUp(idOf('p'), 100);
      n.recordRtt(idOf('p'), 80);
      n.linkDown(idOf('p'), 1_100);
      const history = n.historyOf(idOf('p'));
      assert.deepEqual(
        [
          history.failuresInRow,
          history.lastFailureAt,
          history.uptimeMs,
          history.rttMs,
          history.lastConnectedAt,
        ],
        [0, 10, 1_000, 80, 1_100],
      );
    },
  );

  it('history is counted while linked, so a crash loses at most one sweep of uptime; RTT samples are kept', () => {
    const n = node('me', { config: { ...config, refreshIntervalMs: 4_000 } });
    n.linkUp(idOf('p'), 0);
    for (const ms of [40, 60, 50]) n.recordRtt(idOf('p'), ms);
    const out = run(n, 0, 2_000);
    const saved = ofType(out, 'history').at(-1)!;
    assert.equal(saved.history.uptimeMs, 2_000);
    assert.equal(saved.history.lastConnectedAt, 2_000);
    assert.deepEqual(saved.history.rttSamples, [40, 60, 50]);
    // Restored after a crash: the uptime counted so far survives.
    const again = node('me');
    again.restoreHistory(idOf('p'), JSON.parse(JSON.stringify(saved.history)));
    assert.equal(again.historyOf(idOf('p')).uptimeMs, 2_000);
  });

  it('stored history is checked like anything else read back', () => {
    const n = node('me');
    n.restoreHistory(idOf('p'), {
      lastConnectedAt: 'yesterday',
      failuresInRow: -3,
      uptimeMs: Number.NaN,
      rttSamples: [1, 'x', ...Array(20).fill(5)],
    });
    const h = n.historyOf(idOf('p'));
    assert.deepEqual(
      [h.lastConnectedAt, h.failuresInRow, h.uptimeMs, h.rttSamples.length],
      [undefined, 0, 0, 8],
    );
    n.restoreHistory('not an id' as never, {});
    n.restoreHistory(idOf('q'), null);
    assert.equal(n.historyOf(idOf('q')).failuresInRow, 0);
  });

  it(
    rule(
      'Dial peers whose last attempt worked first, most recently connected first; then peers never tried; then peers whose last attempt failed, each after its backoff.',
    ),
    () => {
      const peers: [string, ReturnType<typeof h>][] = [
        ['never', h()],
        ['old', h(100)],
        ['failed-once', h(990, 1, 995)], // backoff 1 s from 995
        ['recent', h(900)],
        ['failing', h(950, 3, 990)], // backoff 4 s from 990
        ['connected', { ...h(999), connectedSince: 999 }],
      ];
      const plan = (now: number, limit = 10) => planDials(peers, now, limit, 1_000, 60_000);
      assert.deepEqual(plan(1_000).now, ['recent', 'old', 'never']);
      assert.equal(plan(1_000).nextReadyAt, 1_995, 'the first backed-off peer is ready then');
      assert.deepEqual(plan(10_000).now, ['recent', 'old', 'never', 'failed-once', 'failing']);
      assert.deepEqual(plan(10_000, 2).now, ['recent', 'old']);
      // A failure time in the future (clock set back) counts as now.
      assert.deepEqual(plan(0).now, ['recent', 'old', 'never']);
      assert.equal(plan(0).nextReadyAt, 1_000);
    },
  );

  it(rule("A link that ends other than by this node's own choice counts as a failure of that peer."), () => {
    const n = node('me', { config: { targetLinks: 2, maxDialsInFlight: 1, dialTimeoutMs: 10_000 } });
    for (const [i, name] of ['a', 'b', 'c'].entries()) n.restoreHistory(idOf(name), h(100 - i));
    n.linkUp(idOf('a'), 1_000);
    n.linkUp(idOf('b'), 1_000);
    const dials = (out: Output[]) => ofType(out, 'dial').map((o) => o.id);
    // b vanished (closed, fell silent, failed): c, connected longer ago, is dialed first.
    assert.deepEqual(dials(n.linkDown(idOf('b'), 2_000, true)), [idOf('c')]);
    assert.equal(n.historyOf(idOf('b')).failuresInRow, 1);
    n.linkUp(idOf('c'), 2_100);
    // This node closed its link to c itself: c keeps its place, the most recently connected.
    assert.deepEqual(dials(n.linkDown(idOf('c'), 3_000)), [idOf('c')]);
    assert.equal(n.historyOf(idOf('c')).failuresInRow, 0);
    // A link up again clears the failures.
    n.linkUp(idOf('b'), 3_100);
    assert.equal(n.historyOf(idOf('b')).failuresInRow, 0);
  });

  it(
    rule(
      'Keep at most `maxDialsInFlight` dials in flight; a dial that has not linked within `dialTimeoutMs` counts as a failure.',
    ),
    () => {
      const n = node('me', { config: { targetLinks: 4, maxDialsInFlight: 2, dialTimeoutMs: 1_000 } });
      const names = ['a', 'b', 'c', 'd', 'e'];
      names.forEach((name, i) => n.restoreHistory(idOf(name), h(1_000 - i)));
      const dials = (out: Output[]) => ofType(out, 'dial').map((o) => o.id);
      let out = n.tick(0);
      assert.deepEqual(dials(out), [idOf('a'), idOf('b')], 'most recent first, two at a time');
      assert.equal(n.dialsInFlight, 2);
      out = n.linkUp(idOf('a'), 100);
      assert.deepEqual(dials(out), [idOf('c')], 'a slot freed');
      out = n.linkFailed(idOf('c'), 200);
      assert.deepEqual(dials(out), [idOf('d')]);
      assert.equal(n.historyOf(idOf('c')).failuresInRow, 1);
      assert.ok(n.nextDeadline() <= 1_000, 'wakes for the dial timeout');
      out = n.tick(1_000);
      assert.deepEqual(
        ofType(out, 'dial-timeout').map((o) => o.id),
        [idOf('b')],
      );
      assert.deepEqual(dials(out), [idOf('e')], 'the next candidate takes the slot');
      assert.equal(n.historyOf(idOf('b')).failuresInRow, 1);
      assert.ok(n.dialsInFlight <= 2);
    },
  );

  it('stops dialing at targetLinks, and dials again when a link is lost, the lost peer first', () => {
    const n = node('me', { config: { targetLinks: 2, maxDialsInFlight: 4 } });
    for (const name of ['a', 'b', 'c']) n.restoreHistory(idOf(name), h(1));
    const dialed = ofType(n.tick(0), 'dial').map((o) => o.id);
    assert.equal(dialed.length, 2);
    n.linkUp(dialed[0]!, 10);
    n.linkUp(dialed[1]!, 10);
    assert.deepEqual(ofType(n.tick(20), 'dial'), []);
    assert.deepEqual(
      ofType(n.linkDown(dialed[0]!, 30), 'dial').map((o) => o.id),
      [dialed[0]],
    );
  });

  it('origins learned from gossip are dial candidates, after the peers seen before', () => {
    const n = node('me', { config: { targetLinks: 3, maxDialsInFlight: 3 } });
    n.restoreHistory(idOf('seen'), h(5));
    const out = [
      ...n.linkUp(idOf('peer'), 0),
      ...n.receive(idOf('peer'), announce(envelope('heard')), 10, countingVerify()),
    ];
    assert.deepEqual(
      ofType(out, 'dial').map((o) => o.id),
      [idOf('seen'), idOf('heard')],
    );
  });
});

describe('history is bounded (SECURITY-REVIEW finding 7)', () => {
  it(
    rule('History is kept only for peers this node holds an announcement of, is linked to or is dialing.'),
    () => {
      const n = linkedNode('me', 'peer', { config });
      n.receive(idOf('peer'), announce(envelope('alice')), 0, countingVerify());
      // 1,000 made-up ids whose attempts failed: none is remembered, each is counted.
      let persisted = 0;
      for (let i = 0; i < 1_000; i++)
        persisted += ofType(n.linkFailed(idOf(`made-up ${i}`), 10), 'history').length;
      assert.equal(persisted, 0, 'nothing to persist');
      assert.equal(n.stats().dropped['history-unknown'], 1_000);
      assert.equal(n.historyOf(idOf('made-up 1')).failuresInRow, 0);
      // Reading a history does not make one.
      assert.equal(n.stats().histories, 1, 'only the linked peer');
      // A member whose announcement is held keeps its history.
      assert.equal(ofType(n.linkFailed(idOf('alice'), 20), 'history').length, 1);
      assert.equal(n.historyOf(idOf('alice')).failuresInRow, 1);
      assert.equal(n.stats().histories, 2);
      // A linked peer without an announcement has one while linked; the sweep after it leaves drops it.
      n.linkUp(idOf('stranger'), 30);
      n.recordRtt(idOf('stranger'), 12);
      assert.equal(n.stats().histories, 3);
      n.linkDown(idOf('stranger'), 40);
      run(n, 100, 5_000);
      assert.equal(n.stats().histories, 3, 'kept for expireAfterMs after it was last seen');
      run(n, 5_100, 7_000);
      assert.equal(n.stats().histories, 2, 'aged out: no announcement, no link, no dial');
      assert.equal(n.historyOf(idOf('alice')).failuresInRow, 1, 'a member keeps its own');
    },
  );
});
