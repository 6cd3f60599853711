/**
 * Tahoe-LAFS's tagged hashes (allmydata/util/hashutil.py), byte for byte.
 *
 * - SHA-256d (Ferguson and Schneier): `SHA256(SHA256(x))`, so no digest can be length-extended.
 * - A tagged hash prefixes the value with the netstring of its tag: `SHA256d(netstring(tag) · value)`,
 *   optionally truncated (after the second hash) to 16 bytes for keys and storage indexes.
 * - A tagged pair hash netstrings both values: `SHA256d(netstring(tag) · netstring(a) · netstring(b))`.
 * - `netstring(s) = "<decimal length>:" · s · ","`.
 * - Convergent key: the tag is `CONVERGENT_ENCRYPTION_TAG · netstring(secret) · netstring("k,n,segsize")`
 *   (hashutil.py `_convergence_hasher_tag`; segsize is the segment size *after* it was shrunk for small
 *   files, upload.py `get_all_encoding_parameters`), over the whole plaintext, truncated to 16 bytes.
 *
 * The tag strings below are Tahoe's and must never change: every outstanding cap depends on them.
 */
import { concatBytes } from '../core/bytes.ts';
import type { FileCrypto, IncrementalHash } from './crypto.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

export const TAGS = {
  storageIndex: 'allmydata_immutable_key_to_storage_index_v1',
  block: 'allmydata_encoded_subshare_v1',
  ueb: 'allmydata_uri_extension_v1',
  crypttext: 'allmydata_crypttext_v1',
  crypttextSegment: 'allmydata_crypttext_segment_v1',
  convergent: 'allmydata_immutable_content_to_key_with_added_secret_v1+',
  merkleEmptyLeaf: 'Merkle tree empty leaf',
  merkleNode: 'Merkle tree internal node',
} as const;

export const HASH_SIZE = 32;
export const KEY_SIZE = 16;

// One concatenation for the whole project (src/core/bytes.ts); re-exported for the file layer.
export { concatBytes };

export function netstring(value: Uint8Array | string): Uint8Array {
  const bytes = typeof value === 'string' ? ascii(value) : value;
  return concatBytes(ascii(`${bytes.length}:`), bytes, ascii(','));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The tag's netstring is cached: block hashes run once per block and share. */
const tagPrefixes = new Map<string, Uint8Array>();
function tagPrefix(tag: string | Uint8Array): Uint8Array {
  if (typeof tag !== 'string') return netstring(tag);
  let found = tagPrefixes.get(tag);
  if (found === undefined) {
    found = netstring(tag);
    if (tagPrefixes.size < 64) tagPrefixes.set(tag, found);
  }
  return found;
}

export async function taggedHash(
  crypto: FileCrypto,
  tag: string | Uint8Array,
  value: Uint8Array,
  truncateTo?: number,
): Promise<Uint8Array> {
  const inner = await crypto.sha256(concatBytes(tagPrefix(tag), value));
  const outer = await crypto.sha256(inner);
  return truncateTo === undefined ? outer : outer.slice(0, truncateTo);
}

export function taggedPairHash(
  crypto: FileCrypto,
  tag: string,
  a: Uint8Array,
  b: Uint8Array,
): Promise<Uint8Array> {
  return taggedHash(crypto, tag, concatBytes(netstring(a), netstring(b)));
}

/** An incremental tagged SHA-256d, for hashes over a whole file read segment by segment. */
export class TaggedHasher {
  readonly #inner: IncrementalHash;
  readonly #crypto: FileCrypto;
  readonly #truncateTo: number | undefined;
  constructor(crypto: FileCrypto, tag: string | Uint8Array, truncateTo?: number) {
    this.#crypto = crypto;
    this.#truncateTo = truncateTo;
    this.#inner = crypto.sha256Incremental();
    this.#inner.update(tagPrefix(tag));
  }
  update(data: Uint8Array): void {
    this.#inner.update(data);
  }
  async digest(): Promise<Uint8Array> {
    const outer = await this.#crypto.sha256(this.#inner.digest());
    return this.#truncateTo === undefined ? outer : outer.slice(0, this.#truncateTo);
  }
}

export function storageIndexOf(crypto: FileCrypto, key: Uint8Array): Promise<Uint8Array> {
  return taggedHash(crypto, TAGS.storageIndex, key, KEY_SIZE);
}

export function blockHash(crypto: FileCrypto, block: Uint8Array): Promise<Uint8Array> {
  return taggedHash(crypto, TAGS.block, block);
}

export function uebHash(crypto: FileCrypto, ueb: Uint8Array): Promise<Uint8Array> {
  return taggedHash(crypto, TAGS.ueb, ueb);
}

export function crypttextSegmentHash(crypto: FileCrypto, segment: Uint8Array): Promise<Uint8Array> {
  return taggedHash(crypto, TAGS.crypttextSegment, segment);
}

/** The hasher whose 16-byte digest over the plaintext is the convergent key. */
export function convergentKeyHasher(
  crypto: FileCrypto,
  k: number,
  n: number,
  segmentSize: number,
  secret: Uint8Array,
): TaggedHasher {
  const tag = concatBytes(ascii(TAGS.convergent), netstring(secret), netstring(`${k},${n},${segmentSize}`));
  return new TaggedHasher(crypto, tag, KEY_SIZE);
}
