/**
 * Anti-entropy (PROTOCOL.md §5): what repairs whatever lazy push missed — a lost message, a link that
 * came up late, a node back from an absence.
 *  - "On link-up, the node with the smaller id sends a SUMMARY; the other compares it with its own." One
 *    side opens, so a link-up costs one exchange, not two crossing ones.
 *  - "On a SUMMARY that differs from its own, a node answers with a DIGEST of everything it gossips while
 *    it or the peer gossips fewer than 64 announcements, and with BUCKETS otherwise."
 *  - "On BUCKETS, a node answers with a SUBDIGEST of the buckets whose fingerprints differ from its own."
 *  - "On a DIGEST, a node pushes every announcement the peer lacks and asks with IWANT for every one it
 *    lacks itself." A SUBDIGEST is a DIGEST of the buckets it names, and what the peer lacks is judged in
 *    those buckets only.
 *  - "Every `antiEntropyMs`, a node sends a SUMMARY to one random link." The period is jittered to
 *    [0.5, 1.5) × `antiEntropyMs` so that nodes do not fall into step; the first one after the node's first
 *    link comes within [0, 1) × `antiEntropyMs`.
 *
 * A SUMMARY is the table's count and fingerprint (20 bytes or so), so a quiet grid costs one small message
 * per node per period; a DIGEST lists only gossiped (fresh) origins, so stale ones are never offered.
 *
 * Why buckets: in a busy grid SUMMARYs often differ only because a version is still spreading (a grid of
 * N nodes refreshes N times per `refreshIntervalMs`), and a DIGEST of everything costs 13 bytes × N for
 * that one difference — at N = 1,000 a tenth of the whole idle cost, at N = 10,000 more than the
 * refreshes themselves. BUCKETS and a SUBDIGEST of the differing buckets cost about 2 × 13 × √N bytes
 * (`bucketBits` balances the two), one more one-way trip.
 */
import type { CoreConfig } from './config.ts';
import type { Dissemination } from './dissemination.ts';
import { equalBytes } from './bytes.ts';
import type { NodeId, Tag } from './identity.ts';
import type { Links } from './links.ts';
import {
  BUCKET_FINGERPRINT_BYTES,
  MAX_BUCKET_BITS,
  MessageType,
  type Ref,
  bucketOf,
  encodeBuckets,
  encodeRefs,
  encodeSubdigest,
  encodeSummary,
} from './messages.ts';
import type { Outbox } from './outbox.ts';
import { type Random, jittered } from './random.ts';
import { refNewer, refOf } from './entry.ts';
import type { Table } from './table.ts';

