/**
 * Signature results (certificates, descriptors, witnesses, revocations) cached by the SHA-256 of
 * public key · signature · message, failures as well as successes, so the same bytes are never checked
 * twice however often a chain travels, and a forged signature costs one check, not one per copy.
 *
 * The membership rules need a synchronous answer (`check`, a `SigCheck`); a driver fills the cache first
 * with `verifyAll` (asynchronous, WebCrypto where the runtime has it) for every signature a message
 * carries (core/signatures.ts lists them), and enters the signatures this node makes itself with `vouch`
 * (a `vouching` signer does it as it signs: they are known valid).
 *
 * Invariants (issue 12: "the core never verifies synchronously on the main thread in the browser"):
 * - With `syncPerSecond` 0 (the default, the browser's setting) `check` never verifies: a miss is a path
 *   that was not pre-verified, and is refused unchecked (`unverified`), never remembered as a failure.
 * - A refused miss is verified asynchronously at once (`deferred`, at most `maxDeferred` in flight), so
 *   the same signature asked again — the envelope offered again by anti-entropy, the request repeated —
 *   finds its result: nothing genuine is lost, only delayed by one round.
 * - `syncPerSecond` > 0 (tests, tools) checks misses synchronously (noble) within that budget.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { SigCheck } from '../core/certificate.ts';
import type { SigRequest } from '../core/signatures.ts';
import { type Signer, type Verifier, verifySync } from './ed25519.ts';

export const signatureCacheDefaults = {
  // Results remembered. A member's chain is a few certificates; 50,000 covers thousands of members with
  // their witnesses and the revocation set, and a flood of forgeries only pushes out the oldest results.
  maxEntries: 50_000,
  // Synchronous (noble, ~1.4 ms each in Chromium) checks allowed per second for what was not pre-verified.
  // 0: none; every signature a peer sends is pre-verified asynchronously and this node's own are vouched
  // for, so a miss is refused (and verified in the background) rather than checked on the main thread.
  syncPerSecond: 0,
  // Misses being verified in the background at once; more are refused without it (a path that forgets to
  // pre-verify must not become a way to queue unbounded work).
  maxDeferred: 256,
} as const;

export interface SignatureCacheStats {
  cached: number;
  hits: number;
  /** Verified asynchronously by `verifyAll` (each at most once). */
  verified: number;
  /** Of those, failed (and remembered as failed). */
  failed: number;
  /** Not pre-verified, checked synchronously within the budget. */
  syncVerified: number;
  /** Not pre-verified and over the synchronous budget: refused unchecked (not remembered). */
  unverified: number;
  /** Of those, verified in the background so that asking again finds the result. */
  deferred: number;
  /** This node's own signatures entered as it made them. */
  vouched: number;
}

export class SignatureCache {
  private readonly results = new Map<string, boolean>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private syncTokens: number;
  private syncAt = 0;
  private readonly counts = {
    hits: 0,
    verified: 0,
    failed: 0,
    syncVerified: 0,
    unverified: 0,
    deferred: 0,
    vouched: 0,
  };

  constructor(
    private readonly verifier: Verifier,
    private readonly options: {
      maxEntries?: number;
      syncPerSecond?: number;
      maxDeferred?: number;
      now?: () => number;
    } = {},
  ) {
    this.syncTokens = this.syncPerSecond;
  }

  private get syncPerSecond(): number {
    return this.options.syncPerSecond ?? signatureCacheDefaults.syncPerSecond;
  }

  static key(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): string {
    const joined = new Uint8Array(publicKey.length + signature.length + message.length);
    joined.set(publicKey);
    joined.set(signature, publicKey.length);
    joined.set(message, publicKey.length + signature.length);
    return String.fromCharCode(...sha256(joined));
  }

  /** Whether this request's result is known or being verified (then asking again costs nothing). */
  has(r: SigRequest): boolean {
    const key = SignatureCache.key(r.publicKey, r.message, r.signature);
    return this.results.has(key) || this.inFlight.has(key);
  }

