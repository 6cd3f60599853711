/**
 * The table (PROTOCOL.md §3, §4 and the floors of §6): the newest announcement held per origin, this
 * node's own counter, the fingerprint of what it gossips, and what is left of forgotten origins.
 *
 * Sequence numbers (§3), in the order a received envelope meets them:
 *  - "Duplicates are recognised by the hash of the envelope bytes before any signature check."
 *  - "Replays, foreign grids and malformed bodies are dropped before any signature check." Verification
 *    is the expensive step and is spent only on news; so is the `admit` (membership) rule, after it.
 *  - "A strictly greater seqnum replaces the announcement held."
 *  - "A smaller seqnum is a replay: it is dropped and counted."
 *  - "An equal seqnum with different bytes is an equivocation: the envelope with the lower SHA-256 wins on
 *    every node, and the origin is flagged." — whatever the arrival order.
 *  - "A node that hears its own key at or above its counter jumps past it and republishes." (seed 001:
 *    counters recover from loss without clocks).
 *  - A tag collision (another origin with the same 8-byte tag, §1) is dropped, never confused with it.
 *
 * Fingerprint (§4): "the XOR of the first 16 bytes of the SHA-256 of every envelope the node currently
 * gossips", with their count; kept incrementally. Invariant: `fingerprint` is the XOR, and
 * `gossipedCount` the number, of the entries whose `gossiped` is set — every change of that flag, and
 * every entry added or removed, goes through `put`, `touch`, `expire` or `remove`.
 *
 * Floors (§6): "Refuse a forgotten node's announcements at or below its last seqnum for another
 * `forgetAfterMs`." A floor is (origin, seqnum, until); a newer seqnum passes it (the node came back) and
 * clears it. At most `maxOrigins` floors are kept: a new one replaces the one that would lapse first.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type AnnouncementBody, type Envelope, decodeBody, decodeEnvelope } from './announcement.ts';
import { compareBytes, equalBytes } from './bytes.ts';
import type { CoreConfig } from './config.ts';
import type { AdmitFn, DropReason, VerifyFn } from './gossip-types.ts';
import { type Tag, nodeIdString, tagOf } from './identity.ts';
import { FINGERPRINT_BYTES, type Ref } from './messages.ts';
import type { Outbox } from './outbox.ts';

/**
 * One origin's newest announcement. Kept small on purpose — a simulation holds a million of these — so
 * the origin key, id and decoded body are derived from `envelope` when asked for, not stored. An entry is
 * also a `Ref` to itself.
 */
export interface Entry {
  readonly tag: Tag;
  /** The node's own copy of the envelope bytes: origin key at [1, 33). */
  readonly envelope: Uint8Array;
  readonly hash: Uint8Array;
  readonly hash32: number;
  readonly seqnum: number;
  receivedAt: number;
  lastSeenAt: number;
  /** Counted in the fingerprint and offered to peers. */
  gossiped: boolean;
}

/** What is left of a forgotten origin: the seqnum below which its announcements stay refused. */
interface Floor {
  readonly origin: Uint8Array;
  readonly seqnum: number;
  until: number;
}

/** An entry just installed, and the one it replaced. */
export interface Stored {
  readonly entry: Entry;
  readonly previous: Entry | undefined;
}

/** What became of a received envelope. */
export type Received =
  | { readonly kind: 'dropped'; readonly reason: DropReason; readonly detail?: string }
  /** Our own key at or above our counter: the counter has jumped; republish. */
  | { readonly kind: 'counter-jump' }
  | ({ readonly kind: 'stored' } & Stored);

export const refOf = (e: Entry): Ref => ({ tag: e.tag, seqnum: e.seqnum, hash32: e.hash32 });
/** Ref order (§4): a higher seqnum is newer; at an equal seqnum the lower hash is newer. */
export const refNewer = (a: Ref, b: Ref): boolean =>
  a.seqnum > b.seqnum || (a.seqnum === b.seqnum && a.hash32 < b.hash32);
