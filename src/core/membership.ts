/**
 * Grids and membership (PROTOCOL.md §8): who belongs to a grid, proven without any server. This file is
 * the admission guard and the `membership` field of an announcement; the parts it rests on have their
 * own files and rules:
 *
 *   certificate.ts  certificates, descriptors, chains and witnesses: their bytes and signatures
 *   chain.ts        the chain rules: who may issue what, expiry, witnesses, revoked issuers
 *   redemption.ts   single use: which node each invitation admitted
 *   revocation.ts   revocations: their bytes and signatures
 *
 *   membership = version:u8 (=1) · descriptor:bytes · chain · count:varint · (revocation:bytes · chain)*
 *                · leaving:u8
 *
 * Every member holds a chain of certificates from the grid key to its own node key, and every announcement
 * carries it, so anyone can check membership — and see who invited whom — from the announcement alone.
 * "An announcement whose membership fails is dropped after its signature check, under its reason", counted,
 * and never delivered. A revocation is learned only if its revoker's chain makes it an admin of this grid
 * and its signature holds; the grid key itself cannot be revoked. Revocations an admitted announcement
 * carries are learned before its origin is judged, so a member cannot carry its own revocation in.
 */
import { equalBytes, toHex } from './bytes.ts';
import {
  type Certificate,
  type Descriptor,
  type SigCheck,
  descriptorMessage,
  gridIdOf,
  readChain,
  readDescriptor,
  writeChain,
} from './certificate.ts';
import { type ChainCheck, ChainRules, type MembershipReason } from './chain.ts';
import { DecodeError, type Decoded, Writer, decode } from './codec.ts';
import { Redemptions } from './redemption.ts';
import { MAX_REVOCATIONS, type Revocation, readRevocation, revocationMessage } from './revocation.ts';

/** The former surface of this module, so that imports of it keep working. */
export * from './certificate.ts';
export * from './chain.ts';
export * from './revocation.ts';

const MEMBERSHIP_VERSION = 1;

/** What an announcement's `membership` field holds. */
export interface Membership {
  readonly descriptor: Descriptor;
  readonly chain: readonly Certificate[];
  readonly revocations: readonly Revocation[];
  /** A signed goodbye: the node left the grid. */
  readonly leaving: boolean;
}

export function encodeMembership(m: Membership): Uint8Array {
  const w = new Writer().u8(MEMBERSHIP_VERSION).bytes(m.descriptor.bytes);
  writeChain(w, m.chain);
  w.varint(Math.min(m.revocations.length, MAX_REVOCATIONS));
  for (const v of m.revocations.slice(0, MAX_REVOCATIONS)) {
    w.bytes(v.bytes);
    writeChain(w, v.chain);
  }
  return w.u8(m.leaving ? 1 : 0).finish();
}

export function decodeMembership(bytes: Uint8Array): Decoded<Membership> {
  return decode(bytes, (r) => {
    if (r.u8() !== MEMBERSHIP_VERSION) throw new DecodeError('unsupported-membership-version');
    const descriptor = readDescriptor(r);
    const chain = readChain(r);
    const n = r.varint(MAX_REVOCATIONS);
    const revocations: Revocation[] = [];
    for (let i = 0; i < n; i++) revocations.push(readRevocation(r));
    const flag = r.u8();
    if (flag > 1) throw new DecodeError('invalid-flag');
    return { descriptor, chain, revocations, leaving: flag === 1 };
  });
}

/**
 * One grid's membership state on one node: the grid key, known revocations and redemptions. Pure: time and
 * signature checks are passed in.
 */
export class GridMembership {
  readonly gridId: Uint8Array;
  private readonly revocations = new Map<string, Revocation>();
  private readonly redemptions = new Redemptions();
  private readonly chains: ChainRules;

  constructor(
    readonly gridKey: Uint8Array,
    private readonly sigCheck: SigCheck,
  ) {
    this.gridId = gridIdOf(gridKey);
    this.chains = new ChainRules(gridKey, this.gridId, sigCheck, this.redemptions, (key) =>
      this.revokedAt(key),
    );
  }

  descriptorValid(d: Descriptor): boolean {
    return (
      equalBytes(d.gridKey, this.gridKey) &&
      this.sigCheck(this.gridKey, descriptorMessage(d.gridKey, d.name, d.membersMayInvite), d.signature)
    );
  }

  revokedAt(key: Uint8Array): number | undefined {
    return this.revocations.get(toHex(key))?.revokedAt;
  }

  knownRevocations(): Revocation[] {
    return [...this.revocations.values()];
  }

  /**
   * Checks a chain for `subject` at local time `now`. Redemptions it contains are recorded (they decide
   * later conflicts), so call it only for chains of verified announcements. `witnessAt`: this is a
   * witness's chain, judged as of the redemption it witnessed (a witness revoked later still counts).
   */
  checkChain(
    chain: readonly Certificate[],
    subject: Uint8Array,
    now: number,
    witnessAt?: number,
  ): ChainCheck {
    return this.chains.check(chain, subject, now, witnessAt);
  }

  /**
   * Whether this node would witness a redemption of `oneTimeKey` for `subject`: never a second node.
   * (Checking the rest of the chain is the caller's business, through `checkChain`.)
   */
  mayWitness(oneTimeKey: Uint8Array, subject: Uint8Array): boolean {
    return this.redemptions.mayWitness(oneTimeKey, subject);
  }

  /** The node this invitation's one-time key admitted, if any. */
  redeemedBy(oneTimeKey: Uint8Array): Uint8Array | undefined {
    return this.redemptions.redeemedBy(oneTimeKey);
  }

  /**
   * Learns a revocation if it is signed by a valid admin of this grid. Returns whether it is new.
   */
  addRevocation(v: Revocation, now: number): boolean {
    const key = toHex(v.revoked);
    if (this.revocations.has(key) || !equalBytes(v.gridId, this.gridId)) return false;
    const admin = this.checkChain(v.chain, v.revoker, now);
    if (!admin.ok || admin.role !== 'admin') return false;
    if (
      !this.sigCheck(v.revoker, revocationMessage(v.gridId, v.revoker, v.revoked, v.revokedAt), v.signature)
    ) {
      return false;
    }
    if (equalBytes(v.revoked, this.gridKey)) return false;
    this.revocations.set(key, v);
    return true;
  }

  /**
   * The whole check of an announcement's membership field: well-formed, this grid's descriptor, a valid
   * chain to `origin`. New revocations it carries are learned first (returned so the driver can act).
   */
  admit(
    origin: Uint8Array,
    membershipBytes: Uint8Array,
    now: number,
  ):
    | { ok: true; membership: Membership; check: Extract<ChainCheck, { ok: true }>; learned: Revocation[] }
    | {
        ok: false;
        reason: MembershipReason;
      } {
    if (membershipBytes.length === 0) return { ok: false, reason: 'not-member' };
    const decoded = decodeMembership(membershipBytes);
    if (!decoded.ok) return { ok: false, reason: 'malformed-membership' };
    const m = decoded.value;
    if (!this.descriptorValid(m.descriptor)) return { ok: false, reason: 'foreign-descriptor' };
    const check = this.checkChain(m.chain, origin, now);
    if (!check.ok) return check;
    const learned = m.revocations.filter((v) => this.addRevocation(v, now));
    if (this.revokedAt(origin) !== undefined) return { ok: false, reason: 'revoked' };
    return { ok: true, membership: m, check, learned };
  }
}
