/**
 * Single-use invitations (PROTOCOL.md §8): which node each invitation's one-time key admitted.
 *  - "An honest member witnesses each invitation once, and refuses when it already knows a redemption of it."
 *  - "Of two witnessed redemptions of one invitation, the lower certificate hash wins on every node."
 *
 * So once the grid has seen a redemption, a second browser holding the same code cannot get in, however it
 * orders messages; two redemptions witnessed at the same moment by different members are a race that every
 * node settles the same way, and the loser is `invite-used`. Witness chains count against this table too.
 *
 * Invariant: at most one redemption per one-time key, and it is the one with the lowest certificate hash
 * this node has seen for that key.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { compareBytes, equalBytes, toHex } from './bytes.ts';
import type { Certificate } from './certificate.ts';

interface Redemption {
  hash: Uint8Array;
  subject: Uint8Array;
}

export class Redemptions {
  private readonly byKey = new Map<string, Redemption>();

  /** Records this redemption, or reports (false) that the invitation is spent on another node. */
  redeem(oneTimeKey: Uint8Array, c: Certificate): boolean {
    const key = toHex(oneTimeKey);
    const hash = sha256(c.bytes);
    const known = this.byKey.get(key);
    if (known && equalBytes(known.subject, c.subject)) return true;
    if (known && compareBytes(hash, known.hash) >= 0) return false;
    this.byKey.set(key, { hash, subject: c.subject });
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
}
