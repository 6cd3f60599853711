/**
 * Grids and membership (PROTOCOL.md §8): who belongs to a grid, proven without any server.
 *
 * A grid is founded by a key pair; its id is SHA-256(`gridnode/grid/v1\n` · grid public key). The grid key
 * signs a descriptor (name, policy) and the founder's certificate. Every member holds a **chain** of
 * certificates from the grid key to its own node key, and every announcement carries it, so anyone can
 * check membership — and see who invited whom — from the announcement alone.
 *
 *   certificate = kind:u8 · gridId:32 · issuer:32 · subject:32 · role:u8 · canInvite:u8
 *                 · issuedAt:varint · expiresAt:varint (0 = never) · signature:64
 *   signature   = ed25519(issuer, "gridnode/cert/v1\n" · all fields before it)
 *
 * `kind` is 1 for a node certificate and 2 for an **invitation**: its subject is a one-time key whose
 * secret travels in the invitation link. The invitee's node signs its own certificate with that one-time
 * key (a **redemption**), so an invitation works while the inviter is offline. Chain rules:
 *  - the first certificate is issued by the grid key; each next one by the subject of the one before;
 *  - only an admin, or a member whose certificate allows inviting, issues certificates; only an admin
 *    issues admin certificates;
 *  - a redemption follows an invitation, certifies a node, grants no more than the invitation, and is
 *    dated no later than the invitation's expiry;
 *  - a node certificate past its `expiresAt` on the receiver's clock is invalid;
 *  - a revoked node's own chain is invalid, and so is any certificate it issued at or after its
 *    revocation time.
 *
 * One invitation admits one node. A redemption counts only with a **witness**: a member (any member, so
 * the inviter may be offline) that countersigns it — `ed25519(witness, "gridnode/witness/v1\n" ·
 * redemption certificate)` — and whose own chain travels with the signature. An honest member witnesses
 * each one-time key once, and refuses when it already knows a redemption of that key; so once the grid has
 * seen a redemption, a second browser holding the same code cannot get in, however it orders messages.
 * Two redemptions witnessed at the same moment by different members are a race that every node settles
 * the same way: the lower hash of the redemption certificate wins, the other is `invite-used`. Witness
 * chains are checked like any chain except that their own redemptions need no witness (this ends the
 * recursion; those redemptions still count against the single-use table).
 *
 * Revocations are signed by an admin and carry the admin's chain; every member repeats the revocations it
 * knows in its own announcements (up to `MAX_REVOCATIONS`), so they spread like announcements and
 * outlive the admin who made them.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { compareBytes, equalBytes, toHex, utf8 } from './bytes.ts';
import { DecodeError, type Decoded, type Reader, Writer, decode } from './codec.ts';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './identity.ts';

export const DOMAIN_GRID_ID = utf8('gridnode/grid/v1\n');
export const DOMAIN_CERT = utf8('gridnode/cert/v1\n');
export const DOMAIN_DESCRIPTOR = utf8('gridnode/descriptor/v1\n');
export const DOMAIN_REVOCATION = utf8('gridnode/revocation/v1\n');
export const DOMAIN_WITNESS = utf8('gridnode/witness/v1\n');

export const CERT_NODE = 1;
export const CERT_INVITATION = 2;
export const MAX_CHAIN = 8;
export const MAX_REVOCATIONS = 16;
const MEMBERSHIP_VERSION = 1;

export type MemberRole = 'admin' | 'member';

/** Synchronous signature check (a cache sits in front of it; certificates repeat in every announcement). */
export type SigCheck = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

export interface Certificate {
  readonly kind: typeof CERT_NODE | typeof CERT_INVITATION;
  readonly gridId: Uint8Array;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly role: MemberRole;
  readonly canInvite: boolean;
  readonly issuedAt: number;
  /** 0: never. */
  readonly expiresAt: number;
  readonly signature: Uint8Array;
  /** The exact bytes, for hashing and forwarding. */
  readonly bytes: Uint8Array;
  /** On a redemption: the member that countersigned it. */
  readonly witness?: Witness;
}

export interface Witness {
  readonly key: Uint8Array;
  readonly signature: Uint8Array;
  /** The witness's own chain (whose redemptions carry no witnesses). */
  readonly chain: readonly Certificate[];
}

/** The bytes a witness signs: the redemption certificate. */
export const witnessMessage = (redemption: Certificate): Uint8Array =>
  withDomain(DOMAIN_WITNESS, redemption.bytes);

export interface Descriptor {
  readonly gridKey: Uint8Array;
  readonly name: string;
  /** Whether members (not only admins) may be given the right to invite. */
  readonly membersMayInvite: boolean;
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
}

