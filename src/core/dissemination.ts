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
import type { Links } from './links.ts';
import { MessageType, type Ref, encodeAnnounce, encodeRefs } from './messages.ts';
import { type OriginIndex, WANTED } from './origins.ts';
import type { Outbox } from './outbox.ts';
import { type Entry, type Table, refNewer, refOf } from './table.ts';

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
  linkDown(peer: NodeId): void;
  /** The origin is gone from the table, or its wanted version arrived otherwise: stop wanting it. */
  forget(tag: Tag): void;
  /** Retries wants whose deadline has passed. */
  tick(now: number): void;
  /** Sends what is held back, once due; called at the end of every input. */
  flush(now: number): void;
  nextDeadline(): number;
  readonly pendingWants: number;
}

/**
 * One wanted version: the want is its own ref (tag, seqnum, hash), so it does not keep the decoded ref
 * of the message that started it; a bootstrap holds one per origin in flight at every node.
 */
class Want implements Ref {
  /** No longer in `wants` (taken, forgotten, timed out or replaced): its queued deadlines are void. */
  done = false;
  constructor(
    /** The origin's index (origins.ts), held by this want until it is done. */
    readonly index: number,
    ref: Ref,
    /** Undefined while waiting for the payload along the tree (eager push: `graftTimeoutMs`). */
    public asked: NodeId | undefined,
    public deadline: number,
    /** Other links that advertised this ref (or newer), in the order heard; asked next on timeout. */
    readonly sources: NodeId[],
    /** The link whose advertisement made this want: its share of `maxWantsPerLink` holds it. */
    readonly charged: NodeId,
  ) {
    this.tag = ref.tag;
    this.seqnum = ref.seqnum;
    this.hash32 = ref.hash32;
  }
  readonly tag: Tag;
  readonly seqnum: number;
  readonly hash32: number;
}

const MAX_SOURCES_PER_WANT = 8;

/** How a want asks: lazy push sends IWANT at once; eager push (eager.ts) waits for its tree, then GRAFTs. */
export interface Asking {
  readonly type: MessageType.IWant | MessageType.Graft;
  /** How long an IHAVE waits before the first ask; 0: at once. Repairs (DIGEST) always ask at once. */
  readonly firstDelayMs: number;
}

const LAZY: Asking = { type: MessageType.IWant, firstDelayMs: 0 };
const NONE: readonly NodeId[] = [];

