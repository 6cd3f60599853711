/**
 * The membership guard: who is let in, and what happens to those an admin revokes.
 *
 * Rules (PROTOCOL.md, membership; the checks themselves are `core/membership.ts`'s):
 * - Every announcement is admitted only with a valid membership; the facts of the latest admitted one
 *   (role, inviter, goodbye flag) are what `getPeers()` shows. A refusal is counted and reported, never
 *   thrown.
 * - A member restored from storage at start is not news: no `join` or `leave` activity for it.
 * - Revocations are believed only if an admin of the grid signed them (GridMembership checks). Newly
 *   learned ones evict the revoked node from the core, cut its link and are repeated in this node's own
 *   membership field (the newest 16), so they spread like announcements.
 * - A link from a revoked node is refused, and the node is told why (a notice carrying the signed
 *   revocation), so it stops trying. A notice naming this node makes it leave the grid.
 * - Side effects of `admit` are deferred to a microtask: it runs inside a core input.
 */
import {
  type GossipNode,
  type GridMembership,
  type MemberRole,
  type NodeId,
  type Output,
  type Revocation,
  decodeMembership,
  encodeMembership,
  equalBytes,
  nodeIdString,
  parseNodeId,
  revocationMessage,
  signedRevocation,
} from '../core/index.ts';
import type { Signer } from '../crypto/ed25519.ts';
import { base64urlDecode, base64urlEncode } from '../net/seal.ts';
import { type ActiveGrid, membershipFor } from './grids.ts';
import type { ActivityKind } from './types.ts';

/** What the node knows of another member from its latest admitted announcement. */
export interface MemberFacts {
  role: MemberRole;
  invitedBy: NodeId | undefined;
  leaving: boolean;
}

/** How many known revocations ride in this node's own membership field. */
const REVOCATIONS_CARRIED = 16;

export interface GuardDeps {
  publicKey: Uint8Array;
  signer: Signer;
  active(): ActiveGrid | undefined;
  activity(kind: ActivityKind, id?: string, reason?: string): void;
  input(step: (core: GossipNode, now: number) => Output[]): Promise<void>;
  closeLink(peer: NodeId): void;
  sendSignal(payload: Record<string, unknown>, to: NodeId): void;
  /** This node was revoked: leave the grid. */
  expelled(): Promise<void>;
}

export class MembershipGuard {
  membership: GridMembership | undefined;
  readonly members = new Map<NodeId, MemberFacts>();
  /** Membership refusals made here, beyond the core's drops: witness requests and links refused. */
  readonly refused: Record<string, number> = {};
  /** This node is saying goodbye: its membership field carries the flag. */
  leaving = false;
  restoring = false;

  constructor(private readonly deps: GuardDeps) {}

  /** A run of `grid` starts (or, with none, ends): its membership rules, and no members known yet. */
  reset(grid: ActiveGrid | undefined): void {
    this.membership = grid ? membershipFor(grid) : undefined;
    this.members.clear();
  }

  /** This node's own membership field: descriptor, chain, the revocations it knows, and a goodbye flag. */
  ownMembership(): Uint8Array {
    const grid = this.deps.active();
    if (!grid?.descriptor) return new Uint8Array(0);
    const revocations = this.membership?.knownRevocations().slice(-REVOCATIONS_CARRIED) ?? [];
    return encodeMembership({
      descriptor: grid.descriptor,
      chain: grid.chain,
      revocations,
      leaving: this.leaving,
    });
  }

  /** The core's admission rule, for grids with membership. */
  admit(origin: Uint8Array, membershipBytes: Uint8Array, now: number) {
    const id = nodeIdString(origin);
    const result = this.membership!.admit(origin, membershipBytes, now);
    if (!result.ok) {
      queueMicrotask(() => this.deps.activity('rejected', id, result.reason));
      return result.reason;
    }
    const before = this.members.get(id);
    const facts: MemberFacts = {
      role: result.check.role,
      invitedBy: result.check.invitedBy ? nodeIdString(result.check.invitedBy) : undefined,
      leaving: result.membership.leaving,
    };
    this.members.set(id, facts);
    if (!this.restoring) {
      if (facts.leaving && !before?.leaving) queueMicrotask(() => this.deps.activity('leave', id));
      else if (!before) queueMicrotask(() => this.deps.activity('join', id));
    }
    if (result.learned.length > 0) queueMicrotask(() => void this.onRevocations(result.learned));
    return undefined;
  }