export interface Revocation {
  readonly gridId: Uint8Array;
  readonly revoker: Uint8Array;
  readonly revoked: Uint8Array;
  /** The revoker's clock: certificates the revoked node issued at or after this are refused. */
  readonly revokedAt: number;
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
  /** The revoker's own chain, proving it is an admin. */
  readonly chain: readonly Certificate[];
}

/** What an announcement's `membership` field holds. */
export interface Membership {
  readonly descriptor: Descriptor;
  readonly chain: readonly Certificate[];
  readonly revocations: readonly Revocation[];
  /** A signed goodbye: the node left the grid. */
  readonly leaving: boolean;
}

export const gridIdOf = (gridKey: Uint8Array): Uint8Array => {
  const out = new Uint8Array(DOMAIN_GRID_ID.length + gridKey.length);
  out.set(DOMAIN_GRID_ID);
  out.set(gridKey, DOMAIN_GRID_ID.length);
  return sha256(out);
};

const withDomain = (domain: Uint8Array, bytes: Uint8Array): Uint8Array => {
  const out = new Uint8Array(domain.length + bytes.length);
  out.set(domain);
  out.set(bytes, domain.length);
  return out;
};

// ——— Encoding ——————————————————————————————————————————————————————————————————————————————————————

export type UnsignedCertificate = Omit<Certificate, 'signature' | 'bytes'>;

/** The bytes a certificate's issuer signs. */
export function certificateMessage(c: UnsignedCertificate): Uint8Array {
  return withDomain(DOMAIN_CERT, certificateFields(c));
}

function certificateFields(c: UnsignedCertificate): Uint8Array {
  return new Writer()
    .u8(c.kind)
    .raw(c.gridId)
    .raw(c.issuer)
    .raw(c.subject)
    .u8(c.role === 'admin' ? 1 : 0)
    .u8(c.canInvite ? 1 : 0)
    .varint(c.issuedAt)
    .varint(c.expiresAt)
    .finish();
}

export function signedCertificate(c: UnsignedCertificate, signature: Uint8Array): Certificate {
  const fields = certificateFields(c);
  const bytes = new Uint8Array(fields.length + SIGNATURE_BYTES);
  bytes.set(fields);
  bytes.set(signature, fields.length);
  return { ...c, signature, bytes };
}

function readCertificate(r: Reader): Certificate {
  const bytes = r.bytes(512);
  const inner = decode(bytes, (c) => {
    const kind = c.u8();
    if (kind !== CERT_NODE && kind !== CERT_INVITATION) throw new DecodeError('unknown-certificate-kind');
    const gridId = c.raw(32);
    const issuer = c.raw(PUBLIC_KEY_BYTES);
    const subject = c.raw(PUBLIC_KEY_BYTES);
    const role = c.u8();
    const canInvite = c.u8();
    if (role > 1 || canInvite > 1) throw new DecodeError('invalid-flag');
    const issuedAt = c.varint();
    const expiresAt = c.varint();
    const signature = c.raw(SIGNATURE_BYTES);
    return {
      kind,
      gridId,
      issuer,
      subject,
      role: role === 1 ? 'admin' : 'member',
      canInvite: canInvite === 1,
      issuedAt,
      expiresAt,
      signature,
      bytes,
    } as Certificate;
  });
  if (!inner.ok) throw new DecodeError(inner.reason);
  return inner.value;
}

export function descriptorMessage(gridKey: Uint8Array, name: string, membersMayInvite: boolean): Uint8Array {
  return withDomain(
    DOMAIN_DESCRIPTOR,
    new Writer()
      .raw(gridKey)
      .string(name)
      .u8(membersMayInvite ? 1 : 0)
      .finish(),
  );
}

export function signedDescriptor(
  gridKey: Uint8Array,
  name: string,
  membersMayInvite: boolean,
  signature: Uint8Array,
): Descriptor {
  const bytes = new Writer()
    .raw(gridKey)
    .string(name)
    .u8(membersMayInvite ? 1 : 0)
    .raw(signature)
    .finish();
  return { gridKey, name, membersMayInvite, signature, bytes };
}

function readDescriptor(r: Reader): Descriptor {
  const bytes = r.bytes(512);
  const inner = decode(bytes, (d) => {
    const gridKey = d.raw(PUBLIC_KEY_BYTES);
    const name = d.string(128);
    const flag = d.u8();
    if (flag > 1) throw new DecodeError('invalid-flag');
    return { gridKey, name, membersMayInvite: flag === 1, signature: d.raw(SIGNATURE_BYTES), bytes };
  });
  if (!inner.ok) throw new DecodeError(inner.reason);
  return inner.value;
}

export function revocationMessage(
  gridId: Uint8Array,
  revoker: Uint8Array,
  revoked: Uint8Array,
  revokedAt: number,
) {
  return withDomain(
    DOMAIN_REVOCATION,
    new Writer().raw(gridId).raw(revoker).raw(revoked).varint(revokedAt).finish(),
  );
}

