/**
 * The membership guard: who is let in, and what happens to those an admin revokes.
 *
 * Rules (PROTOCOL.md §8; the checks themselves are `core/membership.ts`'s):
 * - Every announcement is admitted only with a valid membership; the facts of the latest admitted one
 *   (role, inviter, goodbye flag) are what `getPeers()` shows. A refusal is counted and reported, never
 *   thrown.
 * - A member restored from storage at start is not news: no `join` or `leave` activity for it.
 * - Revocations are believed only if an admin of the grid signed them (GridMembership checks). They form
 *   the grid's revocation set: persisted as soon as learned, loaded (and checked again) before a run
 *   restores its announcements, and reconciled with every link by the core (revocation-sync.ts). Newly
 *   learned ones evict the revoked node from the core, cut its link, and evict every member whose chain
 *   they void (the revoked node's whole subtree, and those it witnessed).
 * - "Only a founder's chain revokes a founder's node": this node refuses to sign such a revocation, and
 *   one from elsewhere neither expels a founder nor cuts a link to one.
 * - A link from a revoked node is refused, and the node is told why (a notice carrying the signed
 *   revocation), so it stops trying. A notice naming this node makes it leave the grid.
 * - "A node whose redemption lost is told": an announcement refused as `invite-used` makes this node send
 *   its origin the winning chain (once per origin per run); a node shown a winning chain for its own
 *   invitation checks it and, if it holds, leaves the grid with that reason.
 * - Side effects of `admit` are deferred to a microtask: it runs inside a core input.
 */
import { IssuerQuota, issuerQuotaDefaults } from './issuer-quota.ts';
import {
  CERT_INVITATION,
  type Certificate,
  type GossipNode,
  type GridMembership,
  type MemberRole,
  type NodeId,
  type Output,
  type Revocation,
  decodeBody,
  decodeEnvelope,
  decodeMembership,
  encodeMembership,
  encodeRevocationRecord,
  equalBytes,
  nodeIdString,
  parseNodeId,
  revocationId,
  revocationMessage,
  signedRevocation,
  toHex,
} from '../core/index.ts';
import type { Signer } from '../crypto/ed25519.ts';
import type { SigCheck } from '../core/certificate.ts';
import { base64urlDecode, base64urlEncode } from '../net/seal.ts';
import { type ActiveGrid, membershipFor } from './grids.ts';
import type { ActivityKind } from './types.ts';

/** What the node knows of another member from its latest admitted announcement. */
export interface MemberFacts {
  role: MemberRole;
  invitedBy: NodeId | undefined;
  leaving: boolean;
  /** Certified by the grid key itself. */
  founder: boolean;
  /** The one-time public key (hex) of the invitation it joined with, if it joined with one. */
  inviteKey?: string;
}

/** A request this node's own role forbids (a programmer's or a person's mistake, not peer input). */
export class MembershipError extends Error {
  override name = 'MembershipError';
}

/** Origins told of a lost redemption, per run, at most (then the memory starts over). */
const MAX_TOLD = 1_024;

export interface GuardDeps {
  publicKey: Uint8Array;
  signer: Signer;
  active(): ActiveGrid | undefined;
  activity(kind: ActivityKind, id?: string, reason?: string): void;
  input(step: (core: GossipNode, now: number) => Output[]): Promise<void>;
  closeLink(peer: NodeId): void;
  sendSignal(payload: Record<string, unknown>, to: NodeId): void;
  saveRevocation(gridHex: string, idHex: string, record: Uint8Array): Promise<void>;
  /** This node was revoked, or lost the race for its invitation: leave the grid. */
  expelled(reason: 'revoked' | 'invite-used'): Promise<void>;
  /** The signature check of the membership rules: the run's cache, filled before each input. */
  sigCheck?: SigCheck;
  /** Fills that cache for the held announcements before they are judged again (revocations arrived). */
  preverifyHeld?(): Promise<void>;
  /** Fills it for a membership field (no budget: this node's own chain, or one already let through). */
  preverify?(membershipBytes: Uint8Array): Promise<unknown>;
  /** Members admitted per issuer, at most (`maxOriginsPerIssuer`; default `guardDefaults`). */
  maxOriginsPerIssuer?: number;
  /** Members admitted below one non-admin member, at most (issuer-quota.ts). */
  maxOriginsPerSubtree?: number;
}

