/**
 * Floors (PROTOCOL.md §6, rule 3): "Refuse a forgotten node's announcements at or below its last seqnum
 * for another `forgetAfterMs`." A floor is (origin, seqnum, until); a newer seqnum passes it (the node came
 * back) and the table then clears it. At most `maxOrigins` floors are kept: a new one replaces the one that
 * would lapse first.
 */
import { equalBytes } from './bytes.ts';
import type { CoreConfig } from './config.ts';
import { type Tag, tagOf } from './identity.ts';

/** What is left of a forgotten origin: the seqnum below which its announcements stay refused. */
interface Floor {
  readonly origin: Uint8Array;
  readonly seqnum: number;
  until: number;
}

export class Floors {
  private readonly floors = new Map<Tag, Floor>();

  constructor(private readonly config: CoreConfig) {}

  get size(): number {
    return this.floors.size;
  }

  /** Whether `seqnum` is at or below the floor of a forgotten origin (any origin with this tag, if none given). */
  below(tag: Tag, origin: Uint8Array | undefined, seqnum: number): boolean {
    // Most nodes hold no floor at all: no hashing of the tag then.
    const floor = this.floors.size === 0 ? undefined : this.floors.get(tag);
    return floor !== undefined && seqnum <= floor.seqnum && (!origin || equalBytes(floor.origin, origin));
  }

  /** A floor for `origin` (a copy the floor may keep) at `seqnum` until `until`. */
  add(tag: Tag, origin: Uint8Array, seqnum: number, until: number): void {
    if (!this.floors.has(tag) && this.floors.size >= this.config.maxOrigins) {
      let oldest: Tag | undefined;
      let oldestUntil = Number.POSITIVE_INFINITY;
      for (const [t, f] of this.floors) if (f.until < oldestUntil) [oldest, oldestUntil] = [t, f.until];
      if (oldest !== undefined) this.floors.delete(oldest);
    }
    this.floors.set(tag, { origin, seqnum, until });
  }

  /** Restores a floor saved by the driver from a `forgotten` output; a higher one already held stays. */
  restore(origin: Uint8Array, seqnum: number, until: number): void {
    const tag = tagOf(origin);
    const existing = this.floors.get(tag);
    if (existing && existing.seqnum >= seqnum) return;
    this.add(tag, origin, seqnum, until);
  }

  /** The origin with this tag is held again. */
  clear(tag: Tag): void {
    this.floors.delete(tag);
  }

  /**
   * Lets lapsed floors go. A floor ending further ahead than `forgetAfterMs` (the clock was set back, or
   * storage says so) is pulled in, so no floor outlives its rule.
   */
  sweep(now: number): void {
    const forgetAfterMs = this.config.forgetAfterMs;
    for (const [tag, floor] of this.floors) {
      if (floor.until > now + forgetAfterMs) floor.until = now + forgetAfterMs;
      if (floor.until <= now) this.floors.delete(tag);
    }
  }
}
