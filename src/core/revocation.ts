/**
 * Revocations (PROTOCOL.md §8): an admin's signed statement that a member is out.
 *
 *   revocation = gridId:32 · revoker:32 · revoked:32 · revokedAt:varint · signature:64 (by an admin)
 *   signature  = ed25519(revoker, "gridnode/revocation/v1\n" · all fields before it)
 *   record     = revocation:bytes · chain                 (the revoker's chain, proving it is an admin)
 *   id         = the first 8 bytes of SHA-256(revocation)
 *
 * "A revoked key is refused, and so is everything it certified or witnessed, whatever its date." —
 * `revokedAt` (the revoker's clock) is informational only: no rule compares it with anything, because the
 * dates a revoked node puts on its certificates are its own claims. The grid's revocations are a set that
 * every node persists and reconciles with its links (revocation-sync.ts), never a list trimmed to the
 * newest few. Which revocations count is decided by the admission guard (membership.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type Certificate, readChain, withDomain, writeChain } from './certificate.ts';
import { DecodeError, type Decoded, type Reader, Writer, decode } from './codec.ts';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './identity.ts';
import { utf8 } from './bytes.ts';

export const DOMAIN_REVOCATION = utf8('gridnode/revocation/v1\n');
/** Revocations one membership field (an announcement or a notice) may carry. */
export const MAX_REVOCATIONS = 16;
/** Revocations one grid's set holds (then new ones are refused and counted: a grid needing more is refounded). */
export const MAX_REVOCATION_SET = 4_096;
export const REVOCATION_ID_BYTES = 8;

export interface Revocation {
  readonly gridId: Uint8Array;
  readonly revoker: Uint8Array;
  readonly revoked: Uint8Array;
  /** The revoker's clock, for people to read; no rule depends on it. */
  readonly revokedAt: number;
  readonly signature: Uint8Array;
  readonly bytes: Uint8Array;
  /** The revoker's own chain, proving it is an admin. */
  readonly chain: readonly Certificate[];
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

export function readRevocation(r: Reader): Revocation {
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

/** A revocation's id in the set: the first 8 bytes of the SHA-256 of its signed bytes. */
export const revocationId = (v: Pick<Revocation, 'bytes'>): Uint8Array =>
  sha256(v.bytes).subarray(0, REVOCATION_ID_BYTES);

/** A revocation with its revoker's chain, as it is stored and as revocation-sync sends it. */
export function encodeRevocationRecord(v: Revocation): Uint8Array {
  const w = new Writer().bytes(v.bytes);
  writeChain(w, v.chain);
  return w.finish();
}

export function decodeRevocationRecord(bytes: Uint8Array): Decoded<Revocation> {
  return decode(bytes, readRevocation);
}
