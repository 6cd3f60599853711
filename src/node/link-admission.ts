/**
 * Links for members only (PROTOCOL.md §9): a proved peer's link comes up only if the membership field it
 * presented with its proof passes the same rules as an announcement's.
 *
 * Rules:
 * - "A link is admitted only if the membership field presented with its proof holds this grid's
 *   descriptor and a valid chain to the proved key, and that key is not revoked." The check is the
 *   chain check of announcements (`GridMembership.checkChain`); revocations a link carries are not
 *   learned here (only announcements and notices teach them, through the guard).
 * - A refusal is counted under `link-<reason>` and shown in the activity log; a revoked node is also
 *   told why (the guard's notice), so it stops trying.
 * - "When revocations arrive, every link is checked again, and those that no longer pass are closed."
 * - An open (development) grid has no membership: every proved link is admitted.
 *
 * - The signatures of the membership presented are verified asynchronously first (WebCrypto, cached),
 *   within the sender's budget; over it the link is refused as `verify-budget` (receive-budgets.ts).
 *
 * The membership each linked peer presented is kept (bounded by the mesh's link count) for the re-check.
 */
import { type GridMembership, type NodeId, decodeMembership, parseNodeId } from '../core/index.ts';
import type { MembershipGuard } from './guard.ts';

/** Why `membershipBytes` does not make `key` a member in good standing, or undefined if it does. Pure. */
export function linkMembershipReason(
  membership: GridMembership,
  key: Uint8Array,
  membershipBytes: Uint8Array,
  now: number,
): string | undefined {
  if (membershipBytes.length === 0) return 'not-member';
  const decoded = decodeMembership(membershipBytes);
  if (!decoded.ok) return 'malformed-membership';
  if (!membership.descriptorValid(decoded.value.descriptor)) return 'foreign-descriptor';
  const check = membership.checkChain(decoded.value.chain, key, now);
  if (!check.ok) return check.reason;
  if (membership.isRevoked(key, decoded.value.chain.length === 1)) return 'revoked';
  return undefined;
}

export class LinkAdmission {
  private readonly presented = new Map<NodeId, Uint8Array>();

  constructor(
    private readonly guard: MembershipGuard,
    private readonly now: () => number,
    /** Verifies the field's signatures into the cache; false: over the sender's budget. */
    private readonly preverify: (peer: NodeId, membershipBytes: Uint8Array) => Promise<boolean> = async () =>
      true,
    /** The same for a membership presented earlier, checked again (no budget: it passed once). */
    private readonly preverifyAgain: (membershipBytes: Uint8Array) => Promise<unknown> = async () => true,
  ) {}

  /** The mesh's `admit`: undefined to let the link up, else the reason it is refused. */
  async admit(peer: NodeId, membershipBytes: Uint8Array): Promise<string | undefined> {
    if (!this.guard.membership) return undefined;
    if (!(await this.preverify(peer, membershipBytes))) {
      this.guard.refuse('link-verify-budget', peer);
      return 'verify-budget';
    }
    const membership = this.guard.membership;
    if (!membership) return 'not-member';
    // The guard refuses (and tells) revoked nodes; its count is `revoked-link`.
    if (!this.guard.admitLink(peer)) return 'revoked';
    const reason = linkMembershipReason(membership, parseNodeId(peer)!, membershipBytes, this.now());
    if (reason !== undefined) {
      this.guard.refuse(`link-${reason}`, peer);
      return reason;
    }
    this.presented.set(peer, membershipBytes);
    return undefined;
  }

  /** A link went down: its membership is no longer needed. */
  forget(peer: NodeId): void {
    this.presented.delete(peer);
  }

  /**
   * Re-checks every admitted link (revocations arrived); resolves with the peers whose links must close.
   * The memberships' signatures are verified again first (their results may have left the cache).
   */
  async recheck(linked: readonly NodeId[]): Promise<NodeId[]> {
    if (!this.guard.membership) return [];
    await Promise.all(
      linked.flatMap((peer) => {
        const bytes = this.presented.get(peer);
        return bytes ? [this.preverifyAgain(bytes)] : [];
      }),
    );
    const membership = this.guard.membership;
    if (!membership) return [];
    const closing: NodeId[] = [];
    for (const peer of linked) {
      const bytes = this.presented.get(peer);
      const reason =
        bytes === undefined
          ? 'not-member'
          : linkMembershipReason(membership, parseNodeId(peer)!, bytes, this.now());
      if (reason === undefined) continue;
      this.guard.refuse(`link-${reason}`, peer);
      this.presented.delete(peer);
      closing.push(peer);
    }
    return closing;
  }

  clear(): void {
    this.presented.clear();
  }
}
