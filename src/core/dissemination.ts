/**
 * Dissemination (PROTOCOL.md §5): how a version this node has just taken reaches its links. Today it is
 * lazy push only:
 *  - "New announcements are advertised with IHAVE to every link except those known to have them."
 *  - "A node asks one advertiser at a time with IWANT, and asks the next one after `wantTimeoutMs`."
 *  - "A node forwards each version of an announcement at most once, so there are no flooding loops."
 *
 * "Known to have them": the link it came by, and every link that advertised it while it was wanted (the
 * want's `asked` and `sources`). IHAVEs are held for `ihaveDelayMs` so that announcements arriving together
 * share one message per link. A want is at most one per origin (the newest ref heard), with at most
 * `MAX_SOURCES_PER_WANT` fallbacks; beyond `maxPendingWants` refs are dropped as `want-limit`.
 * "A link's advertisements hold at most `maxWantsPerLink` wants at once: the refs one link advertises
 * beyond that are dropped as `want-link-limit`": a want is charged to the link whose IHAVE or DIGEST made
 * it until the want ends (taken, timed out, forgotten or replaced), so a link advertising made-up refs
 * fills its own share of the want table, never the whole of it; its refs come back with its next IHAVE.
 *
 * The composer (`GossipNode`) talks to dissemination only through `Dissemination`. Eager push trees
 * (eager.ts, the default) wrap a `LazyPush` built with `Asking` set to GRAFT after `graftTimeoutMs`: they
 * send PUSH to tree links and hand the rest to `advertiseTo`; the table stays the only judge of news.
 */
import type { CoreConfig } from './config.ts';
import type { NodeId, Tag } from './identity.ts';
import type { Link, Links } from './links.ts';
import { MessageType, type Ref, encodeAnnounce, encodeRefs } from './messages.ts';
import { type Origins, WANTED } from './origins.ts';
import type { Outbox } from './outbox.ts';
import { type Entry, refNewer, refOf } from './entry.ts';
import type { Table } from './table.ts';
import { MAX_SOURCES_PER_WANT, Wants } from './wants.ts';

/** What the composer asks of dissemination. All times are the local clock, ms. */
export interface Dissemination {
  /**
   * `entry` is a version this node took just now: pass it on. `from` is the link it came by; undefined
   * for this node's own announcement, which goes to every link. `pushed`: it came by PUSH (eager.ts).
   */
  spread(entry: Entry, from: NodeId | undefined, now: number, pushed?: boolean): void;
  /**
   * `from` holds these refs (an IHAVE, or with `repair` a DIGEST during anti-entropy): ask for what is
   * news.
   */
  want(from: NodeId, refs: readonly Ref[], now: number, repair?: boolean): void;
  /** `from` asks for these refs (IWANT). */
  serve(from: NodeId, refs: readonly Ref[]): void;
  /** `from` sent a payload this node already held (the table's `duplicate`). */
  duplicate(from: NodeId, tag: Tag): void;
  /** `from` sent PRUNE for these origins. */
  prune(from: NodeId, tags: readonly Tag[]): void;
  /** `from` sent GRAFT for these refs. */
  graft(from: NodeId, refs: readonly Ref[]): void;
  linkDown(link: Link): void;
  /** The origin is gone from the table, or its wanted version arrived otherwise: stop wanting it. */
  forget(tag: Tag): void;
  /** Retries wants whose deadline has passed. */
  tick(now: number): void;
  /** Sends what is held back, once due; called at the end of every input. */
  flush(now: number): void;
  nextDeadline(): number;
  readonly pendingWants: number;
  /**
   * Puts the link to `peer` in the tree of the origin `tag` (eager push only): the settled start of a
   * simulated grid that has run a while (see `GossipNode.plantTree`).
   */
  plant?(tag: Tag, peer: NodeId): void;
}

/** How a want asks: lazy push sends IWANT at once; eager push (eager.ts) waits for its tree, then GRAFTs. */
export interface Asking {
  readonly type: MessageType.IWant | MessageType.Graft;
  /** How long an IHAVE waits before the first ask; 0: at once. Repairs (DIGEST) always ask at once. */
  readonly firstDelayMs: number;
}