export const guardDefaults = {
  // Members one issuer (the member whose certificate or invitation admitted them) may have in this node's
  // table. Inviting is by hand; a few hundred is a large family. Without it, a member with the right to
  // invite mints members directly until `maxOrigins` is full and a real newcomer is dropped grid-wide
  // (SECURITY-REVIEW finding 7). Founders (certified by the grid key) are not counted.
  maxOriginsPerIssuer: issuerQuotaDefaults.maxPerIssuer,
  // ... and below one non-admin member at any depth, so a chain of Sybils cannot get round the first.
  maxOriginsPerSubtree: issuerQuotaDefaults.maxPerSubtree,
} as const;

export class MembershipGuard {
  membership: GridMembership | undefined;
  readonly members = new Map<NodeId, MemberFacts>();
  /** Members by the one-time key of the invitation they joined with (invite-book.ts reads it). */
  readonly byInviteKey = new Map<string, NodeId>();
  /** Membership refusals made here, beyond the core's drops: witness requests and links refused. */
  readonly refused: Record<string, number> = {};
  /** This node is saying goodbye: its membership field carries the flag. */
  leaving = false;
  restoring = false;
  private readonly told = new Set<NodeId>();
  /** Members here by issuer and by subtree (issuer-quota.ts). */
  private readonly quota: IssuerQuota;
  /** When a lost-redemption proof was last checked: at most one per second costs signature checks. */
  private proofCheckedAt = 0;

  constructor(private readonly deps: GuardDeps) {
    this.quota = new IssuerQuota(
      deps.maxOriginsPerIssuer ?? guardDefaults.maxOriginsPerIssuer,
      deps.maxOriginsPerSubtree ?? guardDefaults.maxOriginsPerSubtree,
    );
  }

  /**
   * A run of `grid` starts (or, with none, ends): its membership rules, no members known yet, and the
   * stored revocation set, checked again, learned quietly (they are not news).
   */
  reset(grid: ActiveGrid | undefined, stored: readonly Uint8Array[] = []): void {
    this.membership = grid ? membershipFor(grid, this.deps.sigCheck) : undefined;
    this.members.clear();
    this.byInviteKey.clear();
    this.quota.clear();
    this.told.clear();
    const m = this.membership;
    if (!m) return;
    for (const record of stored) m.learnRevocationRecord(record, Date.now());
    m.onLearned = (v) => queueMicrotask(() => void this.onRevocations([v], false));
  }

  /** This node's own membership field: descriptor, chain and a goodbye flag (revocations travel apart). */
  ownMembership(): Uint8Array {
    const grid = this.deps.active();
    if (!grid?.descriptor) return new Uint8Array(0);
    return encodeMembership({
      descriptor: grid.descriptor,
      chain: grid.chain,
      revocations: [],
      leaving: this.leaving,
    });
  }

