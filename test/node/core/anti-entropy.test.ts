/**
 * Anti-entropy by buckets (PROTOCOL.md §4–§5): a differing SUMMARY between two well-stocked nodes costs
 * BUCKETS and a SUBDIGEST of the differing buckets, not a DIGEST of everything.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type GossipNode,
  type NodeId,
  MessageType,
  type Output,
  type Ref,
  bucketBits,
  bucketOf,
  decodeMessage,
  encodeBuckets,
  encodeSubdigest,
  encodeSummary,
  tagOf,
} from '../../../src/core/index.ts';
import { rule } from '../rules.ts';
import { announce, countingVerify, envelope, idOf, keyOf, node } from './fixtures.ts';

const names = Array.from({ length: 80 }, (_, i) => `origin-${i}`);
const envelopes = names.map((n) => envelope(n));
const sends = (out: readonly Output[]) => out.filter((o) => o.type === 'send');
const decode = (bytes: Uint8Array) => {
  const m = decodeMessage(bytes, 1 << 20);
  assert.ok(m.ok);
  return m.value;
};

/** A node that took `envs` from a source link (then dropped), quiet, with no links. */
function holding(name: string, envs: readonly Uint8Array[]): GossipNode {
  const n = node(name, { config: { ihaveDelayMs: 0 } });
  n.linkUp(idOf('source'), 0);
  n.receive(idOf('source'), announce(...envs), 0, countingVerify());
  n.linkDown(idOf('source'), 0);
  return n;
}

/** Links two nodes and delivers until quiet; returns the types of the messages they exchanged. */
function exchange(a: GossipNode, b: GossipNode): { types: number[]; bytes: number } {
  const byId = new Map([
    [a.id, a],
    [b.id, b],
  ]);
  const queue: [NodeId, Uint8Array][] = [];
  const types: number[] = [];
  let bytes = 0;
  const push = (out: readonly Output[]) => {
    for (const o of sends(out)) if (byId.has(o.to)) queue.push([o.to, o.bytes.slice()]);
  };
  push(a.linkUp(b.id, 1));
  push(b.linkUp(a.id, 1));
  let now = 1;
  for (let guard = 0; guard < 1_000; guard++) {
    now += 30;
    const item = queue.shift();
    if (!item) {
      push(a.tick(now));
      push(b.tick(now));
      if (queue.length === 0) return { types, bytes };
      continue;
    }
    const [to, message] = item;
    types.push(message[0]!);
    bytes += message.length;
    const from = to === a.id ? b.id : a.id;
    push(byId.get(to)!.receive(from, message, now, countingVerify()));
  }
  throw new Error('did not settle');
}

const view = (n: GossipNode) =>
  n
    .getPeers()
    .map((p) => `${p.id}:${p.seqnum}`)
    .sort();