export const originOf = (e: Entry): Uint8Array => e.envelope.subarray(1, 33);
export function sameOrigin(e: Entry, origin: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (e.envelope[i + 1] !== origin[i]) return false;
  return true;
}
export function bodyOf(e: Entry): AnnouncementBody {
  const env = decodeEnvelope(e.envelope, Number.MAX_SAFE_INTEGER);
  const body = env.ok && decodeBody(env.value.body);
  if (!body || !body.ok) throw new Error('unreachable: a stored envelope no longer decodes');
  return body.value;
}
const hash32Of = (h: Uint8Array): number => ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
const dropped = (reason: DropReason, detail?: string): Received =>
  detail === undefined ? { kind: 'dropped', reason } : { kind: 'dropped', reason, detail };

export class Table {
  /** The last seqnum this node signed (the persisted counter). */
  counter: number;
  private readonly entries = new Map<Tag, Entry>();
  private readonly floors = new Map<Tag, Floor>();
  private readonly fingerprintBytes = new Uint8Array(FINGERPRINT_BYTES);
  private gossipedCount = 0;

  constructor(
    private readonly selfKey: Uint8Array,
    private readonly selfTag: Tag,
    private readonly gridId: Uint8Array,
    private readonly config: CoreConfig,
    private readonly outbox: Outbox,
    counter: number,
  ) {
    this.counter = counter;
  }

  get size(): number {
    return this.entries.size;
  }

  get gossiped(): number {
    return this.gossipedCount;
  }

  get fingerprint(): Uint8Array {
    return this.fingerprintBytes;
  }

  get floorCount(): number {
    return this.floors.size;
  }

  get(tag: Tag): Entry | undefined {
    return this.entries.get(tag);
  }

  /** The entry held for exactly this public key (not merely its tag). */
  lookup(publicKey: Uint8Array): Entry | undefined {
    const entry = this.entries.get(tagOf(publicKey));
    return entry && sameOrigin(entry, publicKey) ? entry : undefined;
  }

  values(): IterableIterator<Entry> {
    return this.entries.values();
  }

  gossipedRefs(): Ref[] {
    const refs: Ref[] = [];
    for (const entry of this.entries.values()) if (entry.gossiped) refs.push(refOf(entry));
    return refs;
  }

  /** Whether a peer's `ref` names a version this node would take (so it is worth asking for). */
  isNews(ref: Ref): boolean {
    const entry = this.entries.get(ref.tag);
    if (entry) return refNewer(ref, entry);
    if (ref.tag === this.selfTag) return ref.seqnum > this.counter;
    return !this.belowFloor(ref.tag, undefined, ref.seqnum);
  }

  /** The §3 checks, cheapest first, for an envelope a peer sent; stores it if it is news. */
  accept(received: Uint8Array, now: number, verify: VerifyFn, admit: AdmitFn | undefined): Received {
    const header = decodeEnvelope(received, this.config.maxBodyBytes);
    if (!header.ok) return dropped('malformed-envelope');
    const tag = tagOf(header.value.origin);
    const hash = sha256(received);
    const existing = this.entries.get(tag);
    if (existing && !sameOrigin(existing, header.value.origin)) return dropped('tag-collision');
    if (existing && equalBytes(existing.hash, hash)) return dropped('duplicate');
    // News from here on: keep a copy, so a stored entry does not pin the whole received message.
    const env = this.parseCopy(received)!;
    const body = decodeBody(env.body);
    if (!body.ok) return dropped('malformed-body', body.reason);
    const seqnum = body.value.seqnum;
    if (existing && seqnum < existing.seqnum) return dropped('replay');
    if (!equalBytes(body.value.gridId, this.gridId)) return dropped('foreign-grid');

    if (tag === this.selfTag) return this.ownEcho(env, seqnum, hash, verify);

    const equivocation = existing !== undefined && seqnum === existing.seqnum;
    if (!existing && this.belowFloor(tag, header.value.origin, seqnum)) return dropped('forgotten-replay');
    if (!existing && this.entries.size >= this.config.maxOrigins) return dropped('table-full');
    if (!this.verified(env, hash, verify)) return dropped('bad-signature');
    const refused = admit?.(env.origin, body.value, now);
    if (refused) return dropped(refused);
    if (equivocation) {
      this.outbox.counters.equivocations++;
      this.outbox.push({ type: 'flagged', reason: 'equivocation', id: nodeIdString(env.origin) });
      if (compareBytes(hash, existing.hash) > 0) return dropped('equivocation-loser');
    }
    return { kind: 'stored', ...this.put(env, seqnum, hash, now) };
  }