  /** The core's admission rule, for grids with membership. */
  admit(origin: Uint8Array, membershipBytes: Uint8Array, now: number) {
    const id = nodeIdString(origin);
    const result = this.membership!.admit(origin, membershipBytes, now);
    if (result.learned && result.learned.length > 0) {
      const learned = result.learned;
      queueMicrotask(() => void this.onRevocations(learned, true));
    }
    if (!result.ok) {
      queueMicrotask(() => this.deps.activity('rejected', id, result.reason));
      if (result.spent) this.tellLoser(id, result.spent);
      return result.reason;
    }
    const before = this.members.get(id);
    const decoded = decodeMembership(membershipBytes);
    const invitation = decoded.ok ? decoded.value.chain.at(-2) : undefined;
    const facts: MemberFacts = {
      role: result.check.role,
      invitedBy: result.check.invitedBy ? nodeIdString(result.check.invitedBy) : undefined,
      leaving: result.membership.leaving,
      founder: decoded.ok && decoded.value.chain.length === 1,
      ...(invitation?.kind === CERT_INVITATION ? { inviteKey: toHex(invitation.subject) } : {}),
    };
    if (!before) {
      const over = this.quota.admit(id, decoded.ok ? decoded.value.chain : [], facts.invitedBy);
      if (over) {
        this.refused[over] = (this.refused[over] ?? 0) + 1;
        return over;
      }
    }
    this.members.set(id, facts);
    if (facts.inviteKey) this.byInviteKey.set(facts.inviteKey, id);
    if (!this.restoring) {
      if (facts.leaving && !before?.leaving) queueMicrotask(() => this.deps.activity('leave', id));
      else if (!before) queueMicrotask(() => this.deps.activity('join', id));
    }
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

  /** An admin revokes a member: the signed revocation joins the grid's set and spreads over links. */
  async revoke(id: string, selfId: NodeId): Promise<void> {
    const grid = this.deps.active();
    const key = parseNodeId(id);
    if (!grid || !this.membership || grid.role !== 'admin')
      throw new MembershipError('only an admin can revoke');
    if (!key || id === selfId) throw new MembershipError('not a member id');
    if (this.isFounder(id as NodeId) && grid.chain.length !== 1)
      throw new MembershipError('only a founder can revoke a founder');
    // The revocation carries this node's chain, checked with it (its results may have left the cache).
    await this.deps.preverify?.(this.ownMembership());
    const now = Date.now();
    const { publicKey } = this.deps;
    const fields = { gridId: grid.id, revoker: publicKey, revoked: key, revokedAt: now };
    const signature = await this.deps.signer.sign(revocationMessage(grid.id, publicKey, key, now));
    const revocation = signedRevocation(fields, signature, grid.chain);
    if (this.membership.addRevocation(revocation, now)) await this.onRevocations([revocation], true);
  }

  /** A member told us of a revocation (ours, presumably): believe it only if an admin signed it. */
  async onRevokedNotice(notice: unknown): Promise<void> {
    const bytes = typeof notice === 'string' ? base64urlDecode(notice) : undefined;
    const decoded = bytes && decodeMembership(bytes);
    if (!decoded || !decoded.ok || !this.membership) return;
    // The session verified it within the sender's budget already; this finds the results (or waits).
    await this.deps.preverify?.(bytes);
    if (!this.membership) return;
    const learned = decoded.value.revocations.filter((v) => this.membership!.addRevocation(v, Date.now()));
    if (learned.length > 0) await this.onRevocations(learned, true);
  }

  /**
   * A member showed us the chain that redeemed our invitation first. It counts only if it checks as a
   * chain, redeems the very one-time key our own chain does, and wins over ours by the redemption rule.
   */
  async onInviteUsed(proof: unknown): Promise<void> {
    const grid = this.deps.active();
    const m = this.membership;
    const bytes = typeof proof === 'string' ? base64urlDecode(proof) : undefined;
    const decoded = bytes && decodeMembership(bytes);
    if (!grid || !m || !decoded || !decoded.ok) return;
    const oneTimeKey = redeemedKey(grid.chain);
    const theirs = decoded.value.chain;
    if (!oneTimeKey || !equalBytes(redeemedKey(theirs) ?? new Uint8Array(0), oneTimeKey)) return;
    if (Date.now() - this.proofCheckedAt < 1_000) return;
    this.proofCheckedAt = Date.now();
    await Promise.all([this.deps.preverify?.(this.ownMembership()), this.deps.preverify?.(bytes)]);
    const now = Date.now();
    m.checkChain(grid.chain, this.deps.publicKey, now);
    m.checkChain(theirs, theirs.at(-1)!.subject, now);
    const winner = m.redeemedBy(oneTimeKey);
    if (!winner || equalBytes(winner, this.deps.publicKey)) return;
    this.deps.activity('rejected', nodeIdString(this.deps.publicKey), 'invite-used');
    await this.deps.expelled('invite-used');
  }

  private isFounder(id: NodeId): boolean {
    const grid = this.deps.active();
    const key = parseNodeId(id);
    const first = grid?.chain[0];
    return (
      (key !== undefined && first !== undefined && equalBytes(first.subject, key)) ||
      !!this.members.get(id)?.founder
    );
  }

  private isRevoked(id: NodeId): boolean {
    const key = parseNodeId(id);
    return key !== undefined && this.membership?.isRevoked(key, this.isFounder(id)) === true;
  }

  /**
   * Newly learned revocations: persist them, forget the revoked nodes and everyone whose chain they void,
   * cut those links; `spread`: also send them on every link (those learned over links were sent on by
   * the core already).
   */
  private async onRevocations(revocations: readonly Revocation[], spread: boolean): Promise<void> {
    const grid = this.deps.active();
    if (!grid) return;
    await Promise.all(
      revocations.map((v) =>
        this.deps
          .saveRevocation(grid.hex, toHex(revocationId(v)), encodeRevocationRecord(v))
          .catch(() => undefined),
      ),
    );
    if (this.isRevoked(nodeIdString(this.deps.publicKey))) return this.expel();
    await this.deps.preverifyHeld?.();
    return this.deps.input((core, now) => {
      const out: Output[] = [];
      const gone = new Set<NodeId>();
      for (const v of revocations) {
        const id = nodeIdString(v.revoked);
        if (!this.isRevoked(id)) continue;
        gone.add(id);
        this.deps.activity('revoked', id);
      }
      // The revoked nodes' subtrees, and those they witnessed: their held announcements no longer admit.
      for (const id of this.members.keys())
        if (!gone.has(id) && !this.stillAdmits(core, id, now)) gone.add(id);
      for (const id of gone) {
        this.forgetMember(id);
        out.push(...core.evict(parseNodeId(id)!, now));
        this.deps.closeLink(id);
      }
      if (spread) out.push(...core.spreadRevocations(revocations.map(encodeRevocationRecord), now));
      return out;
    });
  }

  /** A member is gone from this node's view: it no longer counts for its issuer. */
  forgetMember(id: NodeId): void {
    const facts = this.members.get(id);
    if (facts?.inviteKey && this.byInviteKey.get(facts.inviteKey) === id)
      this.byInviteKey.delete(facts.inviteKey);
    this.members.delete(id);
    this.quota.forget(id);
  }

  /** Whether the announcement held for `id` still passes the membership check. */
  private stillAdmits(core: GossipNode, id: NodeId, now: number): boolean {
    const envelope = core.envelopeOf(id);
    const decoded = envelope && decodeEnvelope(envelope, core.config.maxBodyBytes);
    const body = decoded && decoded.ok ? decodeBody(decoded.value.body) : undefined;
    if (!body || !body.ok || !this.membership) return false;
    const result = this.membership.admit(parseNodeId(id)!, body.value.membership, now);
    if (!result.ok) this.deps.activity('rejected', id, result.reason);
    return result.ok;
  }

  private expel(): Promise<void> {
    if (!this.deps.active()) return Promise.resolve();
    this.deps.activity('revoked', nodeIdString(this.deps.publicKey));
    return this.deps.expelled('revoked');
  }

  private tellRevoked(peer: NodeId): void {
    const key = parseNodeId(peer);
    const v = key && this.membership?.revocationsOf(key)[0];
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

  /** Shows the origin of a losing redemption the chain that won (once per origin per run). */
  private tellLoser(peer: NodeId, oneTimeKey: Uint8Array): void {
    const grid = this.deps.active();
    const proof = this.membership?.redemptionProof(oneTimeKey);
    if (!proof || !grid?.descriptor || this.told.has(peer)) return;
    if (this.told.size >= MAX_TOLD) this.told.clear();
    this.told.add(peer);
    const chain = encodeMembership({
      descriptor: grid.descriptor,
      chain: proof,
      revocations: [],
      leaving: false,
    });
    queueMicrotask(() => this.deps.sendSignal({ t: 'invite-used', proof: base64urlEncode(chain) }, peer));
  }
}

/** The one-time key a chain's last certificate redeemed, if it ends in a redemption. */
function redeemedKey(chain: readonly Certificate[]): Uint8Array | undefined {
  const invitation = chain.at(-2);
  return invitation?.kind === CERT_INVITATION ? invitation.subject : undefined;
}
