/**
 * Revocations (PROTOCOL.md §8): an admin's signed statement that a member is out.
 *
 *   revocation = gridId:32 · revoker:32 · revoked:32 · revokedAt:varint · signature:64 (by an admin)
 *   signature  = ed25519(revoker, "gridnode/revocation/v1\n" · all fields before it)
 *
 * A revocation travels with the revoker's own chain, which proves it is an admin. Every member repeats the
 * revocations it knows in its own announcements (up to `MAX_REVOCATIONS`), so they spread like
 * announcements and outlive the admin who made them. "A revoked node is refused, and so is every
 * certificate it issued at or after its revocation." — `revokedAt` is the revoker's clock, compared only
 * with the `issuedAt` of certificates the revoked node signed. Which revocations count is decided by the
 * admission guard (membership.ts).
 */
import { type Certificate, readChain, withDomain } from './certificate.ts';
import { DecodeError, type Reader, Writer, decode } from './codec.ts';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './identity.ts';
import { utf8 } from './bytes.ts';

export const DOMAIN_REVOCATION = utf8('gridnode/revocation/v1\n');
export const MAX_REVOCATIONS = 16;

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
