/**
 * How many members of this node's table one member may have brought in (SECURITY-REVIEW finding 7:
 * a member with the right to invite mints members until `maxOrigins` is full, and a real newcomer is
 * dropped grid-wide).
 *
 * Rules:
 * - "A member's direct invitees count against its issuer": at most `maxPerIssuer` (`issuer-full`).
 * - "A member counts against every non-admin member above it in its chain": at most `maxPerSubtree`
 *   per such member (`subtree-full`). Without this a chain of Sybils gets round the first rule — each
 *   minted member mints its own 256, so one member's subtree could fill any table. Members certified by
 *   the grid key (founders) and admins are not bounded: they run the grid, and an admin's subtree may be
 *   most of it. One-time invitation keys in a chain count like any member (each has one invitee).
 * Pure bookkeeping: the caller says who was admitted with which chain, and who was forgotten.
 */
import { type Certificate, type NodeId, nodeIdString } from '../core/index.ts';

export const issuerQuotaDefaults = {
  // Inviting is by hand; a few hundred is a large family.
  maxPerIssuer: 256,
  // A tenth of the default `maxOrigins` (10,000): a member's whole family tree, however deep, fills at
  // most that much of a table, so a Sybil member leaves room for nine such trees and every honest one.
  maxPerSubtree: 1_000,
} as const;

export type IssuerQuotaReason = 'issuer-full' | 'subtree-full';

export class IssuerQuota {
  private readonly counts = new Map<NodeId, number>();
  private readonly subtrees = new Map<NodeId, number>();
  /** What each admitted member was counted against, to give back when it goes. */
  private readonly charged = new Map<NodeId, { issuer?: NodeId; above: NodeId[] }>();

  constructor(
    private readonly maxPerIssuer: number = issuerQuotaDefaults.maxPerIssuer,
    private readonly maxPerSubtree: number = issuerQuotaDefaults.maxPerSubtree,
  ) {}

  /** Counts a new member `id` with its `chain` (grid key first) and direct issuer; a reason if over. */
  admit(
    id: NodeId,
    chain: readonly Certificate[],
    issuer: NodeId | undefined,
  ): IssuerQuotaReason | undefined {
    if (this.charged.has(id)) return undefined;
    if (issuer !== undefined && (this.counts.get(issuer) ?? 0) >= this.maxPerIssuer) return 'issuer-full';
    const above: NodeId[] = [];
    // chain[0] is certified by the grid key (a founder); the last certificate is the member's own.
    for (let i = 1; i < chain.length - 1; i++) {
      const c = chain[i]!;
      if (c.role === 'admin') continue;
      above.push(nodeIdString(c.subject));
    }
    if (above.some((a) => (this.subtrees.get(a) ?? 0) >= this.maxPerSubtree)) return 'subtree-full';
    if (issuer !== undefined) this.counts.set(issuer, (this.counts.get(issuer) ?? 0) + 1);
    for (const a of above) this.subtrees.set(a, (this.subtrees.get(a) ?? 0) + 1);
    this.charged.set(id, { ...(issuer !== undefined ? { issuer } : {}), above });
    return undefined;
  }

  /** `id` is gone from this node's view: what it was counted against is given back. */
  forget(id: NodeId): void {
    const charge = this.charged.get(id);
    if (!charge) return;
    this.charged.delete(id);
    if (charge.issuer !== undefined) decrement(this.counts, charge.issuer);
    for (const a of charge.above) decrement(this.subtrees, a);
  }

  clear(): void {
    this.counts.clear();
    this.subtrees.clear();
    this.charged.clear();
  }

  /** The largest subtree counted here (for `stats()`). */
  get largestSubtree(): number {
    let most = 0;
    for (const n of this.subtrees.values()) most = Math.max(most, n);
    return most;
  }
}

function decrement(map: Map<NodeId, number>, key: NodeId): void {
  const n = (map.get(key) ?? 1) - 1;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