const LAZY: Asking = { type: MessageType.IWant, firstDelayMs: 0 };
const NONE = -1;
const NO_IDS: readonly NodeId[] = [];

/** Whether the version (seqnum, hash32) is newer than `ref` (Ref order, §4), and the converse. */
const newerThan = (seqnum: number, hash32: number, ref: Ref): boolean =>
  seqnum > ref.seqnum || (seqnum === ref.seqnum && hash32 < ref.hash32);
const refNewerThanRow = (ref: Ref, seqnum: number, hash32: number): boolean =>
  ref.seqnum > seqnum || (ref.seqnum === seqnum && ref.hash32 < hash32);

export class LazyPush implements Dissemination {
  /** The wants (wants.ts), one per origin at most, found by the table's origin index. */
  private readonly wants = new Wants();
  private readonly origins: Origins;
  /** Per-link IHAVE refs, flushed as one message per link `ihaveDelayMs` after the first was queued. */
  private readonly ihaveQueue = new Map<NodeId, Ref[]>();
  private ihaveFlushAt = Number.POSITIVE_INFINITY;
  /** Lent by `take`: the links known to have the version just taken. */
  private readonly known: NodeId[] = [];
  /**
   * What `peekWant` found, valid while `changes` is unchanged: the driver asks `nextDeadline` after every
   * input, and most inputs (an IHAVE of news already wanted) change no want.
   */
  private changes = 0;
  private peekedAt = -1;
  private peeked = NONE;
  private peekedDeadline = Number.POSITIVE_INFINITY;

  constructor(
    private readonly table: Table,
    private readonly links: Links,
    private readonly outbox: Outbox,
    private readonly config: CoreConfig,
    private readonly asking: Asking = LAZY,
  ) {
    this.origins = table.origins;
  }

  get pendingWants(): number {
    return this.wants.count;
  }

  spread(entry: Entry, from: NodeId | undefined, now: number): void {
    if (from === undefined) return this.advertise(entry, undefined, now);
    const w = this.wants;
    const row = w.rowFor(entry.index);
    const skip = new Set<NodeId>([from]);
    if (row !== NONE && !newerThan(w.seqnum[row]!, w.hash32[row]!, entry)) {
      const known: NodeId[] = [];
      w.sourceIds(row, known);
      for (const source of known) skip.add(source);
      if (w.asked[row] !== NONE) skip.add(w.peerId(w.asked[row]!));
      this.drop(row);
    }
    this.advertise(entry, skip, now);
  }

  /** Queues an IHAVE for `entry` to every link not in `skip`, and never back to its origin. */
  advertise(entry: Entry, skip: ReadonlySet<NodeId> | undefined, now: number): void {
    const ref = refOf(entry);
    if (this.links.size > 0) this.ihaveFlushAt = Math.min(this.ihaveFlushAt, now + this.config.ihaveDelayMs);
    const tag = entry.tag;
    for (const link of this.links.all()) {
      if (skip?.has(link.id) || link.tag === tag) continue;
      let queue = this.ihaveQueue.get(link.id);
      if (!queue) this.ihaveQueue.set(link.id, (queue = []));
      queue.push(ref);
    }
  }

  /** Queues an IHAVE for `entry` to each of `to`. */
  advertiseTo(entry: Entry, to: readonly NodeId[], now: number): void {
    if (to.length === 0) return;
    const ref = refOf(entry);
    this.ihaveFlushAt = Math.min(this.ihaveFlushAt, now + this.config.ihaveDelayMs);
    for (const id of to) {
      let queue = this.ihaveQueue.get(id);
      if (!queue) this.ihaveQueue.set(id, (queue = []));
      queue.push(ref);
    }
  }

