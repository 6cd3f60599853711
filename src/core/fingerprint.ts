/**
 * The fingerprint of what a node gossips (PROTOCOL.md §4): "the XOR of the first 16 bytes of the SHA-256
 * of every envelope the node currently gossips", with their count, and the bucket fingerprints ("the XOR
 * of the first 8 bytes of the SHA-256 of every envelope gossiped in it"), kept incrementally by the table:
 * every envelope that starts or stops being gossiped is toggled once.
 */
import type { Canonical } from './canonical.ts';
import { BUCKET_FINGERPRINT_BYTES, FINGERPRINT_BYTES, MAX_BUCKET_BITS } from './messages.ts';

export class Fingerprint {
  readonly bytes = new Uint8Array(FINGERPRINT_BYTES);
  /** Bucket fingerprints at `MAX_BUCKET_BITS`; coarser ones fold these. */
  private readonly fine = new Uint8Array(BUCKET_FINGERPRINT_BYTES << MAX_BUCKET_BITS);
  count = 0;

  /** `held` starts (`delta` 1) or stops (-1) being gossiped: XOR is its own inverse. */
  toggle(held: Canonical, delta: 1 | -1): void {
    const hash = held.hash;
    for (let i = 0; i < FINGERPRINT_BYTES; i++) this.bytes[i]! ^= hash[i]!;
    // The finest bucket is the tag's first byte, which is the origin key's first byte, bytes[1].
    const at = held.bytes[1]! * BUCKET_FINGERPRINT_BYTES;
    for (let i = 0; i < BUCKET_FINGERPRINT_BYTES; i++) this.fine[at + i]! ^= hash[i]!;
    this.count += delta;
  }

  /**
   * The fingerprint of every bucket at `bits`, bucket 0 first. A new array; the finest buckets are kept,
   * coarser ones are their XOR, since a bucket at `bits` is the 2^(8 - bits) finest buckets that share
   * its top bits.
   */
  buckets(bits: number): Uint8Array {
    const out = new Uint8Array(BUCKET_FINGERPRINT_BYTES << bits);
    const shift = MAX_BUCKET_BITS - bits;
    const fine = this.fine;
    for (let b = 0; b < 1 << MAX_BUCKET_BITS; b++) {
      const to = (b >> shift) * BUCKET_FINGERPRINT_BYTES;
      const from = b * BUCKET_FINGERPRINT_BYTES;
      for (let i = 0; i < BUCKET_FINGERPRINT_BYTES; i++) out[to + i]! ^= fine[from + i]!;
    }
    return out;
  }
}
