/**
 * Grids and membership (PROTOCOL.md §8): who belongs to a grid, proven without any server. This file is
 * the admission guard and the `membership` field of an announcement; the parts it rests on have their
 * own files and rules:
 *
 *   certificate.ts  certificates, descriptors, chains and witnesses: their bytes and signatures
 *   chain.ts        the chain rules: who may issue what, expiry, witnesses, revoked issuers
 *   redemption.ts   single use: which node each invitation admitted
 *   revocation.ts   revocations: their bytes and signatures
 *   revocation-sync.ts  reconciling the revocation set over links (this class is the set)
 *
 *   membership = version:u8 (=1) · descriptor:bytes · chain · count:varint · (revocation:bytes · chain)*
 *                · leaving:u8
 *
 * Every member holds a chain of certificates from the grid key to its own node key, and every announcement
 * carries it, so anyone can check membership — and see who invited whom — from the announcement alone.
 * "An announcement whose membership fails is dropped after its signature check, under its reason", counted,
 * and never delivered. A revocation is learned only if its revoker's chain makes it an admin of this grid
 * (on the local clock, when it is learned) and its signature holds; the grid key itself cannot be revoked,
 * and a founder's node only by a founder's chain (chain.ts). Revocations an admitted announcement carries
 * are learned before its origin is judged, so a member cannot carry its own revocation in; nodes no longer
 * put any there (the set travels by revocation-sync.ts), but they still learn what older nodes carry.
 *
 * The set holds at most `MAX_REVOCATION_SET` revocations, each kept by id; several revocations of one key
 * may be held (one from an admin below a founder does not hide a founder's).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { compareBytes, concatBytes, equalBytes, toHex } from './bytes.ts';
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
import { type ChainCheck, ChainRules } from './chain.ts';
import { DecodeError, type Decoded, Writer, decode } from './codec.ts';
import { Redemptions } from './redemption.ts';
import {
  MAX_REVOCATIONS,
  MAX_REVOCATION_SET,
  type Revocation,
  decodeRevocationRecord,
  encodeRevocationRecord,
  readRevocation,
  revocationId,
  revocationMessage,
} from './revocation.ts';
import type { RevocationSet } from './revocation-sync.ts';

/** The former surface of this module, so that imports of it keep working. */
export * from './certificate.ts';
export * from './chain.ts';
export * from './revocation.ts';
export * from './revocation-sync.ts';
export { SETTLE_MS } from './redemption.ts';

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
export class GridMembership implements RevocationSet {
  readonly gridId: Uint8Array;
  /** By revocation id (hex). */
  private readonly revocations = new Map<string, Revocation>();
  /** By revoked key (hex). */
  private readonly byRevoked = new Map<string, Revocation[]>();
  private fingerprint: Uint8Array | undefined;
  private readonly redemptions = new Redemptions();
  private readonly chains: ChainRules;
  /** Slot the driver fills: a revocation learned through `learnRevocationRecord` (sync or storage). */
  onLearned: ((v: Revocation, record: Uint8Array) => void) | undefined;

  constructor(
    readonly gridKey: Uint8Array,
    private readonly sigCheck: SigCheck,
  ) {
    this.gridId = gridIdOf(gridKey);
    this.chains = new ChainRules(gridKey, this.gridId, sigCheck, this.redemptions, (key, founder) =>
      this.isRevoked(key, founder),
    );
  }

  descriptorValid(d: Descriptor): boolean {
    return (
      equalBytes(d.gridKey, this.gridKey) &&
      this.sigCheck(this.gridKey, descriptorMessage(d.gridKey, d.name, d.membersMayInvite), d.signature)
    );
  }

  /**
   * Whether `key` is revoked. `founder`: it is a founder's node (certified by the grid key itself), which
   * only a revoker whose chain is one certificate long — a founder — can revoke.
   */
  isRevoked(key: Uint8Array, founder = false): boolean {
    const held = this.byRevoked.get(toHex(key));
    return held !== undefined && held.some((v) => !founder || v.chain.length === 1);
  }

  /** The revocations of `key` this node holds (to show the revoked node). */
  revocationsOf(key: Uint8Array): readonly Revocation[] {
    return this.byRevoked.get(toHex(key)) ?? [];
  }

  knownRevocations(): Revocation[] {
    return [...this.revocations.values()];
  }

  // ——— The revocation set, for revocation-sync.ts ——————————————————————————————————————————————————

  get revocationCount(): number {
    return this.revocations.size;
  }

  revocationFingerprint(): Uint8Array {
    this.fingerprint ??= sha256(concatBytes(...this.revocationIds())).subarray(0, 16);
    return this.fingerprint;
  }

  revocationIds(): Uint8Array[] {
    return [...this.revocations.values()].map(revocationId).sort(compareBytes);
  }

  revocationRecord(id: Uint8Array): Uint8Array | undefined {
    const v = this.revocations.get(toHex(id));
    return v && encodeRevocationRecord(v);
  }

  learnRevocationRecord(record: Uint8Array, now: number): 'new' | 'known' | 'refused' {
    const decoded = decodeRevocationRecord(record);
    if (!decoded.ok) return 'refused';
    const v = decoded.value;
    if (this.revocations.has(toHex(revocationId(v)))) return 'known';
    if (!this.addRevocation(v, now)) return 'refused';
    this.onLearned?.(v, record);
    return 'new';
  }

  /**
   * Checks a chain for `subject` at local time `now`. Redemptions it contains are recorded (they decide
   * later conflicts), so call it only for chains of verified announcements. `nested`: a witness's chain.
   */
  checkChain(chain: readonly Certificate[], subject: Uint8Array, now: number, nested = false): ChainCheck {
    return this.chains.check(chain, subject, now, nested);
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

  /** The chain proving who redeemed this invitation, to show a node that lost the race for it. */
  redemptionProof(oneTimeKey: Uint8Array): readonly Certificate[] | undefined {
    return this.redemptions.proofOf(oneTimeKey);
  }

  /**
   * Learns a revocation if it is signed by a valid admin of this grid. Returns whether it is new (false
   * also when it is refused, known, or the set is full).
   */
  addRevocation(v: Revocation, now: number): boolean {
    const id = toHex(revocationId(v));
    if (this.revocations.has(id) || !equalBytes(v.gridId, this.gridId)) return false;
    if (this.revocations.size >= MAX_REVOCATION_SET || equalBytes(v.revoked, this.gridKey)) return false;
    if (
      !this.sigCheck(v.revoker, revocationMessage(v.gridId, v.revoker, v.revoked, v.revokedAt), v.signature)
    ) {
      return false;
    }
    const admin = this.checkChain(v.chain, v.revoker, now);
    if (!admin.ok || admin.role !== 'admin') return false;
    this.revocations.set(id, v);
    const key = toHex(v.revoked);
    this.byRevoked.set(key, [...(this.byRevoked.get(key) ?? []), v]);
    this.fingerprint = undefined;
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
    | (Extract<ChainCheck, { ok: false }> & { learned?: Revocation[] }) {
    if (membershipBytes.length === 0) return { ok: false, reason: 'not-member' };
    const decoded = decodeMembership(membershipBytes);
    if (!decoded.ok) return { ok: false, reason: 'malformed-membership' };
    const m = decoded.value;
    if (!this.descriptorValid(m.descriptor)) return { ok: false, reason: 'foreign-descriptor' };
    const learned = m.revocations.filter((v) => this.addRevocation(v, now));
    const check = this.checkChain(m.chain, origin, now);
    if (!check.ok) return { ...check, learned };
    return { ok: true, membership: m, check, learned };
  }
}
