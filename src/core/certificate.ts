/**
 * Membership certificates and their chains (PROTOCOL.md §8): the signed statements that prove who belongs
 * to a grid, and their exact bytes.
 *
 *   certificate = kind:u8 · gridId:32 · issuer:32 · subject:32 · role:u8 · canInvite:u8
 *                 · issuedAt:varint · expiresAt:varint (0 = never) · signature:64
 *   signature   = ed25519(issuer, "gridnode/cert/v1\n" · all fields before it)
 *   descriptor  = gridKey:32 · name:string · membersMayInvite:u8 · signature:64      (by the grid key)
 *   chain       = count:varint · (certificate:bytes · hasWitness:u8
 *                 · [witnessKey:32 · witnessedAt:varint · signature:64 · chain])*
 *
 * A grid is founded by a key pair; its id is SHA-256(`gridnode/grid/v1\n` · grid public key). `kind` is 1
 * for a node certificate and 2 for an **invitation**, whose subject is a one-time key; the certificate that
 * follows an invitation in a chain is a **redemption**, signed with that key. A redemption carries its
 * witness's countersignature over a time the witness chose on its own clock —
 * `ed25519(witness, "gridnode/witness/v2\n" · witnessedAt:varint · redemption certificate)` — and the
 * witness's own chain, whose redemptions carry no witnesses (one level deep, so decoding is bounded).
 * `witnessedAt`, not the claimant's `issuedAt`, is the redemption's date: expiry and single use are judged
 * by it (chain.ts, redemption.ts).
 * Every signature is domain-separated. Decoding bounds every size and count (`MAX_CHAIN` certificates of at
 * most 512 bytes) and throws only `DecodeError`, which `decode` turns into a reason. What a chain must
 * satisfy is in chain.ts.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from './bytes.ts';
import { DecodeError, type Reader, Writer, decode } from './codec.ts';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './identity.ts';

export const DOMAIN_GRID_ID = utf8('gridnode/grid/v1\n');
export const DOMAIN_CERT = utf8('gridnode/cert/v1\n');
export const DOMAIN_DESCRIPTOR = utf8('gridnode/descriptor/v1\n');
export const DOMAIN_WITNESS = utf8('gridnode/witness/v2\n');

export const CERT_NODE = 1;
export const CERT_INVITATION = 2;
export const MAX_CHAIN = 8;

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
  /** When the witness countersigned, on the witness's clock (ms since the epoch). */
  readonly at: number;
  readonly signature: Uint8Array;
  /** The witness's own chain (whose redemptions carry no witnesses). */
  readonly chain: readonly Certificate[];
}

/** The bytes a witness signs: the time it chose, then the redemption certificate. */
export const witnessMessage = (redemption: Certificate, at: number): Uint8Array =>
  withDomain(DOMAIN_WITNESS, new Writer().varint(at).raw(redemption.bytes).finish());

export interface Descriptor {
  readonly gridKey: Uint8Array;
  readonly name: string;
  /** Whether members (not only admins) may be given the right to invite. */
  readonly membersMayInvite: boolean;
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
}

export const gridIdOf = (gridKey: Uint8Array): Uint8Array => {
  const out = new Uint8Array(DOMAIN_GRID_ID.length + gridKey.length);
  out.set(DOMAIN_GRID_ID);
  out.set(gridKey, DOMAIN_GRID_ID.length);
  return sha256(out);
};

export const withDomain = (domain: Uint8Array, bytes: Uint8Array): Uint8Array => {
  const out = new Uint8Array(domain.length + bytes.length);
  out.set(domain);
  out.set(bytes, domain.length);
  return out;
};

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

/** Longest grid name a descriptor carries, in UTF-8 bytes (NFC, as every string of the protocol). */
export const GRID_NAME_BYTES = 128;

export function readDescriptor(r: Reader): Descriptor {
  const bytes = r.bytes(512);
  const inner = decode(bytes, (d) => {
    const gridKey = d.raw(PUBLIC_KEY_BYTES);
    const name = d.string(GRID_NAME_BYTES);
    const flag = d.u8();
    if (flag > 1) throw new DecodeError('invalid-flag');
    return { gridKey, name, membersMayInvite: flag === 1, signature: d.raw(SIGNATURE_BYTES), bytes };
  });
  if (!inner.ok) throw new DecodeError(inner.reason);
  return inner.value;
}

/** chain = count · (certificate:bytes · hasWitness:u8 · [witnessKey:32 · witnessedAt:varint · signature:64 · chain])* */
export function writeChain(w: Writer, chain: readonly Certificate[], nested = false): void {
  w.varint(chain.length);
  for (const c of chain) {
    w.bytes(c.bytes);
    if (c.witness && !nested) {
      w.u8(1).raw(c.witness.key).varint(c.witness.at).raw(c.witness.signature);
      writeChain(w, c.witness.chain, true);
    } else w.u8(0);
  }
}

export function readChain(r: Reader, nested = false): Certificate[] {
  const n = r.varint(MAX_CHAIN);
  const chain: Certificate[] = [];
  for (let i = 0; i < n; i++) {
    const c = readCertificate(r);
    const flag = r.u8();
    if (flag > 1 || (flag === 1 && nested)) throw new DecodeError('invalid-witness');
    if (flag === 0) chain.push(c);
    else {
      const key = r.raw(PUBLIC_KEY_BYTES);
      const at = r.varint();
      const signature = r.raw(SIGNATURE_BYTES);
      chain.push({ ...c, witness: { key, at, signature, chain: readChain(r, true) } });
    }
  }
  return chain;
}