  /** The remembered result of this request (undefined: not checked, or forgotten). */
  result(r: SigRequest): boolean | undefined {
    return this.results.get(SignatureCache.key(r.publicKey, r.message, r.signature));
  }

  /**
   * The requests whose result is not known: `fresh`, which nobody is verifying yet (each will cost a
   * check), and `settling`, the checks other callers started, to wait for before the core looks them up.
   */
  unknown(requests: readonly SigRequest[]): { fresh: SigRequest[]; settling: Promise<unknown>[] } {
    const fresh: SigRequest[] = [];
    const settling: Promise<unknown>[] = [];
    for (const r of requests) {
      const key = SignatureCache.key(r.publicKey, r.message, r.signature);
      if (this.results.has(key)) continue;
      const running = this.inFlight.get(key);
      if (running) settling.push(running);
      else fresh.push(r);
    }
    return { fresh, settling };
  }

  /** Verifies every request not known yet (each once, duplicates and concurrent callers included). */
  async verifyAll(requests: readonly SigRequest[]): Promise<void> {
    const pending: Promise<boolean>[] = [];
    for (const r of requests) {
      const key = SignatureCache.key(r.publicKey, r.message, r.signature);
      if (this.results.has(key)) continue;
      let running = this.inFlight.get(key);
      if (!running) {
        running = this.verifier.verify(r.publicKey, r.message, r.signature).then(
          (ok) => this.settle(key, ok),
          () => this.settle(key, false),
        );
        this.inFlight.set(key, running);
      }
      pending.push(running);
    }
    await Promise.all(pending);
  }

  private settle(key: string, ok: boolean): boolean {
    this.inFlight.delete(key);
    this.counts.verified++;
    if (!ok) this.counts.failed++;
    this.remember(key, ok);
    return ok;
  }

  /** Records a result this node knows without checking (a signature it made itself). */
  vouch(r: SigRequest): void {
    this.counts.vouched++;
    this.remember(SignatureCache.key(r.publicKey, r.message, r.signature), true);
  }

  /** `signer`, entering every signature it makes here as valid (it is: this node just made it). */
  vouching(signer: Signer): Signer {
    return {
      publicKey: signer.publicKey,
      sign: async (message: Uint8Array) => {
        const signature = await signer.sign(message);
        this.vouch({ publicKey: signer.publicKey, message, signature });
        return signature;
      },
    };
  }

  /** The synchronous slot for `GridMembership`: a lookup, else a bounded synchronous check. */
  readonly check: SigCheck = (publicKey, message, signature) => {
    const key = SignatureCache.key(publicKey, message, signature);
    const known = this.results.get(key);
    if (known !== undefined) {
      this.counts.hits++;
      return known;
    }
    if (!this.takeSyncToken()) {
      this.counts.unverified++;
      if (this.inFlight.size < (this.options.maxDeferred ?? signatureCacheDefaults.maxDeferred)) {
        this.counts.deferred++;
        void this.verifyAll([{ publicKey, message, signature }]);
      }
      return false;
    }
    this.counts.syncVerified++;
    return this.remember(key, verifySync(publicKey, message, signature));
  };

  private takeSyncToken(): boolean {
    const now = (this.options.now ?? Date.now)();
    const rate = this.syncPerSecond;
    if (rate <= 0) return false;
    this.syncTokens = Math.min(rate, this.syncTokens + (Math.max(0, now - this.syncAt) * rate) / 1000);
    this.syncAt = now;
    if (this.syncTokens < 1) return false;
    this.syncTokens--;
    return true;
  }

  private remember(key: string, ok: boolean): boolean {
    const max = this.options.maxEntries ?? signatureCacheDefaults.maxEntries;
    if (this.results.size >= max) {
      // Insertion order: drop the oldest tenth at once, amortising the cost.
      let n = Math.ceil(max / 10);
      for (const k of this.results.keys()) {
        this.results.delete(k);
        if (--n === 0) break;
      }
    }
    this.results.set(key, ok);
    return ok;
  }

  stats(): SignatureCacheStats {
    return { cached: this.results.size, ...this.counts };
  }
}
