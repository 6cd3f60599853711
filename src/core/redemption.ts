/**
 * Single-use invitations (PROTOCOL.md §8): which node each invitation's one-time key admitted.
 *  - "An honest member witnesses each invitation once, and refuses when it already knows a redemption of it."
 *  - "Of two witnessed redemptions of one invitation, the one its witness dated first wins; equal dates go
 *    to the lower certificate hash."
 *  - "A redemption a node has held for 10 minutes is settled there: no redemption heard later displaces it."
 *
 * The date is the witness's `witnessedAt`, which the claimant cannot choose, so grinding certificate
 * hashes wins nothing: a redemption made after the real one is dated after it by any honest witness. A
 * dishonest witness can backdate, which is what the settling rule bounds: it can only contest a
 * redemption in the minutes before that redemption has spread; afterwards its forgery is an `invite-used`
 * refusal like any other (and revoking that witness voids all it countersigned, chain.ts). The price: a
 * node that heard only the loser of a race for 10 minutes keeps it, where the rest keep the winner; in a
 * connected grid both spread within seconds, so this needs a partition that outlasts the settling time.
 *
 * Redemptions inside a witness's own chain carry no witness (certificate.ts); they are dated
 * `Number.MAX_SAFE_INTEGER` here, so any witnessed redemption of the same invitation beats them, and they
 * never settle.
 *
 * Invariant: at most one redemption per one-time key; it is the earliest-dated (then lowest-hash) one this
 * node has seen for that key, unless the one it held was settled first. The table holds at most
 * `MAX_REDEMPTIONS` keys (then the oldest-seen are forgotten), so it cannot grow without bound.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { compareBytes, equalBytes, toHex } from './bytes.ts';
import type { Certificate } from './certificate.ts';

/** How long a held redemption may still be displaced by an earlier-dated one, on the local clock. */
export const SETTLE_MS = 10 * 60_000;
/** One-time keys remembered (a grid with more invitations than this forgets the oldest-seen). */
export const MAX_REDEMPTIONS = 8_192;
/** The date of a redemption that carries no witness (inside a witness's chain). */
export const UNDATED = Number.MAX_SAFE_INTEGER;

interface Redemption {
  hash: Uint8Array;
  subject: Uint8Array;
  at: number;
  firstSeen: number;
  /** The chain that proved it, up to and including the redemption: shown to a loser. */
  proof: readonly Certificate[];
}

export class Redemptions {
  private readonly byKey = new Map<string, Redemption>();

  /**
   * Records this redemption, dated `at`, seen at local time `now`; or reports (false) that the invitation
   * is spent on another node. `proof` is the chain up to the redemption.
   */
  redeem(
    oneTimeKey: Uint8Array,
    c: Certificate,
    at: number,
    now: number,
    proof: readonly Certificate[],
  ): boolean {
    const key = toHex(oneTimeKey);
    const hash = sha256(c.bytes);
    const known = this.byKey.get(key);
    if (known && equalBytes(known.subject, c.subject)) {
      // The same node again: keep the best-dated proof of it.
      if (at < known.at) this.byKey.set(key, { ...known, hash, at, proof });
      return true;
    }
    if (known) {
      const settled = known.at !== UNDATED && now - known.firstSeen >= SETTLE_MS;
      const earlier = at < known.at || (at === known.at && compareBytes(hash, known.hash) < 0);
      if (settled || !earlier) return false;
    }
    if (!known && this.byKey.size >= MAX_REDEMPTIONS) this.byKey.delete(this.byKey.keys().next().value!);
    this.byKey.set(key, { hash, subject: c.subject, at, firstSeen: now, proof });
    return true;
  }

  /** Whether this node would witness a redemption of `oneTimeKey` for `subject`: never a second node. */
  mayWitness(oneTimeKey: Uint8Array, subject: Uint8Array): boolean {
    const known = this.byKey.get(toHex(oneTimeKey));
    return !known || equalBytes(known.subject, subject);
  }

  /** The node this invitation's one-time key admitted, if any. */
  redeemedBy(oneTimeKey: Uint8Array): Uint8Array | undefined {
    return this.byKey.get(toHex(oneTimeKey))?.subject;
  }

  /** The chain that proves who redeemed this invitation (for telling a loser), if known. */
  proofOf(oneTimeKey: Uint8Array): readonly Certificate[] | undefined {
    return this.byKey.get(toHex(oneTimeKey))?.proof;
  }
}
