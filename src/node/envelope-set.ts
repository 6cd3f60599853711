/**
 * A bounded set of exact byte strings, looked up without hashing them: keyed by their length and last 24
 * bytes (an envelope ends with its 64-byte signature), and confirmed by comparing every byte, so two
 * different envelopes are never taken for one another whatever a sender crafts (a crafted tail only makes
 * the newer one take the slot). What the receive path uses to drop, before any hashing or decoding, an
 * envelope repeated within a message and an envelope already found forged (receive-budgets.ts).
 */
import { equalBytes } from '../core/index.ts';

const TAIL_BYTES = 24;

export function tailKey(bytes: Uint8Array): string {
  const tail = bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES));
  return `${bytes.length}:${String.fromCharCode(...tail)}`;
}

export class EnvelopeSet {
  private readonly entries = new Map<string, Uint8Array>();

  /** `max` entries at most; the oldest go first. Infinity for a set that lives as long as one message. */
  constructor(private readonly max = Number.POSITIVE_INFINITY) {}

  get size(): number {
    return this.entries.size;
  }

  has(bytes: Uint8Array): boolean {
    const held = this.entries.get(tailKey(bytes));
    return held !== undefined && equalBytes(held, bytes);
  }

  add(bytes: Uint8Array): void {
    const key = tailKey(bytes);
    this.entries.delete(key);
    this.entries.set(key, bytes);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}
