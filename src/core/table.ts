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
 * `gossiped` the number, of the entries whose `gossiped` is set — every change of that flag, and
 * every entry added or removed, goes through `put`, `touch`, `expire` or `remove`.
 *
 * Floors (§6, floors.ts): what is left of forgotten origins; a newer seqnum passes one and clears it.
 */
import { decodeBody } from './announcement.ts';
import { type Canonical, type Interner, copyInterner, headOf } from './canonical.ts';
import { type Entry, HeldEntry, originOf, refOf, sameOrigin } from './entry.ts';
import { compareBytes, equalBytes } from './bytes.ts';
import type { CoreConfig } from './config.ts';
import type { AdmitFn, DropReason, VerifyFn } from './gossip-types.ts';
import { type Tag, nodeIdString, tagOf } from './identity.ts';
import { Fingerprint } from './fingerprint.ts';
import type { Ref } from './messages.ts';
import { Floors } from './floors.ts';
import { HELD, OriginIndex, type Origins, SharedOrigins } from './origins.ts';
import type { Outbox } from './outbox.ts';

/**
 * An entry just installed, and the version it replaced. One entry holds an origin across its versions:
 * a new one is written into it, so a grid's refreshes allocate nothing that outlives the input (at
 * 10,000 nodes a simulator's wave of refreshes replaced 10^8 entries, whose garbage filled the old
 * generation).
 */
export interface Stored {
  readonly entry: Entry;
  readonly previous: Canonical | undefined;
}

/** What became of a received envelope. */
export type Received =
  | { readonly kind: 'dropped'; readonly reason: DropReason; readonly detail?: string }
  /** Our own key at or above our counter: the counter has jumped; republish. */
  | { readonly kind: 'counter-jump' }
  | ({ readonly kind: 'stored' } & Stored);

const dropped = (reason: DropReason, detail?: string): Received =>
  detail === undefined ? { kind: 'dropped', reason } : { kind: 'dropped', reason, detail };

export class Table {
  /** The last seqnum this node signed (the persisted counter). */
  counter: number;
  /** Every origin this node holds or wants, by index; dissemination's wants share it. */
  readonly origins: Origins;
  /** The entry held at each origin index, if any. */
  private readonly rows: (HeldEntry | undefined)[] = [];
  /**
   * The version held at each origin index, side by side: seqnum (-1 when none is held) and ref hash. What
   * `isNews` reads for every ref received, without following an entry to its shared held form.
   */
  private versions = new Float64Array(16).fill(-1);
  private count = 0;
  /**
   * The held origins in the order they were first stored (a list through their indices, -1 ending it),
   * the order in which `values` visits them: what a Map keyed by origin would give, which digests,
   * scans and dial plans have always followed (same seed, same run).
   */
  private after = new Int32Array(8);
  private before = new Int32Array(8);
  private first = -1;
  private last = -1;
  private readonly floors: Floors;
  /** The fingerprint and bucket fingerprints of what is gossiped, with its count. */
  private readonly print = new Fingerprint();
  /** An entry was restored with a receipt time in the past since liveness last asked. */
  private backdated = false;

  constructor(
    private readonly selfKey: Uint8Array,
    private readonly selfTag: Tag,
    private readonly gridId: Uint8Array,
    private readonly config: CoreConfig,
    private readonly outbox: Outbox,
    counter: number,
    private readonly intern: Interner = copyInterner,
    tags?: OriginIndex,
  ) {
    this.origins = tags ? new SharedOrigins(tags) : new OriginIndex();
    this.counter = counter;
    this.floors = new Floors(config);
  }

  get size(): number {
    return this.count;
  }

  get gossiped(): number {
    return this.print.count;
  }

  get fingerprint(): Uint8Array {
    return this.print.bytes;
  }

  /** The fingerprint of every bucket at `bits`, bucket 0 first (fingerprint.ts). */
  bucketFingerprints(bits: number): Uint8Array {
    return this.print.buckets(bits);
  }

  get floorCount(): number {
    return this.floors.size;
  }

  get(tag: Tag): Entry | undefined {
    const i = this.origins.find(tag);
    return i < 0 ? undefined : this.rows[i];
  }

  /** The entry at origin index `i` (from `origins.find`), if one is held. */
  at(i: number): Entry | undefined {
    return i < 0 ? undefined : this.rows[i];
  }

  /** The entry held for exactly this public key (not merely its tag). */
  lookup(publicKey: Uint8Array): Entry | undefined {
    const entry = this.get(tagOf(publicKey));
    return entry && sameOrigin(entry, publicKey) ? entry : undefined;
  }

