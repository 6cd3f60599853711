/**
 * Verification results cached by the SHA-256 of the envelope bytes (origin, body and signature), so the
 * same bytes are never verified twice however many peers forward them. A forged signature over a known
 * body has different bytes, hence a different key: it can never hit a cached `true`.
 *
 * The core needs a synchronous answer; a driver calls `verifyAll()` (async, any engine) on the envelopes
 * of a message before handing the message to the core, whose `verify` slot is then `verifier.lookup`.
 * Envelopes repeated within one call, or being verified by another call, are verified once. A lookup that
 * was not pre-verified goes to the fallback (`SignatureCache.check`: synchronous only within its budget),
 * so no peer input makes the main thread verify at noble speed.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type Envelope, decodeEnvelope, signedMessage } from '../core/announcement.ts';
import type { VerifyFn } from '../core/gossip.ts';
import { type Verifier, verifySync } from './ed25519.ts';
import type { SigCheck } from '../core/certificate.ts';

export class VerificationCache {
  private readonly results = new Map<string, boolean>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly verifier: Verifier,
    private readonly maxEntries = 50_000,
    /** What a lookup that was not pre-verified falls back to; by default noble, unbounded. */
    private readonly fallback: SigCheck = verifySync,
  ) {}

  private static key(hash: Uint8Array): string {
    return String.fromCharCode(...hash);
  }

  private remember(key: string, ok: boolean): boolean {
    if (this.results.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest tenth at once, amortising the cost.
      let n = Math.ceil(this.maxEntries / 10);
      for (const k of this.results.keys()) {
        this.results.delete(k);
        if (--n === 0) break;
      }
    }
    this.results.set(key, ok);
    return ok;
  }

  /** The cached result for these envelope bytes, counting the hit or miss. */
  private cached(hash: Uint8Array): { key: string; ok: boolean | undefined } {
    const key = VerificationCache.key(hash);
    const ok = this.results.get(key);
    if (ok === undefined) this.misses++;
    else this.hits++;
    return { key, ok };
  }

  /** Whether these envelope bytes' result is known or being verified (asking again costs nothing). */
  has(hash: Uint8Array): boolean {
    const key = VerificationCache.key(hash);
    return this.results.has(key) || this.inFlight.has(key);
  }

  /** The remembered result for these envelope bytes' hash (undefined: not checked), counting nothing. */
  result(hash: Uint8Array): boolean | undefined {
    return this.results.get(VerificationCache.key(hash));
  }

  async verify(envelope: Envelope, hash = sha256(envelope.bytes)): Promise<boolean> {
    const { key, ok } = this.cached(hash);
    if (ok !== undefined) return ok;
    let running = this.inFlight.get(key);
    if (!running) {
      const message = signedMessage(envelope.origin, envelope.body);
      running = this.verifier
        .verify(envelope.origin, message, envelope.signature)
        .catch(() => false)
        .then((result) => {
          this.inFlight.delete(key);
          return this.remember(key, result);
        });
      this.inFlight.set(key, running);
    }
    return running;
  }

  /** Verifies (or finds cached) every envelope in `envelopeBytes`; undecodable ones are skipped. */
  async verifyAll(envelopeBytes: readonly Uint8Array[], maxBodyBytes: number): Promise<void> {
    const envelopes = envelopeBytes.flatMap((b) => {
      const d = decodeEnvelope(b, maxBodyBytes);
      return d.ok ? [d.value] : [];
    });
    await Promise.all(envelopes.map((e) => this.verify(e)));
  }

  /**
   * The core's synchronous slot: the cached result, or the fallback when the driver did not pre-verify.
   * What the fallback answers is not remembered here: over its budget it refuses unchecked, which must
   * not stick (it remembers what it did check itself).
   */
  readonly lookup: VerifyFn = (envelope, hash) => {
    const { ok } = this.cached(hash);
    if (ok !== undefined) return ok;
    const message = signedMessage(envelope.origin, envelope.body);
    return this.fallback(envelope.origin, message, envelope.signature);
  };

  get size(): number {
    return this.results.size;
  }
}