  /** Our own key, signed by us, at or above our counter: jump past it (the driver republishes). */
  private ownEcho(env: Envelope, seqnum: number, hash: Uint8Array, verify: VerifyFn): Received {
    const own = this.entries.get(this.selfTag);
    if (own && equalBytes(own.hash, hash)) return dropped('duplicate');
    if (seqnum < this.counter) return dropped('replay');
    if (!this.verified(env, hash, verify)) return dropped('bad-signature');
    this.counter = seqnum;
    return { kind: 'counter-jump' };
  }

  /** Installs this node's own freshly signed envelope; a wrong one is a programmer error. */
  acceptOwn(envelopeBytes: Uint8Array, now: number): Stored {
    const env = this.parseCopy(envelopeBytes);
    if (!env || !equalBytes(env.origin, this.selfKey)) throw new Error('acceptOwn: not our envelope');
    const body = decodeBody(env.body);
    if (!body.ok || body.value.seqnum !== this.counter)
      throw new Error('acceptOwn: not the prepared announcement');
    return this.put(env, body.value.seqnum, sha256(env.bytes), now);
  }

  /**
   * Reinstalls an announcement saved earlier with its original receipt time. The bytes are checked like
   * any received ones, since storage can be corrupted. Restored news is as fresh as when it was received:
   * a node back from a long absence does not offer what it heard months ago (rule 1 of §6) until it hears
   * it again.
   */
  restore(
    envelopeBytes: Uint8Array,
    receivedAt: number,
    verify: VerifyFn,
    admit: AdmitFn | undefined,
    now: number,
  ): Stored | undefined {
    const env = this.parseCopy(envelopeBytes);
    const body = env && decodeBody(env.body);
    if (!env || !body?.ok || !equalBytes(body.value.gridId, this.gridId)) return undefined;
    const tag = tagOf(env.origin);
    const existing = this.entries.get(tag);
    if (existing && (existing.seqnum >= body.value.seqnum || !sameOrigin(existing, env.origin)))
      return undefined;
    if (this.belowFloor(tag, env.origin, body.value.seqnum)) return undefined;
    const hash = sha256(env.bytes);
    if (!this.verified(env, hash, verify)) return undefined;
    if (tag !== this.selfTag && admit?.(env.origin, body.value, receivedAt)) return undefined;
    if (tag === this.selfTag) this.counter = Math.max(this.counter, body.value.seqnum);
    const fresh = tag === this.selfTag || now - receivedAt <= this.config.expireAfterMs;
    return this.put(env, body.value.seqnum, hash, Math.min(receivedAt, now), false, fresh);
  }