export class AntiEntropy {
  private nextAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly selfId: NodeId,
    private readonly table: Table,
    private readonly links: Links,
    private readonly dissemination: Dissemination,
    private readonly outbox: Outbox,
    private readonly random: Random,
    private readonly config: CoreConfig,
    /** Also sent with every SUMMARY (the revocation set's own summary, revocation-sync.ts). */
    private readonly alongside?: (to: NodeId) => void,
  ) {}

  /** A link to `peer` is up (already in `links`). */
  linkUp(peer: NodeId, now: number): void {
    if (this.nextAt === Number.POSITIVE_INFINITY)
      this.nextAt = now + jittered(this.random, this.config.antiEntropyMs, 0, 1);
    if (this.selfId < peer) this.sendSummary(peer);
  }

  tick(now: number): void {
    if (now < this.nextAt || this.links.size === 0) return;
    this.nextAt = now + jittered(this.random, this.config.antiEntropyMs, 0.5, 1);
    const ids = [...this.links.ids()];
    this.sendSummary(ids[Math.floor(this.random.next() * ids.length)]!);
  }

  nextDeadline(): number {
    return this.links.size > 0 ? this.nextAt : Number.POSITIVE_INFINITY;
  }

  onSummary(from: NodeId, count: number, fingerprint: Uint8Array): void {
    const mine = this.table.gossiped;
    if (count === mine && equalBytes(fingerprint, this.table.fingerprint)) return;
    if (Math.min(count, mine) >= MIN_BUCKETED) {
      const bits = bucketBits(mine);
      this.outbox.send(from, encodeBuckets(bits, this.table.bucketFingerprints(bits)));
      return;
    }
    const refs = this.table.gossipedRefs();
    for (const part of encodeRefs(MessageType.Digest, refs, this.config.maxMessageBytes))
      this.outbox.send(from, part);
  }

  /** The peer's bucket fingerprints: list what we gossip in every bucket where they differ from ours. */
  onBuckets(from: NodeId, bits: number, fingerprints: Uint8Array): void {
    const ours = this.table.bucketFingerprints(bits);
    const differ: number[] = [];
    for (let b = 0; b < 1 << bits; b++) {
      const at = b * BUCKET_FINGERPRINT_BYTES;
      for (let i = at; i < at + BUCKET_FINGERPRINT_BYTES; i++)
        if (ours[i] !== fingerprints[i]) {
          differ.push(b);
          break;
        }
    }
    if (differ.length === 0) return;
    const covered = new Uint8Array(1 << bits);
    for (const b of differ) covered[b] = 1;
    const refs: Ref[] = [];
    for (const entry of this.table.values())
      if (entry.gossiped && covered[bucketOf(entry.tag, bits)]) refs.push(refOf(entry));
    for (const part of encodeSubdigest(bits, differ, refs, this.config.maxMessageBytes))
      this.outbox.send(from, part);
  }

  /** A DIGEST of only these buckets (`bits`): judge what the peer lacks in them alone. */
  onSubdigest(
    from: NodeId,
    bits: number,
    buckets: readonly number[],
    refs: readonly Ref[],
    now: number,
  ): void {
    const covered = new Uint8Array(1 << bits);
    for (const b of buckets) covered[b] = 1;
    this.onDigest(from, refs, now, (tag) => covered[bucketOf(tag, bits)] === 1);
  }

  /** The peer listed what it holds (all of it, or what `covers`): push what it lacks, ask for what we lack. */
  onDigest(from: NodeId, refs: readonly Ref[], now: number, covers?: (tag: Tag) => boolean): void {
    const theirs = new Map<Tag, Ref>();
    for (const ref of refs) theirs.set(ref.tag, ref);
    const push: Ref[] = [];
    for (const entry of this.table.values()) {
      if (!entry.gossiped || (covers && !covers(entry.tag))) continue;
      const other = theirs.get(entry.tag);
      if (!other || refNewer(entry, other)) push.push(refOf(entry));
    }
    // Sent as if the peer had grafted them: it lacked them, so with eager push the link joins their trees.
    this.dissemination.graft(from, push);
    this.dissemination.want(from, refs, now, true);
  }

  private sendSummary(to: NodeId): void {
    this.outbox.send(to, encodeSummary(this.table.gossiped, this.table.fingerprint));
    this.alongside?.(to);
  }
}

/**
 * Below this many gossiped announcements on either side a differing SUMMARY is answered with a whole
 * DIGEST (at most ~830 bytes): buckets would cost a trip and save little, and a node that holds almost
 * nothing (just joined, or back from far away) needs nearly everything anyway.
 */
const MIN_BUCKETED = 64;

/**
 * How many bucket bits to offer for `count` gossiped announcements: BUCKETS cost 8 × 2^bits bytes and a
 * SUBDIGEST of one differing bucket about 13 × count / 2^bits, so the sum is least near 4^bits = 13 ×
 * count / 8 (N = 1,000: 32 buckets; N = 10,000: 128).
 */
export function bucketBits(count: number): number {
  let bits = 0;
  while (bits < MAX_BUCKET_BITS && 16 * 4 ** bits < 13 * count) bits++;
  return bits;
}