  /**
   * `entry` was taken: it is wanted no more. Returns the links known to have it (who advertised it while
   * it was wanted, and who was asked), lent until the next call.
   */
  take(entry: Entry): readonly NodeId[] {
    const w = this.wants;
    const row = w.rowFor(entry.index);
    if (row === NONE || newerThan(w.seqnum[row]!, w.hash32[row]!, entry)) return NO_IDS;
    const known = this.known;
    known.length = 0;
    w.sourceIds(row, known);
    if (w.asked[row] !== NONE) known.push(w.peerId(w.asked[row]!));
    this.drop(row);
    return known;
  }

  /**
   * Asks `from` for every ref that is news, unless someone was already asked for it; with a first delay
   * (eager push) an IHAVE only starts the wait, and the advertiser is asked when it ends.
   */
  want(from: NodeId, refs: readonly Ref[], now: number, repair = false): void {
    const w = this.wants;
    const peer = w.peer(from);
    const ask: Ref[] = [];
    const delayMs = repair ? 0 : this.asking.firstDelayMs;
    for (const ref of refs) {
      const index = this.origins.find(ref.tag);
      const row = w.rowFor(index);
      // A want ends when the table takes its version or a newer one (`take`, `forget`), so a ref equal to
      // a pending want is news without asking the table: most of a bootstrap's refs are such repeats.
      const repeat = row !== NONE && w.seqnum[row] === ref.seqnum && w.hash32[row] === ref.hash32;
      if (!repeat && !this.table.isNews(ref, index)) continue;
      if (row !== NONE && !refNewerThanRow(ref, w.seqnum[row]!, w.hash32[row]!)) {
        if (w.asked[row] === NONE && delayMs === 0) {
          this.ask(row, peer, now);
          ask.push(this.refOfRow(row, ref.tag));
        } else if (
          w.asked[row] !== peer &&
          w.sourceCountOf(row) < MAX_SOURCES_PER_WANT &&
          !w.hasSource(row, peer)
        ) {
          w.pushSource(row, peer);
        }
        continue;
      }
      if (row === NONE && w.count >= this.config.maxPendingWants) {
        this.outbox.counters.drop('want-limit');
        continue;
      }
      if (w.chargesOf(peer) >= this.config.maxWantsPerLink) {
        this.outbox.counters.drop('want-link-limit');
        continue;
      }
      // A newer version replaces the want of an older one: a new want, the origin index kept.
      if (row !== NONE) this.release(row);
      const at = row !== NONE ? index : this.origins.add(ref.tag, WANTED);
      w.charge(peer, 1);
      this.changes++;
      if (delayMs > 0) {
        const made = w.add(at, ref.seqnum, ref.hash32, NONE, now + delayMs, peer);
        w.pushSource(made, peer);
        w.queue(made, true);
        continue;
      }
      w.queue(w.add(at, ref.seqnum, ref.hash32, peer, now + this.config.wantTimeoutMs, peer), false);
      ask.push(ref);
    }
    if (ask.length > 0) this.sendRefs(this.asking.type, from, ask);
  }

  private refOfRow(row: number, tag: Tag): Ref {
    return { tag, seqnum: this.wants.seqnum[row]!, hash32: this.wants.hash32[row]! };
  }

  private ask(row: number, peer: number, now: number): void {
    this.changes++;
    this.wants.asked[row] = peer;
    this.wants.deadline[row] = now + this.config.wantTimeoutMs;
    this.wants.queue(row, false);
  }

  serve(from: NodeId, refs: readonly Ref[]): void {
    const push: Uint8Array[] = [];
    for (const ref of refs) {
      const entry = this.table.get(ref.tag);
      // Answer with what we hold if it is at least as new as asked; never serve stale origins (§6 rule 1).
      if (entry && entry.gossiped && !refNewer(ref, entry)) push.push(entry.envelope);
      else this.outbox.counters.drop('want-unavailable');
    }
    for (const part of encodeAnnounce(push, this.config.maxMessageBytes)) this.outbox.send(from, part);
  }

  /** Lazy push has no trees: nothing to prune. */
  duplicate(): void {}

  prune(): void {}

  /** Without trees a GRAFT is an IWANT. */
  graft(from: NodeId, refs: readonly Ref[]): void {
    this.serve(from, refs);
  }

