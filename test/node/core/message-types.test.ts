/**
 * One link, one byte of type per message: gossip (messages.ts) and the revocation set's reconciliation
 * (revocation-sync.ts) share it, so no two of their types may share a number. Eager push's PRUNE, GRAFT
 * and PUSH once reused 6, 7 and 8 of REVOKED_SUMMARY, REVOKED_IDS and REVOKED: a browser node (always
 * built with a revocation set) handed every PUSH to the revocation sync, which dropped it, while the
 * simulator (no revocation set) never noticed. Here nodes are built as the browser builds them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type GossipNode,
  MessageType,
  type Output,
  encodeAnnounce,
  encodePrune,
  encodeRefs,
  equalBytes,
  tagOf,
} from '../../../src/core/index.ts';
import { REVOKED, REVOKED_IDS, REVOKED_SUMMARY } from '../../../src/core/revocation-sync.ts';
import { countingVerify, envelope, idOf, keyOf, node } from './fixtures.ts';
import { testGrid } from './membership-fixtures.ts';
import { rule } from '../rules.ts';

const G = testGrid('message types');
const v = (seqnum: number) => envelope('alice', { seqnum, nickname: `v${seqnum}` });
const push = (env: Uint8Array) => encodeAnnounce([env], 1 << 18, MessageType.Push)[0]!;
const hash32 = (env: Uint8Array) => {
  const h = sha256(env);
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
};
const aliceTag = tagOf(keyOf('alice').publicKey);
const sentTypes = (out: readonly Output[], to: string) =>
  out.filter((o) => o.type === 'send' && o.to === idOf(to)).map((o) => (o.type === 'send' ? o.bytes[0] : 0));

/** A node as the browser builds it: with the grid's revocation set, linked to p1..p3. */
function browserLike(): GossipNode {
  const n = node('me', { revocations: G.membership(), config: { ihaveDelayMs: 0 } });
  for (const p of ['p1', 'p2', 'p3']) n.linkUp(idOf(p), 0);
  return n;
}

describe('message types', () => {
  it(rule('Every message type has one number on a link, gossip and revocation sync together.'), () => {
    const gossip = [
      MessageType.Summary,
      MessageType.Digest,
      MessageType.IHave,
      MessageType.IWant,
      MessageType.Announce,
      MessageType.Prune,
      MessageType.Graft,
      MessageType.Push,
      MessageType.Buckets,
      MessageType.Subdigest,
    ];
    const revocation = [REVOKED_SUMMARY, REVOKED_IDS, REVOKED];
    const all = [...gossip, ...revocation];
    assert.equal(new Set(all).size, all.length, `types ${all.join(', ')}`);
  });

  it('a node with a revocation set takes a PUSH, answers a GRAFT and obeys a PRUNE', () => {
    const n = browserLike();
    const verify = countingVerify();
    n.receive(idOf('p1'), push(v(1)), 1, verify);
    assert.ok(equalBytes(n.envelopeOf(idOf('alice')) ?? new Uint8Array(), v(1)), 'the PUSH was taken');
    // The same payload by PUSH again is a duplicate: that link is pruned, and told so.
    const dup = n.receive(idOf('p2'), push(v(1)), 2, verify);
    assert.deepEqual(sentTypes(dup, 'p2'), [MessageType.Prune]);
    // A GRAFT is answered with the payload.
    const graft = encodeRefs(
      MessageType.Graft,
      [{ tag: aliceTag, seqnum: 1, hash32: hash32(v(1)) }],
      1 << 18,
    )[0]!;
    assert.deepEqual(sentTypes(n.receive(idOf('p3'), graft, 3, verify), 'p3'), [MessageType.Announce]);
    // p3 grafted and p2 was pruned: the next version goes by PUSH to p3 only.
    n.receive(idOf('p2'), encodePrune([aliceTag], 1 << 18)[0]!, 4, verify);
    const next = n.receive(idOf('p1'), push(v(2)), 5, verify);
    assert.deepEqual(sentTypes(next, 'p3'), [MessageType.Push]);
    assert.ok(!sentTypes(next, 'p2').includes(MessageType.Push));
    const { dropped } = n.stats();
    assert.deepEqual(
      Object.keys(dropped).filter((k) => k !== 'duplicate'),
      [],
      `nothing but the duplicate dropped: ${JSON.stringify(dropped)}`,
    );
  });
});