export class LazyPush implements Dissemination {
  /** The version wanted of each origin, by origin index (the table's `origins`). */
  private readonly wants: (Want | undefined)[] = [];
  private wantCount = 0;
  private readonly origins: OriginIndex;
  /** How many live wants each link's advertisements hold (`Want.charged`). */
  private readonly chargedOf = new Map<NodeId, number>();
  /** Asks' deadlines (`wantTimeoutMs` after each ask). */
  private readonly wantQueue = new DeadlineQueue();
  /** Waits before a first ask (`asking.firstDelayMs` after the IHAVE), in a queue of their own. */
  private readonly firstQueue = new DeadlineQueue();
  /** Per-link IHAVE refs, flushed as one message per link `ihaveDelayMs` after the first was queued. */
  private readonly ihaveQueue = new Map<NodeId, Ref[]>();
  private ihaveFlushAt = Number.POSITIVE_INFINITY;
  /**
   * What `peekWant` found, valid while `changes` is unchanged: the driver asks `nextDeadline` after every
   * input, most inputs (an IHAVE of news already wanted) change no want, and looking at the queues' heads
   * meant reading a want object per input that was long out of the cache.
   */
  private changes = 0;
  private peekedAt = -1;
  private peeked: Want | undefined;

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
    return this.wantCount;
  }

  spread(entry: Entry, from: NodeId | undefined, now: number): void {
    if (from === undefined) return this.advertise(entry, undefined, now);
    const want = this.wants[entry.index];
    const skip = new Set<NodeId>([from]);
    if (want && !refNewer(want, entry)) {
      this.drop(want);
      for (const source of want.sources) skip.add(source);
      if (want.asked !== undefined) skip.add(want.asked);
    }
    this.advertise(entry, skip, now);
  }

  /** Queues an IHAVE for `entry` to every link not in `skip`, and never back to its origin. */
  advertise(entry: Entry, skip: ReadonlySet<NodeId> | undefined, now: number): void {
    const ref = refOf(entry);
    if (this.links.size > 0) this.ihaveFlushAt = Math.min(this.ihaveFlushAt, now + this.config.ihaveDelayMs);
    for (const link of this.links.all()) {
      if (skip?.has(link.id) || link.tag === entry.tag) continue;
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
   * it was wanted, and who was asked).
   */
  take(entry: Entry): readonly NodeId[] {
    const want = this.wants[entry.index];
    if (!want || refNewer(want, entry)) return NONE;
    this.drop(want);
    // The want is done: its sources list is ours to extend.
    if (want.asked !== undefined) want.sources.push(want.asked);
    return want.sources;
  }

  /**
   * Asks `from` for every ref that is news, unless someone was already asked for it; with a first delay
   * (eager push) an IHAVE only starts the wait, and the advertiser is asked when it ends.
   */
  want(from: NodeId, refs: readonly Ref[], now: number, repair = false): void {
    const ask: Ref[] = [];
    const delayMs = repair ? 0 : this.asking.firstDelayMs;
    for (const ref of refs) {
      const index = this.origins.find(ref.tag);
      const pending = index < 0 ? undefined : this.wants[index];
      // A want ends when the table takes its version or a newer one (`take`, `forget`), so a ref equal to
      // a pending want is news without asking the table: most of a bootstrap's refs are such repeats.
      const repeat = pending !== undefined && pending.seqnum === ref.seqnum && pending.hash32 === ref.hash32;
      if (!repeat && !this.table.isNews(ref, index)) continue;
      if (pending && !refNewer(ref, pending)) {
        if (pending.asked === undefined && delayMs === 0) {
          this.ask(pending, from, now);
          ask.push(pending);
        } else if (
          pending.asked !== from &&
          pending.sources.length < MAX_SOURCES_PER_WANT &&
          !pending.sources.includes(from)
        ) {
          pending.sources.push(from);
        }
        continue;
      }
      if (!pending && this.wantCount >= this.config.maxPendingWants) {
        this.outbox.counters.drop('want-limit');
        continue;
      }
      if ((this.chargedOf.get(from) ?? 0) >= this.config.maxWantsPerLink) {
        this.outbox.counters.drop('want-link-limit');
        continue;
      }
      if (pending) this.release(pending);
      else this.wantCount++;
      const at = pending ? index : this.origins.add(ref.tag, WANTED);
      while (this.wants.length <= at) this.wants.push(undefined);
      this.charge(from, 1);
      if (delayMs > 0) {
        const want = new Want(at, ref, undefined, now + delayMs, [from], from);
        this.wants[at] = want;
        this.firstQueue.push(want);
        this.changes++;
        continue;
      }
      const deadline = now + this.config.wantTimeoutMs;
      const want = new Want(at, ref, from, deadline, [], from);
      this.wants[at] = want;
      this.wantQueue.push(want);
      this.changes++;
      ask.push(ref);
    }
    if (ask.length > 0) this.sendRefs(this.asking.type, from, ask);
  }

  private ask(want: Want, to: NodeId, now: number): void {
    this.changes++;
    want.asked = to;
    want.deadline = now + this.config.wantTimeoutMs;
    this.wantQueue.push(want);
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

  linkDown(peer: NodeId): void {
    this.ihaveQueue.delete(peer);
  }

  forget(tag: Tag): void {
    const index = this.origins.find(tag);
    const want = index < 0 ? undefined : this.wants[index];
    if (want) this.drop(want);
  }

  /** Stops wanting `want`'s version (the want held for its origin). */
  private drop(want: Want): void {
    this.release(want);
    this.wants[want.index] = undefined;
    this.wantCount--;
    this.origins.release(want.index, WANTED);
  }

  /** Voids `want`'s queued deadlines and frees its place in its link's share. */
  private release(want: Want): void {
    this.changes++;
    want.done = true;
    this.charge(want.charged, -1);
  }

  private charge(link: NodeId, delta: number): void {
    const n = (this.chargedOf.get(link) ?? 0) + delta;
    if (n > 0) this.chargedOf.set(link, n);
    else this.chargedOf.delete(link);
  }

  /**
   * Asks the next advertiser of every want whose deadline has passed. With a first delay (eager push),
   * wants due within the next `ihaveDelayMs` go too, so that asks of one advertiser share a message as
   * IHAVEs do.
   */
  tick(now: number): void {
    const until = this.asking.firstDelayMs > 0 ? now + this.config.ihaveDelayMs : now;
    let asks: Map<NodeId, Ref[]> | undefined;
    for (let want = this.peekWant(); want && want.deadline <= until; want = this.peekWant()) {
      if (!this.firstQueue.take(want)) this.wantQueue.take(want);
      this.changes++;
      let next = want.sources.shift();
      while (next !== undefined && !this.links.has(next)) next = want.sources.shift();
      if (next === undefined) {
        this.drop(want);
        this.outbox.counters.drop('want-timeout');
        continue;
      }
      this.ask(want, next, now);
      asks ??= new Map();
      const refs = asks.get(next);
      if (refs) refs.push(want);
      else asks.set(next, [want]);
    }
    if (asks) for (const [to, refs] of asks) this.sendRefs(this.asking.type, to, refs);
  }

  flush(now: number): void {
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
    const firstWant = this.peekWant();
    return firstWant ? Math.min(this.ihaveFlushAt, firstWant.deadline) : this.ihaveFlushAt;
  }

  private sendRefs(
    type: MessageType.IHave | MessageType.IWant | MessageType.Graft,
    to: NodeId,
    refs: readonly Ref[],
  ): void {
    for (const part of encodeRefs(type, refs, this.config.maxMessageBytes)) this.outbox.send(to, part);
  }

  /** The earlier of the two queues' first live items. */
  private peekWant(): Want | undefined {
    if (this.peekedAt === this.changes) return this.peeked;
    const want = this.wantQueue.peek();
    const first = this.firstQueue.peek();
    this.peeked = !first ? want : !want || first.deadline < want.deadline ? first : want;
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

/**
 * Want deadlines in order, for deadlines that are all `now + constant`, so appending keeps the queue
 * sorted; superseded items (a want done, or asked again since: its deadline moved) are skipped lazily.
 * Two parallel arrays, the wants and the deadlines they were queued at, so queueing allocates nothing.
 * A Map cannot serve here: V8 iterates past the deleted slots at its front on every look, which made
 * ticks linear in recent churn.
 */
class DeadlineQueue {
  private wants: Want[] = [];
  private deadlines: number[] = [];
  private head = 0;

  push(want: Want): void {
    this.wants.push(want);
    this.deadlines.push(want.deadline);
  }

  /** Takes the first item (the one `peek` returned), if it is `want`. */
  take(want: Want): boolean {
    if (this.wants[this.head] !== want) return false;
    this.head++;
    return true;
  }

  /** The first want still wanted at the deadline it was queued at (which is then its `deadline`). */
  peek(): Want | undefined {
    const wants = this.wants;
    const deadlines = this.deadlines;
    while (this.head < wants.length) {
      const want = wants[this.head]!;
      if (!want.done && want.deadline === deadlines[this.head]) break;
      this.head++;
    }
    // Drained: start afresh (items passed over must not stay reachable). Otherwise compact once the
    // passed-over front is half the array, so memory is O(live items) and each item is copied O(1) times.
    if (this.head >= wants.length) {
      if (wants.length > 0) {
        this.wants = [];
        this.deadlines = [];
      }
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= wants.length) {
      this.wants = wants.slice(this.head);
      this.deadlines = deadlines.slice(this.head);
      this.head = 0;
    }
    return this.wants[this.head];
  }
}