  /** Installs `env` (which must not alias a received message buffer) as the newest from its origin. */
  private put(
    env: Envelope,
    seqnum: number,
    hash: Uint8Array,
    now: number,
    persist = true,
    gossiped = true,
  ): Stored {
    const tag = tagOf(env.origin);
    const previous = this.entries.get(tag);
    if (previous?.gossiped) this.expire(previous);
    const entry: Entry = {
      tag,
      envelope: env.bytes,
      hash,
      hash32: hash32Of(hash),
      seqnum,
      receivedAt: now,
      lastSeenAt: now,
      gossiped,
    };
    this.entries.set(tag, entry);
    if (gossiped) {
      this.xorFingerprint(entry);
      this.gossipedCount++;
    }
    // A newer announcement of a forgotten origin: it came back.
    if (!previous) this.floors.delete(tag);
    if (persist)
      this.outbox.push({
        type: 'stored',
        origin: env.origin,
        seqnum,
        envelope: env.bytes,
        hash,
        receivedAt: now,
      });
    return { entry, previous };
  }

  /** Seen now: fresh again, and gossiped again if it had gone stale. */
  touch(entry: Entry, now: number): void {
    entry.lastSeenAt = now;
    if (!entry.gossiped) {
      entry.gossiped = true;
      this.xorFingerprint(entry);
      this.gossipedCount++;
    }
  }

  /** No longer gossiped (stale, replaced or removed); still held. */
  expire(entry: Entry): void {
    this.xorFingerprint(entry);
    this.gossipedCount--;
    entry.gossiped = false;
  }

  remove(entry: Entry): void {
    if (entry.gossiped) this.expire(entry);
    this.entries.delete(entry.tag);
  }

  private xorFingerprint(entry: Entry): void {
    for (let i = 0; i < FINGERPRINT_BYTES; i++) this.fingerprintBytes[i]! ^= entry.hash[i]!;
  }

  /** Whether `seqnum` is at or below the floor of a forgotten origin (any origin with this tag, if none given). */
  private belowFloor(tag: Tag, origin: Uint8Array | undefined, seqnum: number): boolean {
    const floor = this.floors.get(tag);
    return floor !== undefined && seqnum <= floor.seqnum && (!origin || equalBytes(floor.origin, origin));
  }

  /** Leaves a floor for a forgotten entry (already removed) until `until`. */
  setFloor(entry: Entry, until: number): void {
    const origin = originOf(entry);
    this.addFloor(entry.tag, { origin: origin.slice(), seqnum: entry.seqnum, until });
  }

  /** Restores a floor saved by the driver from a `forgotten` output; a higher one already held stays. */
  restoreFloor(origin: Uint8Array, seqnum: number, until: number): void {
    const tag = tagOf(origin);
    const existing = this.floors.get(tag);
    if (existing && existing.seqnum >= seqnum) return;
    this.addFloor(tag, { origin, seqnum, until });
  }

  private addFloor(tag: Tag, floor: Floor): void {
    if (!this.floors.has(tag) && this.floors.size >= this.config.maxOrigins) {
      let oldest: Tag | undefined;
      let oldestUntil = Number.POSITIVE_INFINITY;
      for (const [t, f] of this.floors) if (f.until < oldestUntil) [oldest, oldestUntil] = [t, f.until];
      if (oldest !== undefined) this.floors.delete(oldest);
    }
    this.floors.set(tag, floor);
  }

  /**
   * Lets lapsed floors go. A floor ending further ahead than `forgetAfterMs` (the clock was set back, or
   * storage says so) is pulled in, so no floor outlives its rule.
   */
  sweepFloors(now: number): void {
    const forgetAfterMs = this.config.forgetAfterMs;
    for (const [tag, floor] of this.floors) {
      if (floor.until > now + forgetAfterMs) floor.until = now + forgetAfterMs;
      if (floor.until <= now) this.floors.delete(tag);
    }
  }

  private parseCopy(bytes: Uint8Array): Envelope | undefined {
    const decoded = decodeEnvelope(bytes.slice(), this.config.maxBodyBytes);
    return decoded.ok ? decoded.value : undefined;
  }

  private verified(env: Envelope, hash: Uint8Array, verify: VerifyFn): boolean {
    this.outbox.counters.verifications++;
    return verify(env, hash);
  }
}
