/**
 * The chain rules (PROTOCOL.md §8): whether a certificate chain proves that a key belongs to the grid.
 *  - "The first certificate of a chain is issued by the grid key, and each next one by the subject of the
 *    one before."
 *  - "Only an admin, or a member whose certificate allows inviting, issues certificates; only an admin
 *    issues admin certificates."
 *  - "An invitation certifies a one-time key; the invitee signs its own node certificate with that key." A
 *    redemption certifies a node and grants no more than the invitation.
 *  - "A redemption counts only with a witness: a member that countersigns it and whose chain travels with
 *    it." Witness chains are checked like any chain except that their own redemptions need no witness
 *    (this ends the recursion; they still count against the single-use table, redemption.ts).
 *  - "A redemption is dated by its witness: one witnessed after its invitation's expiry is refused."
 *  - "A node certificate past its expiry on the receiver's clock is invalid."
 *  - "A revoked key is refused, and so is everything it certified or witnessed, whatever its date." Dates
 *    in certificates are claims of their signer, so a revoked issuer could backdate any of them; the only
 *    rule that holds is that its whole subtree falls with it. An honest member below it is invited again.
 *  - "Only a founder's chain revokes a founder's node." A founder's node is the subject of a certificate
 *    the grid key issued; a revocation of it from anyone further down is ignored (`revoked(key, true)`).
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
import { type Redemptions, UNDATED } from './redemption.ts';

/** How far in the future of the receiver's clock a witness may date a redemption (clock skew). */
export const MAX_WITNESS_SKEW_MS = 10 * 60_000;

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
  | 'witness-in-future'
  | 'revoked';

export type ChainCheck =
  | { ok: true; role: MemberRole; canInvite: boolean; invitedBy: Uint8Array | undefined }
  | {
      ok: false;
      reason: MembershipReason;
      /** On `invite-used`: the one-time key of the invitation another node redeemed first. */
      spent?: Uint8Array;
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
    /** Whether `key` is revoked; `founder`: it is a founder's node (only a founder's chain revokes it). */
    private readonly revoked: (key: Uint8Array, founder: boolean) => boolean,
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
   * later conflicts), so call it only for chains of verified announcements. `nested`: this is a witness's
   * chain, whose redemptions carry no witness.
   */
  check(chain: readonly Certificate[], subject: Uint8Array, now: number, nested = false): ChainCheck {
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
      // Everything a revoked key certified falls with it, whatever date it claims (the grid key is never
      // revoked; a founder's node only by a founder's chain).
      if (i > 0 && this.revoked(c.issuer, i === 1)) return { ok: false, reason: 'revoked' };
      if (parent?.kind === CERT_INVITATION) {
        // A redemption: signed by the one-time key, granting no more than the invitation did.
        if (c.kind !== CERT_NODE) return { ok: false, reason: 'broken-chain' };
        if (c.role === 'admin' && parent.role !== 'admin') return { ok: false, reason: 'not-allowed-admin' };
        if (c.canInvite && !parent.canInvite) return { ok: false, reason: 'not-allowed-to-invite' };
        let at = UNDATED;
        if (nested) {
          if (parent.expiresAt !== 0 && c.issuedAt > parent.expiresAt)
            return { ok: false, reason: 'expired-invitation' };
        } else {
          const witnessed = this.checkWitness(c, now);
          if (witnessed) return { ok: false, reason: witnessed };
          at = c.witness!.at;
          if (parent.expiresAt !== 0 && at > parent.expiresAt)
            return { ok: false, reason: 'expired-invitation' };
        }
        if (!this.redemptions.redeem(parent.subject, c, at, now, chain.slice(0, i + 1)))
          return { ok: false, reason: 'invite-used', spent: parent.subject };
        invitedBy = parent.issuer;
      } else {
        if (i > 0 && !(role === 'admin' || canInvite)) return { ok: false, reason: 'not-allowed-to-invite' };
        if (c.role === 'admin' && role !== 'admin') return { ok: false, reason: 'not-allowed-admin' };
        if (i > 0 && c.kind === CERT_NODE) invitedBy = c.issuer;
      }
      if (c.kind === CERT_NODE && c.expiresAt !== 0 && now > c.expiresAt) {
        return { ok: false, reason: 'expired-certificate' };
      }
      role = c.role;
      canInvite = c.canInvite;
    }
    const last = chain[chain.length - 1]!;
    if (last.kind !== CERT_NODE || !equalBytes(last.subject, subject))
      return { ok: false, reason: 'broken-chain' };
    if (this.revoked(subject, chain.length === 1)) return { ok: false, reason: 'revoked' };
    return { ok: true, role, canInvite, invitedBy };
  }

  /**
   * A redemption needs a member's countersignature, dated on the witness's clock and not in the future of
   * ours (beyond `MAX_WITNESS_SKEW_MS`); a revoked witness's countersignature is void. Returns why it
   * fails, if it does.
   */
  private checkWitness(redemption: Certificate, now: number): MembershipReason | undefined {
    const w = redemption.witness;
    if (!w || equalBytes(w.key, redemption.subject)) return 'no-witness';
    if (w.at > now + MAX_WITNESS_SKEW_MS) return 'witness-in-future';
    if (!this.sigCheck(w.key, witnessMessage(redemption, w.at), w.signature))
      return 'bad-certificate-signature';
    const check = this.check(w.chain, w.key, now, true);
    return check.ok ? undefined : check.reason;
  }
}
