/**
 * The chain rules (PROTOCOL.md §8): whether a certificate chain proves that a key belongs to the grid.
 *  - "The first certificate of a chain is issued by the grid key, and each next one by the subject of the
 *    one before."
 *  - "Only an admin, or a member whose certificate allows inviting, issues certificates; only an admin
 *    issues admin certificates."
 *  - "An invitation certifies a one-time key; the invitee signs its own node certificate with that key." A
 *    redemption certifies a node, grants no more than the invitation, and is dated no later than the
 *    invitation's expiry.
 *  - "A redemption counts only with a witness: a member that countersigns it and whose chain travels with
 *    it." Witness chains are checked like any chain except that their own redemptions need no witness
 *    (this ends the recursion; they still count against the single-use table, redemption.ts).
 *  - "A node certificate past its expiry on the receiver's clock is invalid."
 *  - "A revoked node is refused, and so is every certificate it issued at or after its revocation." A
 *    witness revoked after the redemption it witnessed still counts.
 *
 * Certificate signatures are remembered by the hash of their bytes: chains repeat in every announcement.
 * Pure: time and the signature check are passed in.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, toHex } from './bytes.ts';
import {
  CERT_INVITATION,
  CERT_NODE,
  type Certificate,
  MAX_CHAIN,
  type MemberRole,
  type SigCheck,
  certificateMessage,
  witnessMessage,
} from './certificate.ts';
import type { Redemptions } from './redemption.ts';

export type MembershipReason =
  | 'not-member'
  | 'malformed-membership'
  | 'foreign-descriptor'
  | 'broken-chain'
  | 'bad-certificate-signature'
  | 'not-allowed-to-invite'
  | 'not-allowed-admin'
  | 'expired-certificate'
  | 'expired-invitation'
  | 'invite-used'
  | 'no-witness'
  | 'revoked';

export type ChainCheck =
  | { ok: true; role: MemberRole; canInvite: boolean; invitedBy: Uint8Array | undefined }
  | {
      ok: false;
      reason: MembershipReason;
    };

/** Certificates whose signatures were checked, at most this many (then forgotten at once). */
const MAX_CHECKED = 10_000;

export class ChainRules {
  private readonly checked = new Set<string>();

  constructor(
    private readonly gridKey: Uint8Array,
    private readonly gridId: Uint8Array,
    private readonly sigCheck: SigCheck,
    private readonly redemptions: Redemptions,
    private readonly revokedAt: (key: Uint8Array) => number | undefined,
  ) {}

  /** A signature check over certificate bytes, remembered: chains repeat in every announcement. */
  private certificateValid(c: Certificate): boolean {
    const key = toHex(sha256(c.bytes));
    if (this.checked.has(key)) return true;
    const { signature: _s, bytes: _b, ...fields } = c;
    if (!this.sigCheck(c.issuer, certificateMessage(fields), c.signature)) return false;
    if (this.checked.size > MAX_CHECKED) this.checked.clear();
    this.checked.add(key);
    return true;
  }

  /**
   * Checks a chain for `subject` at local time `now`. Redemptions it contains are recorded (they decide
   * later conflicts), so call it only for chains of verified announcements. `witnessAt`: this is a
   * witness's chain, judged as of the redemption it witnessed (a witness revoked later still counts).
   */
  check(chain: readonly Certificate[], subject: Uint8Array, now: number, witnessAt?: number): ChainCheck {
    const nested = witnessAt !== undefined;
    if (chain.length === 0 || chain.length > MAX_CHAIN) return { ok: false, reason: 'not-member' };
    if (!equalBytes(chain[0]!.issuer, this.gridKey)) return { ok: false, reason: 'broken-chain' };
    let role: MemberRole = 'admin';
    let canInvite = true;
    let invitedBy: Uint8Array | undefined;
    for (let i = 0; i < chain.length; i++) {
      const c = chain[i]!;
      const parent = chain[i - 1];
      if (!equalBytes(c.gridId, this.gridId)) return { ok: false, reason: 'broken-chain' };
      if (parent && !equalBytes(c.issuer, parent.subject)) return { ok: false, reason: 'broken-chain' };
      if (!this.certificateValid(c)) return { ok: false, reason: 'bad-certificate-signature' };
      if (parent?.kind === CERT_INVITATION) {
        // A redemption: signed by the one-time key, granting no more than the invitation did.
        if (c.kind !== CERT_NODE) return { ok: false, reason: 'broken-chain' };
        if (c.role === 'admin' && parent.role !== 'admin') return { ok: false, reason: 'not-allowed-admin' };
        if (c.canInvite && !parent.canInvite) return { ok: false, reason: 'not-allowed-to-invite' };
        if (parent.expiresAt !== 0 && c.issuedAt > parent.expiresAt)
          return { ok: false, reason: 'expired-invitation' };
        if (!nested) {
          const witnessed = this.checkWitness(c, now);
          if (witnessed) return { ok: false, reason: witnessed };
        }
        if (!this.redemptions.redeem(parent.subject, c)) return { ok: false, reason: 'invite-used' };
        invitedBy = parent.issuer;
      } else {
        if (i > 0 && !(role === 'admin' || canInvite)) return { ok: false, reason: 'not-allowed-to-invite' };
        if (c.role === 'admin' && role !== 'admin') return { ok: false, reason: 'not-allowed-admin' };
        if (i > 0 && c.kind === CERT_NODE) invitedBy = c.issuer;
      }
      if (c.kind === CERT_NODE && c.expiresAt !== 0 && now > c.expiresAt) {
        return { ok: false, reason: 'expired-certificate' };
      }
      // Certificates a revoked node issued from its revocation on are void.
      const issuerRevokedAt = this.revokedAt(c.issuer);
      if (issuerRevokedAt !== undefined && c.issuedAt >= issuerRevokedAt)
        return { ok: false, reason: 'revoked' };
      role = c.role;
      canInvite = c.canInvite;
    }
    const last = chain[chain.length - 1]!;
    if (last.kind !== CERT_NODE || !equalBytes(last.subject, subject))
      return { ok: false, reason: 'broken-chain' };
    const revokedAt = this.revokedAt(subject);
    if (revokedAt !== undefined && (witnessAt === undefined || revokedAt <= witnessAt)) {
      return { ok: false, reason: 'revoked' };
    }
    return { ok: true, role, canInvite, invitedBy };
  }

  /** A redemption needs a member's countersignature; returns why it fails, if it does. */
  private checkWitness(redemption: Certificate, now: number): MembershipReason | undefined {
    const w = redemption.witness;
    if (!w || equalBytes(w.key, redemption.subject)) return 'no-witness';
    if (!this.sigCheck(w.key, witnessMessage(redemption), w.signature)) return 'bad-certificate-signature';
    const check = this.check(w.chain, w.key, now, redemption.issuedAt);
    return check.ok ? undefined : check.reason;
  }
}