  /**
   * Every entry, in origin-index order. Entries may be removed while this runs (liveness forgets as it
   * scans); one added meanwhile may or may not be seen.
   */
  *values(): IterableIterator<Entry> {
    // A removed entry keeps its link onward, so removing the one just visited does not end the walk.
    for (let i = this.first; i >= 0; i = this.after[i]!) {
      const entry = this.rows[i];
      if (entry) yield entry;
    }
  }

  gossipedRefs(): Ref[] {
    const refs: Ref[] = [];
    for (let i = this.first; i >= 0; i = this.after[i]!) {
      const entry = this.rows[i]!;
      if (entry.gossiped) refs.push(refOf(entry));
    }
    return refs;
  }

  /**
   * Whether a peer's `ref` names a version this node would take (so it is worth asking for); `i` is the
   * ref's origin index if the caller has looked it up already.
   */
  isNews(ref: Ref, i = this.origins.find(ref.tag)): boolean {
    const seqnum = i < 0 ? -1 : this.versions[2 * i]!;
    if (seqnum >= 0)
      return ref.seqnum > seqnum || (ref.seqnum === seqnum && ref.hash32 < this.versions[2 * i + 1]!);
    if (ref.tag === this.selfTag) return ref.seqnum > this.counter;
    return !this.belowFloor(ref.tag, undefined, ref.seqnum);
  }

  /** The §3 checks, cheapest first, for an envelope a peer sent; stores it if it is news. */
  accept(received: Uint8Array, now: number, verify: VerifyFn, admit: AdmitFn | undefined): Received {
    // Equal bytes are equal hashes: a copy of what is held is a duplicate, recognised before any parsing.
    const existing = received.length > 33 ? this.get(tagOf(received, 1)) : undefined;
    if (existing && equalBytes(existing.envelope, received)) return dropped('duplicate');
    const held = this.intern(received, this.config.maxBodyBytes);
    if (!held) return dropped('malformed-envelope');
    const origin = held.envelope.origin;
    if (existing && !sameOrigin(existing, origin)) return dropped('tag-collision');
    const head = headOf(held);
    if (!head.ok) return dropped('malformed-body', head.reason);
    const seqnum = head.seqnum;
    if (existing && seqnum < existing.seqnum) return dropped('replay');
    if (!equalBytes(head.gridId, this.gridId)) return dropped('foreign-grid');

    if (held.tag === this.selfTag) return this.ownEcho(held, seqnum, verify);

    const equivocation = existing !== undefined && seqnum === existing.seqnum;
    if (!existing && this.belowFloor(held.tag, origin, seqnum)) return dropped('forgotten-replay');
    if (!existing && this.count >= this.config.maxOrigins) return dropped('table-full');
    if (!this.verified(held, verify)) return dropped('bad-signature');
    if (admit) {
      const body = decodeBody(held.envelope.body);
      const refused = body.ok ? admit(origin, body.value, now) : 'malformed-body';
      if (refused) return dropped(refused);
    }
    if (equivocation) {
      this.outbox.counters.equivocations++;
      this.outbox.push({ type: 'flagged', reason: 'equivocation', id: nodeIdString(origin) });
      if (compareBytes(held.hash, existing.hash) > 0) return dropped('equivocation-loser');
    }
    return { kind: 'stored', ...this.put(held, seqnum, now) };
  }

  /** Our own key, signed by us, at or above our counter: jump past it (the driver republishes). */
  private ownEcho(held: Canonical, seqnum: number, verify: VerifyFn): Received {
    const own = this.get(this.selfTag);
    if (own && equalBytes(own.hash, held.hash)) return dropped('duplicate');
    if (seqnum < this.counter) return dropped('replay');
    if (!this.verified(held, verify)) return dropped('bad-signature');
    this.counter = seqnum;
    return { kind: 'counter-jump' };
  }

  /** Installs this node's own freshly signed envelope; a wrong one is a programmer error. */
  acceptOwn(envelopeBytes: Uint8Array, now: number): Stored {
    const held = this.intern(envelopeBytes, this.config.maxBodyBytes);
    if (!held || !equalBytes(held.envelope.origin, this.selfKey))
      throw new Error('acceptOwn: not our envelope');
    const head = headOf(held);
    if (!head.ok || head.seqnum !== this.counter) throw new Error('acceptOwn: not the prepared announcement');
    return this.put(held, head.seqnum, now);
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
    const held = this.intern(envelopeBytes, this.config.maxBodyBytes);
    const head = held && headOf(held);
    if (!held || !head?.ok || !equalBytes(head.gridId, this.gridId)) return undefined;
    const { tag, envelope } = held;
    const existing = this.get(tag);
    if (existing && (existing.seqnum >= head.seqnum || !sameOrigin(existing, envelope.origin)))
      return undefined;
    if (this.belowFloor(tag, envelope.origin, head.seqnum)) return undefined;
    if (!this.verified(held, verify)) return undefined;
    if (tag !== this.selfTag && admit) {
      const body = decodeBody(envelope.body);
      if (!body.ok || admit(envelope.origin, body.value, receivedAt)) return undefined;
    }
    if (tag === this.selfTag) this.counter = Math.max(this.counter, head.seqnum);
    const fresh = tag === this.selfTag || now - receivedAt <= this.config.expireAfterMs;
    if (receivedAt < now) this.backdated = true;
    return this.put(held, head.seqnum, Math.min(receivedAt, now), false, fresh);
  }