export function signedRevocation(
  fields: Omit<Revocation, 'signature' | 'bytes' | 'chain'>,
  signature: Uint8Array,
  chain: readonly Certificate[],
): Revocation {
  const bytes = new Writer()
    .raw(fields.gridId)
    .raw(fields.revoker)
    .raw(fields.revoked)
    .varint(fields.revokedAt)
    .raw(signature)
    .finish();
  return { ...fields, signature, bytes, chain };
}

function readRevocation(r: Reader): Revocation {
  const bytes = r.bytes(256);
  const inner = decode(bytes, (v) => ({
    gridId: v.raw(32),
    revoker: v.raw(PUBLIC_KEY_BYTES),
    revoked: v.raw(PUBLIC_KEY_BYTES),
    revokedAt: v.varint(),
    signature: v.raw(SIGNATURE_BYTES),
  }));
  if (!inner.ok) throw new DecodeError(inner.reason);
  return { ...inner.value, bytes, chain: readChain(r) };
}

/** chain = count · (certificate:bytes · hasWitness:u8 · [witnessKey:32 · signature:64 · chain])* */
function writeChain(w: Writer, chain: readonly Certificate[], nested = false): void {
  w.varint(chain.length);
  for (const c of chain) {
    w.bytes(c.bytes);
    if (c.witness && !nested) {
      w.u8(1).raw(c.witness.key).raw(c.witness.signature);
      writeChain(w, c.witness.chain, true);
    } else w.u8(0);
  }
}

function readChain(r: Reader, nested = false): Certificate[] {
  const n = r.varint(MAX_CHAIN);
  const chain: Certificate[] = [];
  for (let i = 0; i < n; i++) {
    const c = readCertificate(r);
    const flag = r.u8();
    if (flag > 1 || (flag === 1 && nested)) throw new DecodeError('invalid-witness');
    if (flag === 0) chain.push(c);
    else {
      const key = r.raw(PUBLIC_KEY_BYTES);
      const signature = r.raw(SIGNATURE_BYTES);
      chain.push({ ...c, witness: { key, signature, chain: readChain(r, true) } });
    }
  }
  return chain;
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

// ——— Checking —————————————————————————————————————————————————————————————————————————————————————

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

interface Redemption {
  hash: Uint8Array;
  subject: Uint8Array;
}

/**
 * One grid's membership state on one node: the grid key, known revocations and redemptions. Pure: time and
 * signature checks are passed in.
 */
export class GridMembership {
  readonly gridId: Uint8Array;
  private readonly revocations = new Map<string, Revocation>();
  private readonly redemptions = new Map<string, Redemption>();
  private readonly checked = new Set<string>();

  constructor(
    readonly gridKey: Uint8Array,
    private readonly sigCheck: SigCheck,
  ) {
    this.gridId = gridIdOf(gridKey);
  }

  /** A signature check over certificate bytes, remembered: chains repeat in every announcement. */
  private certificateValid(c: Certificate): boolean {
    const key = toHex(sha256(c.bytes));
    if (this.checked.has(key)) return true;
    const { signature: _s, bytes: _b, ...fields } = c;
    if (!this.sigCheck(c.issuer, certificateMessage(fields), c.signature)) return false;
    if (this.checked.size > 10_000) this.checked.clear();
    this.checked.add(key);
    return true;
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
        if (!this.redeem(parent.subject, c)) return { ok: false, reason: 'invite-used' };
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
    const check = this.checkChain(w.chain, w.key, now, redemption.issuedAt);
    return check.ok ? undefined : check.reason;
  }

  /**
   * Single use: records this redemption, or reports that the invitation is spent on another node. Of two
   * redemptions of one key, the lower certificate hash wins on every node, whatever the arrival order.
   */
  private redeem(oneTimeKey: Uint8Array, c: Certificate): boolean {
    const key = toHex(oneTimeKey);
    const hash = sha256(c.bytes);
    const known = this.redemptions.get(key);
    if (known && equalBytes(known.subject, c.subject)) return true;
    if (known && compareBytes(hash, known.hash) >= 0) return false;
    this.redemptions.set(key, { hash, subject: c.subject });
    return true;
  }

  /**
   * Whether this node would witness a redemption of `oneTimeKey` for `subject`: never a second node.
   * (Checking the rest of the chain is the caller's business, through `checkChain`.)
   */
  mayWitness(oneTimeKey: Uint8Array, subject: Uint8Array): boolean {
    const known = this.redemptions.get(toHex(oneTimeKey));
    return !known || equalBytes(known.subject, subject);
  }

  /** The node this invitation's one-time key admitted, if any. */
  redeemedBy(oneTimeKey: Uint8Array): Uint8Array | undefined {
    return this.redemptions.get(toHex(oneTimeKey))?.subject;
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
