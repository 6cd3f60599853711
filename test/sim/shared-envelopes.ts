/**
 * What the simulated nodes of one process share: the held form of each distinct envelope (its bytes, hash,
 * tag and checked body head, see src/core/canonical.ts) and each envelope's verification result. Both are
 * functions of the bytes alone, so sharing changes memory and speed, never a result: every node still runs
 * every check of §3 on what it receives, and every distinct envelope is verified (real ed25519, Node's crypto: node-ed25519.ts) once.
 */
import {
  type Canonical,
  type Interner,
  type VerifyFn,
  canonicalOf,
  equalBytes,
} from '../../src/core/index.ts';
import { nodeVerifySync } from './node-ed25519.ts';
import { VerificationCache } from '../../src/crypto/verify-cache.ts';

/** FNV-1a over the bytes: a cheap key to find equal bytes, confirmed byte for byte. */
function fnv(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
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

  readonly intern: Interner = (received, maxBodyBytes) => {
    const key = fnv(received);
    const list = this.byKey.get(key);
    if (list)
      for (const c of list)
        if (equalBytes(c.bytes, received)) return c.envelope.body.length <= maxBodyBytes ? c : undefined;
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