  /** Installs `held` as the newest from its origin. */
  private put(held: Canonical, seqnum: number, now: number, persist = true, gossiped = true): Stored {
    const tag = held.tag;
    const index = this.origins.add(tag, HELD);
    let entry = this.rows[index];
    const previous = entry?.held;
    if (held.head?.ok !== true || held.head.seqnum !== seqnum)
      throw new Error('unreachable: put before headOf');
    if (entry) {
      // The same entry, and so the origin's tree (eager.ts), across versions.
      if (entry.gossiped) this.expire(entry);
      entry.held = held;
      entry.lastSeenAt = now;
      entry.gossiped = gossiped;
    } else {
      this.rows[index] = entry = new HeldEntry(index, held, now, gossiped);
      this.append(index);
    }
    this.versions[2 * index] = seqnum;
    this.versions[2 * index + 1] = held.hash32;
    if (gossiped) {
      this.print.toggle(entry.held, 1);
    }
    // A newer announcement of a forgotten origin: it came back.
    if (!previous) this.floors.clear(tag);
    if (persist)
      this.outbox.push({
        type: 'stored',
        origin: held.envelope.origin,
        seqnum,
        envelope: held.bytes,
        hash: held.hash,
        receivedAt: now,
      });
    return { entry, previous };
  }

  /** Whether an entry was restored with an old receipt time since the last call (liveness rescans). */
  takeBackdated(): boolean {
    const was = this.backdated;
    this.backdated = false;
    return was;
  }

  /** Seen now: fresh again, and gossiped again if it had gone stale. */
  touch(entry: Entry, now: number): void {
    entry.lastSeenAt = now;
    if (!entry.gossiped) {
      entry.gossiped = true;
      this.print.toggle(entry.held, 1);
    }
  }

  /** No longer gossiped (stale, replaced or removed); still held. */
  expire(entry: Entry): void {
    this.print.toggle(entry.held, -1);
    entry.gossiped = false;
  }

  remove(entry: Entry): void {
    if (entry.gossiped) this.expire(entry);
    const i = entry.index;
    if (this.rows[i] !== entry) return;
    this.rows[i] = undefined;
    this.versions[2 * i] = -1;
    this.count--;
    const [before, after] = [this.before[i]!, this.after[i]!];
    if (before >= 0) this.after[before] = after;
    else this.first = after;
    if (after >= 0) this.before[after] = before;
    else this.last = before;
    this.origins.release(i, HELD);
  }

  /** Puts index `i`, newly held, last in the order of `values`. */
  private append(i: number): void {
    if (i >= this.after.length) {
      const length = Math.max(this.after.length * 2, i + 1);
      const grown = (from: Int32Array) => {
        const to = new Int32Array(length);
        to.set(from);
        return to;
      };
      this.after = grown(this.after);
      this.before = grown(this.before);
      const versions = new Float64Array(2 * length).fill(-1);
      versions.set(this.versions);
      this.versions = versions;
    }
    while (this.rows.length <= i) this.rows.push(undefined);
    this.count++;
    this.before[i] = this.last;
    this.after[i] = -1;
    if (this.last >= 0) this.after[this.last] = i;
    else this.first = i;
    this.last = i;
  }

  /** Leaves a floor for a forgotten entry (already removed) until `until`. */
  setFloor(entry: Entry, until: number): void {
    this.floors.add(entry.tag, originOf(entry).slice(), entry.seqnum, until);
  }

  /** Restores a floor saved by the driver from a `forgotten` output; a higher one already held stays. */
  restoreFloor(origin: Uint8Array, seqnum: number, until: number): void {
    this.floors.restore(origin, seqnum, until);
  }

  sweepFloors(now: number): void {
    this.floors.sweep(now);
  }

  private belowFloor(tag: Tag, origin: Uint8Array | undefined, seqnum: number): boolean {
    return this.floors.below(tag, origin, seqnum);
  }

  private verified(held: Canonical, verify: VerifyFn): boolean {
    this.outbox.counters.verifications++;
    return verify(held.envelope, held.hash);
  }
}
