/**
 * What the simulated nodes of one process share: the held form of each distinct envelope (its bytes, hash,
 * tag and checked body head, see src/core/canonical.ts), each envelope's verification result, and the
 * numbering of origin tags behind each node's origin indices (src/core/origins.ts). The first two are
 * functions of the bytes alone; the numbers are not (they follow the order tags were first seen), but
 * nothing a node does depends on them. So sharing changes memory and speed, never a result: every node
 * still runs every check of §3 on what it receives and keeps its own table, and every distinct envelope
 * is verified (real ed25519, Node's crypto: node-ed25519.ts) once.
 */
import {
  type Canonical,
  type Interner,
  OriginIndex,
  type VerifyFn,
  canonicalOf,
  equalBytes,
} from '../../src/core/index.ts';
import { nodeVerifySync } from './node-ed25519.ts';
import { VerificationCache } from '../../src/crypto/verify-cache.ts';

/**
 * A cheap key to find equal bytes, confirmed byte for byte: the length, the origin's first key bytes and
 * the signature's last bytes (an ed25519 signature's tail is as good as a hash for honest envelopes, and
 * a collision costs only a comparison). Hashing all the bytes (FNV-1a) was 5 % of a bootstrap's CPU.
 */
function keyOf(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < 40) return n;
  const tail = (bytes[n - 1]! | (bytes[n - 2]! << 8) | (bytes[n - 3]! << 16) | (bytes[n - 4]! << 24)) >>> 0;
  const head = bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16);
  // 30 bits: a small integer, which a Map hashes in place (a key of 2^30 or more is a boxed double,
  // allocated and hashed as a heap number at every lookup).
  return (tail ^ Math.imul(head, 0x9e3779b1) ^ Math.imul(n, 0x85ebca6b)) & 0x3fffffff;
}

export class SharedEnvelopes {
  private readonly byKey = new Map<number, Canonical[]>();
  /** Distinct envelopes held (each stored once however many nodes hold it). */
  size = 0;
  readonly cache = new VerificationCache(
    { verify: async (key, message, signature) => nodeVerifySync(key, message, signature) },
    1_000_000,
    nodeVerifySync,
  );
  private readonly verdicts = new WeakMap<Uint8Array, boolean>();
  /** One numbering of origin tags for every node (origins.ts `SharedOrigins`). */
  readonly tags = new OriginIndex();

  readonly intern: Interner = (received, maxBodyBytes) => {
    const key = keyOf(received);
    const list = this.byKey.get(key);
    if (list)
      for (const c of list)
        // The very bytes held (a restore of a shared envelope) need no comparison.
        if (c.bytes === received || equalBytes(c.bytes, received))
          return c.envelope.body.length <= maxBodyBytes ? c : undefined;
    const made = canonicalOf(received.slice(), maxBodyBytes);
    if (!made) return undefined;
    if (list) list.push(made);
    else this.byKey.set(key, [made]);
    this.size++;
    return made;
  };

  /** Verification by the (shared) hash object first, then by the hash's bytes (`VerificationCache`). */
  readonly verify: VerifyFn = (envelope, hash) => {
    const known = this.verdicts.get(hash);
    if (known !== undefined) return known;
    const ok = this.cache.lookup(envelope, hash);
    this.verdicts.set(hash, ok);
    return ok;
  };
}
