/**
 * Node identity: an ed25519 key pair. Its id string is Tahoe-LAFS's: `v0-` followed by the lowercase,
 * unpadded RFC 4648 base32 of the 32-byte public key (allmydata/crypto/ed25519.py, `v0-` prefix).
 */
import { base32Decode, base32Encode } from './base32.ts';

/** A node id string (`v0-…`). Branded so a nickname or a hex key cannot be passed where an id is meant. */
export type NodeId = string & { readonly __brand: 'NodeId' };

/**
 * The 8-byte prefix of a public key as 16 hex characters: how gossip messages name origins. 64 bits make
 * an accidental collision among 10^5 nodes about 3e-10 likely and a deliberate one 2^64 key generations
 * away; a colliding origin is dropped and counted (`tag-collision`), never confused with the other.
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

const HEX = '0123456789abcdef';

export function tagOf(publicKey: Uint8Array): Tag {
  let tag = '';
  for (let i = 0; i < TAG_BYTES; i++) tag += HEX[publicKey[i]! >> 4]! + HEX[publicKey[i]! & 15]!;
  return tag as Tag;
}
