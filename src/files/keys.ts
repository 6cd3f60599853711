/**
 * Encryption keys for immutable files (Tahoe-LAFS upload.py `FileHandle`):
 *
 * - random: 16 bytes from the injected random source (the default; a file's cap reveals nothing about
 *   other uploads of the same bytes);
 * - convergent: the first 16 bytes of the tagged SHA-256d of the whole plaintext under the tag
 *   `CONVERGENT_ENCRYPTION_TAG · netstring(secret) · netstring("k,n,segsize")` (hashes.ts), so the same
 *   bytes with the same secret and parameters give the same cap and storage index: uploads deduplicate
 *   among nodes that share the secret, at the price of confirming a guessed plaintext to them.
 *
 * A convergent key costs one extra pass over the file before encoding; Blobs are read in bounded slices.
 */
import type { FileCrypto } from './crypto.ts';
import { KEY_SIZE, convergentKeyHasher } from './hashes.ts';
import type { Segmenting } from './params.ts';

export const HASH_READ_BYTES = 1 << 20;

export function randomKey(crypto: FileCrypto): Uint8Array {
  return crypto.randomBytes(KEY_SIZE);
}

export async function convergentKey(
  crypto: FileCrypto,
  seg: Segmenting,
  secret: Uint8Array,
  data: Uint8Array | Blob,
): Promise<Uint8Array> {
  const hasher = convergentKeyHasher(crypto, seg.k, seg.n, seg.segmentSize, secret);
  if (data instanceof Uint8Array) hasher.update(data);
  else {
    for (let at = 0; at < data.size; at += HASH_READ_BYTES) {
      hasher.update(new Uint8Array(await data.slice(at, at + HASH_READ_BYTES).arrayBuffer()));
    }
  }
  return hasher.digest();
}
