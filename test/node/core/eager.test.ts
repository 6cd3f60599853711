/**
 * Eager push trees (PROTOCOL.md §5, eager.ts), one node driven by hand: which links get a PUSH, an IHAVE,
 * a PRUNE or a GRAFT, and when. Message types by their first byte: 3 IHAVE, 5 ANNOUNCE, 9 PRUNE, 10 GRAFT,
 * 11 PUSH.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type GossipNode,
  MessageType,
  type Output,
  decodeMessage,
  encodeAnnounce,
  encodePrune,
  encodeRefs,
  tagOf,
} from '../../../src/core/index.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { rule } from '../rules.ts';
import { countingVerify, envelope, idOf, keyOf, node } from './fixtures.ts';

type Send = Extract<Output, { type: 'send' }>;
const sends = (out: readonly Output[]) => out.filter((o): o is Send => o.type === 'send');
const to = (out: readonly Output[], type: number) =>
  sends(out)
    .filter((o) => o.bytes[0] === type)
    .map((o) => o.to)
    .sort();
const ids = (...names: string[]) => names.map(idOf).sort();
const push = (...envs: Uint8Array[]) => encodeAnnounce(envs, 1 << 18, MessageType.Push)[0]!;
const announce = (...envs: Uint8Array[]) => encodeAnnounce(envs, 1 << 18)[0]!;
const aliceTag = tagOf(keyOf('alice').publicKey);
const v = (seqnum: number) => envelope('alice', { seqnum, nickname: `v${seqnum}` });
const hash32 = (env: Uint8Array) => {
  const h = sha256(env);
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
};
const refOf = (env: Uint8Array, seqnum: number) => ({ tag: aliceTag, seqnum, hash32: hash32(env) });

/** A node linked to p1..pN, holding alice's version 1 (from p1), with `tree` grafted onto alice's tree. */
function withTree(links: number, tree: string[]): GossipNode {
  const n = node('me', { config: { ihaveDelayMs: 0 } });
  for (let i = 1; i <= links; i++) n.linkUp(idOf(`p${i}`), 0);
  n.receive(idOf('p1'), announce(v(1)), 0, countingVerify());
  const graft = encodeRefs(MessageType.Graft, [refOf(v(1), 1)], 1 << 18)[0]!;
  for (const peer of tree) n.receive(idOf(peer), graft, 0, countingVerify());
  return n;
}

