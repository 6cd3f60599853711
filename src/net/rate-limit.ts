/**
 * Per-sender token buckets for requests on the signaling topic (witness requests, revocation notices):
 * each verified sender may make `burst` requests at once and `perSecond` after that. Senders are
 * remembered up to `maxSenders`, the least recently seen forgotten first (a forgotten sender starts
 * with a full bucket, which costs no more than a new key would).
 *
 * Pure: the time is given.
 */
export class RateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly maxSenders = 1024,
  ) {
    if (!(burst >= 1) || !(perSecond > 0)) throw new RangeError('burst ≥ 1 and perSecond > 0');
  }

  /** The tokens `sender` holds at `now` (a full bucket for one not seen), taking none. */
  peek(sender: string, now: number): number {
    const last = this.buckets.get(sender);
    if (!last) return this.burst;
    return Math.min(this.burst, last.tokens + (Math.max(0, now - last.at) * this.perSecond) / 1000);
  }

  /** Takes `cost` tokens (default one) from `sender`'s bucket at time `now` (ms); false, taking none, if it holds fewer. */
  take(sender: string, now: number, cost = 1): boolean {
    const last = this.buckets.get(sender);
    const elapsed = last ? Math.max(0, now - last.at) : 0;
    const tokens = last ? Math.min(this.burst, last.tokens + (elapsed * this.perSecond) / 1000) : this.burst;
    this.buckets.delete(sender);
    const allowed = tokens >= cost;
    this.buckets.set(sender, { tokens: allowed ? tokens - cost : tokens, at: now });
    if (this.buckets.size > this.maxSenders) this.buckets.delete(this.buckets.keys().next().value!);
    return allowed;
  }
}
