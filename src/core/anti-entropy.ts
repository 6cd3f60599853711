/**
 * Anti-entropy (PROTOCOL.md §5): what repairs whatever lazy push missed — a lost message, a link that
 * came up late, a node back from an absence.
 *  - "On link-up, the node with the smaller id sends a SUMMARY; the other compares it with its own." One
 *    side opens, so a link-up costs one exchange, not two crossing ones.
 *  - "On a SUMMARY that differs from its own, a node answers with a DIGEST of everything it gossips."
 *  - "On a DIGEST, a node pushes every announcement the peer lacks and asks with IWANT for every one it
 *    lacks itself."
 *  - "Every `antiEntropyMs`, a node sends a SUMMARY to one random link." The period is jittered to
 *    [0.5, 1.5) × `antiEntropyMs` so that nodes do not fall into step; the first one after the node's first
 *    link comes within [0, 1) × `antiEntropyMs`.
 *
 * A SUMMARY is the table's count and fingerprint (20 bytes or so), so a quiet grid costs one small message
 * per node per period; a DIGEST lists only gossiped (fresh) origins, so stale ones are never offered.
 */
import type { CoreConfig } from './config.ts';
import type { Dissemination } from './dissemination.ts';
import { equalBytes } from './bytes.ts';
import type { NodeId, Tag } from './identity.ts';
import type { Links } from './links.ts';
import { MessageType, type Ref, encodeRefs, encodeSummary } from './messages.ts';
import type { Outbox } from './outbox.ts';
import { type Random, jittered } from './random.ts';
import { type Table, refNewer, refOf } from './table.ts';

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
    if (count === this.table.gossiped && equalBytes(fingerprint, this.table.fingerprint)) return;
    const refs = this.table.gossipedRefs();
    for (const part of encodeRefs(MessageType.Digest, refs, this.config.maxMessageBytes))
      this.outbox.send(from, part);
  }

  /** The peer listed what it holds: push what it lacks, ask for what we lack. */
  onDigest(from: NodeId, refs: readonly Ref[], now: number): void {
    const theirs = new Map<Tag, Ref>();
    for (const ref of refs) theirs.set(ref.tag, ref);
    const push: Ref[] = [];
    for (const entry of this.table.values()) {
      if (!entry.gossiped) continue;
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