describe('eager push trees', () => {
  it(
    rule(
      "A new version goes at once as PUSH to its origin's tree links, except the one it came by and those known to have them; IHAVE goes to at most `lazyFanout` of the other links, or to all of them if the version came other than by PUSH.",
    ),
    () => {
      const n = withTree(5, ['p2', 'p3']);
      const out = n.receive(idOf('p1'), push(v(2)), 1, countingVerify());
      assert.deepEqual(to(out, MessageType.Push), ids('p2', 'p3'), 'PUSH in the same input, to the tree');
      const ihaves = to(out, MessageType.IHave);
      assert.equal(ihaves.length, n.config.lazyFanout);
      assert.ok(
        ihaves.every((id) => ids('p4', 'p5').includes(id)),
        'IHAVE only off the tree',
      );
      // Arrived other than by PUSH (here an ANNOUNCE, as a GRAFT's answer): IHAVE to every link off the tree.
      const a = withTree(5, ['p2', 'p3']);
      const answered = a.receive(idOf('p1'), announce(v(2)), 1, countingVerify());
      assert.deepEqual(to(answered, MessageType.Push), ids('p2', 'p3'));
      assert.deepEqual(to(answered, MessageType.IHave), ids('p4', 'p5'));
      // One that advertised it while it was wanted is known to have it: no PUSH to p3 then.
      const m = withTree(3, ['p2', 'p3']);
      m.receive(
        idOf('p3'),
        encodeRefs(MessageType.IHave, [refOf(v(2), 2)], 1 << 18)[0]!,
        1,
        countingVerify(),
      );
      assert.deepEqual(
        to(m.receive(idOf('p1'), push(v(2)), 2, countingVerify()), MessageType.Push),
        ids('p2'),
      );
    },
  );

  it(
    rule(
      "An origin's tree starts empty: its first version spreads by IHAVE to every link, and GRAFT builds the tree.",
    ),
    () => {
      const n = node('me', { config: { ihaveDelayMs: 0 } });
      for (const p of ['p1', 'p2', 'p3']) n.linkUp(idOf(p), 0);
      const first = n.receive(idOf('p1'), announce(v(1)), 0, countingVerify());
      assert.deepEqual(to(first, MessageType.Push), []);
      assert.deepEqual(to(first, MessageType.IHave), ids('p2', 'p3'));
      const graft = encodeRefs(MessageType.Graft, [refOf(v(1), 1)], 1 << 18)[0]!;
      assert.deepEqual(
        to(n.receive(idOf('p2'), graft, 1, countingVerify()), MessageType.Announce),
        ids('p2'),
      );
      const second = n.receive(idOf('p1'), push(v(2)), 2, countingVerify());
      assert.deepEqual(to(second, MessageType.Push), ids('p2'), 'p2 grafted: it is in the tree now');
      assert.deepEqual(to(second, MessageType.IHave), ids('p3'));
    },
  );

  it(
    rule(
      "A version heard of only by IHAVE is waited for `graftTimeoutMs`; then the advertiser is sent GRAFT, which asks for it and adds that link to the origin's tree at the advertiser.",
    ),
    () => {
      const n = node('me');
      for (const p of ['p1', 'p2']) n.linkUp(idOf(p), 0);
      const ihave = encodeRefs(MessageType.IHave, [refOf(v(1), 1)], 1 << 18)[0]!;
      assert.deepEqual(sends(n.receive(idOf('p1'), ihave, 0, countingVerify())), []);
      assert.deepEqual(sends(n.receive(idOf('p2'), ihave, 5, countingVerify())), []);
      const timeout = n.config.graftTimeoutMs;
      // Asks due within `ihaveDelayMs` go together, like IHAVEs.
      assert.deepEqual(to(n.tick(timeout - n.config.ihaveDelayMs - 1), MessageType.Graft), []);
      assert.deepEqual(to(n.tick(timeout), MessageType.Graft), ids('p1'));
      assert.deepEqual(to(n.tick(timeout + n.config.wantTimeoutMs), MessageType.Graft), ids('p2'));
      // The PUSH arriving in time: no GRAFT at all.
      const m = node('me');
      m.linkUp(idOf('p1'), 0);
      m.linkUp(idOf('p2'), 0);
      m.receive(idOf('p1'), ihave, 0, countingVerify());
      m.receive(idOf('p2'), push(v(1)), 10, countingVerify());
      assert.deepEqual(to(m.tick(timeout + 10 * n.config.wantTimeoutMs), MessageType.Graft), []);
      // At the advertiser, the GRAFT is answered and its link joins the tree.
      const s = withTree(2, []);
      const graft = encodeRefs(MessageType.Graft, [refOf(v(1), 1)], 1 << 18)[0]!;
      assert.deepEqual(
        to(s.receive(idOf('p2'), graft, 1, countingVerify()), MessageType.Announce),
        ids('p2'),
      );
      assert.deepEqual(
        to(s.receive(idOf('p1'), push(v(2)), 2, countingVerify()), MessageType.Push),
        ids('p2'),
      );
    },
  );

  it(
    rule(
      "A PUSH that is news adds the link it came by to the origin's tree; a PUSH that is a duplicate removes it, and the receiver sends PRUNE, which removes it at the sender too.",
    ),
    () => {
      const n = withTree(3, ['p2', 'p3']);
      n.receive(idOf('p1'), push(v(2)), 1, countingVerify());
      const dup = n.receive(idOf('p2'), push(v(2)), 2, countingVerify());
      assert.deepEqual(to(dup, MessageType.Prune), ids('p2'));
      const prune = sends(dup).find((o) => o.bytes[0] === MessageType.Prune)!;
      const decoded = decodeMessage(prune.bytes, 1 << 16);
      assert.ok(decoded.ok && decoded.value.type === MessageType.Prune);
      assert.deepEqual(decoded.value.tags, [aliceTag]);
      assert.equal(n.stats().dropped.duplicate, 1);
      // p2 left the tree here; p3 leaves it by its PRUNE.
      n.receive(idOf('p3'), encodePrune([aliceTag], 1 << 16)[0]!, 3, countingVerify());
      const next = n.receive(idOf('p1'), push(v(3)), 4, countingVerify());
      assert.deepEqual(to(next, MessageType.Push), []);
      // A news PUSH from p3 puts p3 in the tree again (p1 is in it since its news PUSHes).
      n.receive(idOf('p3'), push(v(4)), 5, countingVerify());
      assert.deepEqual(
        to(n.receive(idOf('p2'), push(v(5)), 6, countingVerify()), MessageType.Push),
        ids('p1', 'p3'),
      );
      // A duplicate that came as ANNOUNCE (an answer, or anti-entropy) prunes nothing.
      assert.deepEqual(to(n.receive(idOf('p1'), announce(v(5)), 7, countingVerify()), MessageType.Prune), []);
    },
  );

  it('PRUNE and GRAFT are decoded defensively: counts beyond the bytes are dropped and counted', () => {
    const n = node('me');
    n.linkUp(idOf('p1'), 0);
    const prune = encodePrune([aliceTag, aliceTag], 1 << 16)[0]!;
    n.receive(idOf('p1'), prune.subarray(0, prune.length - 3), 0, countingVerify());
    n.receive(idOf('p1'), Uint8Array.of(MessageType.Prune, 0xff, 0x01), 0, countingVerify());
    const graft = encodeRefs(MessageType.Graft, [refOf(v(1), 1)], 1 << 18)[0]!;
    n.receive(idOf('p1'), graft.subarray(0, graft.length - 1), 0, countingVerify());
    assert.equal(n.stats().dropped['malformed-message'], 3);
    // A PRUNE or GRAFT for an origin not held changes nothing and answers nothing.
    assert.deepEqual(sends(n.receive(idOf('p1'), prune, 0, countingVerify())), []);
    assert.deepEqual(to(n.receive(idOf('p1'), graft, 0, countingVerify()), MessageType.Announce), []);
    assert.equal(n.stats().dropped['want-unavailable'], 1);
  });

  it('flooding (the baseline) pushes every new version to every link but the one it came by, and never prunes', () => {
    const n = node('me', { dissemination: 'flood' });
    for (const p of ['p1', 'p2', 'p3']) n.linkUp(idOf(p), 0);
    assert.deepEqual(
      to(n.receive(idOf('p1'), announce(v(1)), 0, countingVerify()), MessageType.Push),
      ids('p2', 'p3'),
    );
    assert.deepEqual(to(n.receive(idOf('p2'), push(v(1)), 1, countingVerify()), MessageType.Prune), []);
    assert.deepEqual(to(n.tick(10_000), MessageType.IHave), []);
  });
});