  linkDown(link: Link): void {
    this.ihaveQueue.delete(link.id);
  }

  forget(tag: Tag): void {
    const row = this.wants.rowFor(this.origins.find(tag));
    if (row !== NONE) this.drop(row);
  }

  /** Stops wanting `row`'s version, and lets its origin index go. */
  private drop(row: number): void {
    const origin = this.wants.origin[row]!;
    this.release(row);
    this.origins.release(origin, WANTED);
  }

  /** Ends the want in `row` (its queued deadlines void) and frees its place in its link's share. */
  private release(row: number): void {
    this.changes++;
    this.wants.charge(this.wants.charged[row]!, -1);
    this.wants.remove(row);
  }

  /**
   * Asks the next advertiser of every want whose deadline has passed. With a first delay (eager push),
   * wants due within the next `ihaveDelayMs` go too, so that asks of one advertiser share a message as
   * IHAVEs do.
   */
  tick(now: number): void {
    const w = this.wants;
    const until = this.asking.firstDelayMs > 0 ? now + this.config.ihaveDelayMs : now;
    let asks: Map<NodeId, Ref[]> | undefined;
    for (let row = this.peekWant(); row !== NONE && this.peekedDeadline <= until; row = this.peekWant()) {
      if (!w.firstQueue.take(row)) w.askQueue.take(row);
      this.changes++;
      let next = w.shiftSource(row);
      while (next !== NONE && !this.links.has(w.peerId(next))) next = w.shiftSource(row);
      if (next === NONE) {
        this.drop(row);
        this.outbox.counters.drop('want-timeout');
        continue;
      }
      this.ask(row, next, now);
      asks ??= new Map();
      const to = w.peerId(next);
      const ref = this.refOfRow(row, this.origins.tagOf(w.origin[row]!));
      const refs = asks.get(to);
      if (refs) refs.push(ref);
      else asks.set(to, [ref]);
    }
    if (asks) for (const [to, refs] of asks) this.sendRefs(this.asking.type, to, refs);
  }

  flush(now: number): void {
    this.wants.settle();
    if (now < this.ihaveFlushAt) return;
    // Links queued the same refs (one version advertised to all of them) share one encoding.
    let last: Ref[] | undefined;
    let parts: Uint8Array[] = [];
    for (const [link, refs] of this.ihaveQueue) {
      if (!last || !sameRefs(last, refs))
        parts = encodeRefs(MessageType.IHave, (last = refs), this.config.maxMessageBytes);
      for (const part of parts) this.outbox.send(link, part);
    }
    if (this.ihaveQueue.size > 0) this.ihaveQueue.clear();
    this.ihaveFlushAt = Number.POSITIVE_INFINITY;
  }

  nextDeadline(): number {
    return this.peekWant() !== NONE ? Math.min(this.ihaveFlushAt, this.peekedDeadline) : this.ihaveFlushAt;
  }

  private sendRefs(
    type: MessageType.IHave | MessageType.IWant | MessageType.Graft,
    to: NodeId,
    refs: readonly Ref[],
  ): void {
    for (const part of encodeRefs(type, refs, this.config.maxMessageBytes)) this.outbox.send(to, part);
  }

  /** The earlier of the two queues' first live rows (`peekedDeadline` its deadline); at a tie, the ask. */
  private peekWant(): number {
    if (this.peekedAt === this.changes) return this.peeked;
    const w = this.wants;
    const ask = w.askQueue.peek(w);
    const first = w.firstQueue.peek(w);
    const firstFirst =
      first !== NONE && (ask === NONE || w.firstQueue.headDeadline < w.askQueue.headDeadline);
    this.peeked = firstFirst ? first : ask;
    this.peekedDeadline =
      this.peeked === NONE
        ? Number.POSITIVE_INFINITY
        : firstFirst
          ? w.firstQueue.headDeadline
          : w.askQueue.headDeadline;
    this.peekedAt = this.changes;
    return this.peeked;
  }
}

/** Whether two lists hold the same refs (the same objects) in the same order. */
function sameRefs(a: readonly Ref[], b: readonly Ref[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