  /** Whether a link from `peer` may come up; a revoked node is refused and told why. */
  admitLink(peer: NodeId): boolean {
    if (!this.isRevoked(peer)) return true;
    this.refuse('revoked-link', peer);
    this.tellRevoked(peer);
    return false;
  }

  refuse(reason: string, id: string): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
    this.deps.activity('rejected', id, reason);
  }

  /** Whether `peer` is a member in good standing as far as this node knows. */
  isMember(peer: NodeId): boolean {
    if (!this.membership) return true;
    const facts = this.members.get(peer);
    return facts !== undefined && !facts.leaving && !this.isRevoked(peer);
  }

  /** An admin revokes a member: the signed revocation spreads like an announcement. */
  async revoke(id: string, selfId: NodeId): Promise<void> {
    const grid = this.deps.active();
    const key = parseNodeId(id);
    if (!grid || !this.membership || grid.role !== 'admin') throw new Error('only an admin can revoke');
    if (!key || id === selfId) throw new Error('not a member id');
    const now = Date.now();
    const { publicKey } = this.deps;
    const fields = { gridId: grid.id, revoker: publicKey, revoked: key, revokedAt: now };
    const signature = await this.deps.signer.sign(revocationMessage(grid.id, publicKey, key, now));
    const revocation = signedRevocation(fields, signature, grid.chain);
    if (this.membership.addRevocation(revocation, now)) await this.onRevocations([revocation]);
  }

  /** A member told us of a revocation (ours, presumably): believe it only if an admin signed it. */
  async onRevokedNotice(notice: unknown): Promise<void> {
    const bytes = typeof notice === 'string' ? base64urlDecode(notice) : undefined;
    const decoded = bytes && decodeMembership(bytes);
    if (!decoded || !decoded.ok || !this.membership) return;
    const learned = decoded.value.revocations.filter((v) => this.membership!.addRevocation(v, Date.now()));
    if (learned.length > 0) await this.onRevocations(learned);
  }

  private isRevoked(id: NodeId): boolean {
    const key = parseNodeId(id);
    return key !== undefined && this.membership?.revokedAt(key) !== undefined;
  }

  /** Newly learned revocations: forget those nodes, cut their links, and repeat the news ourselves. */
  private onRevocations(revocations: readonly Revocation[]): Promise<void> {
    if (revocations.some((v) => equalBytes(v.revoked, this.deps.publicKey))) return this.expel();
    return this.deps.input((core, now) => {
      const out: Output[] = [];
      for (const v of revocations) {
        const id = nodeIdString(v.revoked);
        out.push(...core.evict(v.revoked, now));
        this.deps.closeLink(id);
        this.deps.activity('revoked', id);
      }
      out.push(...core.setMembership(this.ownMembership()));
      return out;
    });
  }

  private expel(): Promise<void> {
    if (!this.deps.active()) return Promise.resolve();
    this.deps.activity('revoked', nodeIdString(this.deps.publicKey));
    return this.deps.expelled();
  }

  private tellRevoked(peer: NodeId): void {
    const key = parseNodeId(peer);
    const v = key && this.membership?.knownRevocations().find((r) => equalBytes(r.revoked, key));
    const grid = this.deps.active();
    if (!v || !grid?.descriptor) return;
    const notice = encodeMembership({
      descriptor: grid.descriptor,
      chain: [],
      revocations: [v],
      leaving: false,
    });
    this.deps.sendSignal({ t: 'revoked', notice: base64urlEncode(notice) }, peer);
  }
}
