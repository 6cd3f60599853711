/**
 * Node identity: an ed25519 key pair. Its id string is Tahoe-LAFS's: `v0-` followed by the lowercase,
 * unpadded RFC 4648 base32 of the 32-byte public key (allmydata/crypto/ed25519.py, `v0-` prefix).
 */
import { base32Decode, base32Encode } from './base32.ts';

/** A node id string (`v0-…`). Branded so a nickname or a hex key cannot be passed where an id is meant. */
export type NodeId = string & { readonly __brand: 'NodeId' };

/**
 * The 8-byte prefix of a public key: how gossip messages name origins. 64 bits make an accidental
 * collision among 10^5 nodes about 3e-10 likely and a deliberate one 2^64 key generations away; a
 * colliding origin is dropped and counted (`tag-collision`), never confused with the other.
 *
 * In memory a tag is a 4-character string of 16-bit code units — a compact, flat Map key that is hashed
 * in a few instructions (a hex string built by concatenation must first be flattened). It is not meant
 * to be displayed; `toHex(publicKey)` is.
 */
export type Tag = string & { readonly __brand: 'Tag' };

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const TAG_BYTES = 8;

const ID_PREFIX = 'v0-';

export function nodeIdString(publicKey: Uint8Array): NodeId {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new TypeError('nodeIdString: public key must be 32 bytes');
  return (ID_PREFIX + base32Encode(publicKey)) as NodeId;
}

/** The public key inside a node id string, or undefined if it is not one. */
export function parseNodeId(id: string): Uint8Array | undefined {
  if (!id.startsWith(ID_PREFIX)) return undefined;
  const key = base32Decode(id.slice(ID_PREFIX.length));
  return key?.length === PUBLIC_KEY_BYTES ? key : undefined;
}

/** The tag of the public key (or of 8 tag bytes read from a message). */
export function tagOf(bytes: Uint8Array, offset = 0): Tag {
  // No inner helper: this runs for every envelope and ref received, and a closure per call shows up.
  const o = offset;
  return String.fromCharCode(
    (bytes[o]! << 8) | bytes[o + 1]!,
    (bytes[o + 2]! << 8) | bytes[o + 3]!,
    (bytes[o + 4]! << 8) | bytes[o + 5]!,
    (bytes[o + 6]! << 8) | bytes[o + 7]!,
  ) as Tag;
}

/** Writes a tag's 8 bytes into `out` at `offset`. */
export function writeTag(tag: Tag, out: Uint8Array, offset = 0): void {
  for (let i = 0; i < 4; i++) {
    const unit = tag.charCodeAt(i);
    out[offset + 2 * i] = unit >> 8;
    out[offset + 2 * i + 1] = unit & 0xff;
  }
}