describe('anti-entropy by buckets', () => {
  it(
    rule(
      'On a SUMMARY that differs from its own, a node answers with a DIGEST of everything it gossips while it or the peer gossips fewer than 64 announcements, and with BUCKETS otherwise.',
    ),
    () => {
      const big = holding('me', envelopes);
      const zeros = new Uint8Array(16);
      const reply = (n: GossipNode, count: number) =>
        sends(n.receive(idOf('peer'), encodeSummary(count, zeros), 0, countingVerify()));
      big.linkUp(idOf('peer'), 0);
      assert.deepEqual(
        reply(big, 80).map((o) => o.bytes[0]),
        [MessageType.Buckets],
      );
      assert.deepEqual(
        reply(big, 63).map((o) => o.bytes[0]),
        [MessageType.Digest],
      );
      const small = holding('you', envelopes.slice(0, 10));
      small.linkUp(idOf('peer'), 0);
      assert.deepEqual(
        reply(small, 80).map((o) => o.bytes[0]),
        [MessageType.Digest],
      );
    },
  );

  it(
    rule(
      'On BUCKETS, a node answers with a SUBDIGEST of the buckets whose fingerprints differ from its own.',
    ),
    () => {
      const extra = envelope('extra');
      const a = holding('a', envelopes);
      const b = holding('b', [...envelopes, extra]);
      a.linkUp(b.id, 0);
      b.linkUp(a.id, 0);
      // b's BUCKETS, answering a SUMMARY; a answers with its refs in the buckets that differ: extra's.
      const [buckets] = sends(b.receive(a.id, encodeSummary(80, new Uint8Array(16)), 0, countingVerify()));
      assert.equal(buckets?.bytes[0], MessageType.Buckets);
      const bits = bucketBits(81);
      const out = sends(a.receive(b.id, buckets!.bytes, 0, countingVerify()));
      assert.equal(out.length, 1);
      const m = decode(out[0]!.bytes);
      assert.equal(m.type, MessageType.Subdigest);
      if (m.type !== MessageType.Subdigest) return;
      const extraBucket = bucketOf(tagOf(keyOf('extra').publicKey), bits);
      assert.deepEqual(m.buckets, [extraBucket]);
      for (const ref of m.refs) assert.equal(bucketOf(ref.tag, bits), extraBucket);
      assert.ok(m.refs.length < 80 / 4);
    },
  );

  it(
    rule(
      'A SUBDIGEST is a DIGEST of the buckets it names: what the peer lacks is judged in those buckets only.',
    ),
    () => {
      const a = holding('a', envelopes);
      a.linkUp(idOf('peer'), 0);
      const bits = 8;
      const bucket = bucketOf(tagOf(keyOf(names[0]!).publicKey), bits);
      const out = sends(
        a.receive(idOf('peer'), encodeSubdigest(bits, [bucket], [], 1 << 18)[0]!, 0, countingVerify()),
      );
      const sent = out.map((o) => decode(o.bytes)).flatMap((m) => ('envelopes' in m ? m.envelopes : []));
      const inBucket = names.filter((n) => bucketOf(tagOf(keyOf(n).publicKey), bits) === bucket);
      assert.equal(sent.length, inBucket.length);
    },
  );

  it('two well-stocked nodes that differ in one origin converge without a DIGEST, in a few hundred bytes', () => {
    const a = holding('a', envelopes);
    const b = holding('b', [...envelopes, envelope('extra'), envelope(names[5]!, { seqnum: 2 })]);
    const { types, bytes } = exchange(a, b);
    assert.deepEqual(view(a), view(b));
    assert.equal(a.getPeers().find((p) => p.id === idOf(names[5]!))!.seqnum, 2);
    assert.ok(!types.includes(MessageType.Digest), `types ${types.join(',')}`);
    assert.ok(types.includes(MessageType.Subdigest));
    // A DIGEST of everything would be 80 × 13 bytes on its own.
    assert.ok(bytes < 700 + 2 * 220, `${bytes} bytes`);
  });

  it('bucket bits balance BUCKETS against the SUBDIGEST', () => {
    for (const [count, bits] of [
      [0, 0],
      [64, 3],
      [1_000, 5],
      [10_000, 7],
      [1_000_000, 8],
    ] as const)
      assert.equal(bucketBits(count), bits, `${count}`);
  });

  it('BUCKETS and SUBDIGEST decode as encoded, and bad ones are refused with a reason', () => {
    const fps = new Uint8Array(8 << 3).map((_, i) => i);
    const m = decode(encodeBuckets(3, fps));
    assert.ok(m.type === MessageType.Buckets && m.bits === 3);
    assert.deepEqual([...(m as { fingerprints: Uint8Array }).fingerprints], [...fps]);
    const refs: Ref[] = [{ tag: tagOf(keyOf('x').publicKey), seqnum: 300, hash32: 0xdeadbeef }];
    const d = decode(encodeSubdigest(4, [1, 15], refs, 1 << 18)[0]!);
    assert.deepEqual(d, { type: MessageType.Subdigest, bits: 4, buckets: [1, 15], refs });
    const bad = (bytes: number[]) => decodeMessage(Uint8Array.from(bytes), 1 << 20);
    assert.deepEqual(bad([MessageType.Buckets, 9]), { ok: false, reason: 'bucket-bits' });
    assert.deepEqual(bad([MessageType.Buckets, 1, 0, 0, 0]), { ok: false, reason: 'truncated' });
    assert.deepEqual(bad([MessageType.Subdigest, 2, 1, 4, 0]), { ok: false, reason: 'bucket-out-of-range' });
    assert.deepEqual(bad([MessageType.Subdigest, 1, 3, 0, 1, 0]), {
      ok: false,
      reason: 'count-exceeds-message',
    });
  });
});
