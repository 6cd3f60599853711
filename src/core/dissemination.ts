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
 * "A link is asked for at most `maxWantsPerLink` refs at once": the refs one link advertises beyond that
 * are dropped as `want-link-limit` (they come back with the next IHAVE or DIGEST, or from another link),
 * so a link advertising made-up refs fills its own share of the want table, never the whole of it.
 *
 * The composer (`GossipNode`) talks to dissemination only through `Dissemination`. Eager push trees
 * (Plumtree: per-origin trees, prune on duplicate, graft on missing) are meant to be added beside this
 * lazy part, not to replace it: an eager layer implements the same interface around a `LazyPush`; in
 * `spread` it sends the full envelope to its tree links and hands the rest to `LazyPush.advertise` with
 * those links skipped; it grafts where a want times out; and it prunes on the table's `duplicate` drop,
 * which the composer would then pass on. The table stays the only judge of what is news.
 */
import type { CoreConfig } from './config.ts';
import type { NodeId, Tag } from './identity.ts';
import type { Links } from './links.ts';
import { MessageType, type Ref, encodeAnnounce, encodeRefs } from './messages.ts';
import type { Outbox } from './outbox.ts';
import { type Entry, type Table, refNewer, refOf } from './table.ts';

/** What the composer asks of dissemination. All times are the local clock, ms. */
export interface Dissemination {
  /**
   * `entry` is a version this node took just now: pass it on. `from` is the link it came by; undefined
   * for this node's own announcement, which goes to every link.
   */
  spread(entry: Entry, from: NodeId | undefined, now: number): void;
  /** `from` holds these refs (an IHAVE, or a DIGEST during anti-entropy): ask for what is news. */
  want(from: NodeId, refs: readonly Ref[], now: number): void;
  /** `from` asks for these refs (IWANT). */
  serve(from: NodeId, refs: readonly Ref[]): void;
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

interface Want {
  ref: Ref;
  asked: NodeId;
  deadline: number;
  /** Other links that advertised this ref (or newer), in the order heard; asked next on timeout. */
  sources: NodeId[];
}

const MAX_SOURCES_PER_WANT = 8;

export class LazyPush implements Dissemination {
  private readonly wants = new Map<Tag, Want>();
  /** How many wants each link is being asked for now (`Want.asked`). */
  private readonly askedOf = new Map<NodeId, number>();
  /**
   * Want deadlines in order. Every deadline is `now + wantTimeoutMs`, so appending keeps the queue sorted;
   * superseded items are skipped lazily (`peekWant`). A Map cannot serve here: V8 iterates past the
   * deleted slots at its front on every look, which made ticks linear in recent churn.
   */
  private wantQueue: { want: Want; deadline: number }[] = [];
  private wantHead = 0;
  /** Per-link IHAVE refs, flushed as one message per link `ihaveDelayMs` after the first was queued. */
  private readonly ihaveQueue = new Map<NodeId, Ref[]>();
  private ihaveFlushAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly table: Table,
    private readonly links: Links,
    private readonly outbox: Outbox,
    private readonly config: CoreConfig,
  ) {}

  get pendingWants(): number {
    return this.wants.size;
  }

  spread(entry: Entry, from: NodeId | undefined, now: number): void {
    if (from === undefined) return this.advertise(entry, undefined, now);
    const want = this.wants.get(entry.tag);
    const skip = new Set<NodeId>([from]);
    if (want && !refNewer(want.ref, entry)) {
      this.drop(want);
      for (const source of want.sources) skip.add(source);
      skip.add(want.asked);
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

  /** Asks `from` for every ref that is news, unless someone was already asked for it. */
  want(from: NodeId, refs: readonly Ref[], now: number): void {
    const ask: Ref[] = [];
    for (const ref of refs) {
      if (!this.table.isNews(ref)) continue;
      const pending = this.wants.get(ref.tag);
      if (pending && !refNewer(ref, pending.ref)) {
        if (
          pending.asked !== from &&
          pending.sources.length < MAX_SOURCES_PER_WANT &&
          !pending.sources.includes(from)
        ) {
          pending.sources.push(from);
        }
        continue;
      }
      if (!pending && this.wants.size >= this.config.maxPendingWants) {
        this.outbox.counters.drop('want-limit');
        continue;
      }
      if ((this.askedOf.get(from) ?? 0) >= this.config.maxWantsPerLink) {
        this.outbox.counters.drop('want-link-limit');
        continue;
      }
      if (pending) this.drop(pending);
      const want: Want = { ref, asked: from, deadline: now + this.config.wantTimeoutMs, sources: [] };
      this.wants.set(ref.tag, want);
      this.countAsked(from, 1);
      this.wantQueue.push({ want, deadline: want.deadline });
      ask.push(ref);
    }
    if (ask.length > 0) this.sendRefs(MessageType.IWant, from, ask);
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

  linkDown(peer: NodeId): void {
    this.ihaveQueue.delete(peer);
  }

  forget(tag: Tag): void {
    const want = this.wants.get(tag);
    if (want) this.drop(want);
  }

  private drop(want: Want): void {
    if (this.wants.get(want.ref.tag) !== want) return;
    this.wants.delete(want.ref.tag);
    this.countAsked(want.asked, -1);
  }

  private countAsked(link: NodeId, delta: number): void {
    const n = (this.askedOf.get(link) ?? 0) + delta;
    if (n > 0) this.askedOf.set(link, n);
    else this.askedOf.delete(link);
  }

  tick(now: number): void {
    for (let item = this.peekWant(); item && item.deadline <= now; item = this.peekWant()) {
      this.wantHead++;
      const want = item.want;
      let next = want.sources.shift();
      while (next !== undefined && !this.links.has(next)) next = want.sources.shift();
      if (next === undefined) {
        this.drop(want);
        this.outbox.counters.drop('want-timeout');
        continue;
      }
      this.countAsked(want.asked, -1);
      this.countAsked(next, 1);
      want.asked = next;
      want.deadline = now + this.config.wantTimeoutMs;
      this.wantQueue.push({ want, deadline: want.deadline });
      this.sendRefs(MessageType.IWant, next, [want.ref]);
    }
  }

  flush(now: number): void {
    if (now < this.ihaveFlushAt) return;
    for (const [link, refs] of this.ihaveQueue) this.sendRefs(MessageType.IHave, link, refs);
    this.ihaveQueue.clear();
    this.ihaveFlushAt = Number.POSITIVE_INFINITY;
  }

  nextDeadline(): number {
    const firstWant = this.peekWant();
    return firstWant ? Math.min(this.ihaveFlushAt, firstWant.deadline) : this.ihaveFlushAt;
  }

  private sendRefs(type: MessageType.IHave | MessageType.IWant, to: NodeId, refs: readonly Ref[]): void {
    for (const part of encodeRefs(type, refs, this.config.maxMessageBytes)) this.outbox.send(to, part);
  }

  private peekWant(): { want: Want; deadline: number } | undefined {
    const q = this.wantQueue;
    while (this.wantHead < q.length) {
      const item = q[this.wantHead]!;
      if (this.wants.get(item.want.ref.tag) === item.want && item.want.deadline === item.deadline)
        return item;
      this.wantHead++;
      if (this.wantHead >= 1024 && this.wantHead * 2 >= q.length) {
        this.wantQueue = q.slice(this.wantHead);
        this.wantHead = 0;
        return this.peekWant();
      }
    }
    return undefined;
  }
}
