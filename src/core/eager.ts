/**
 * Eager push along per-origin trees (PROTOCOL.md §5; Plumtree, with one tree per origin as in Secure
 * Scuttlebutt's EBT), around the lazy part of dissemination.ts:
 *  - "A new version goes at once as PUSH to its origin's tree links, except the one it came by and those
 *    known to have them; IHAVE goes to at most `lazyFanout` of the other links, or to all of them if the
 *    version came other than by PUSH."
 *  - "An origin's tree starts empty: its first version spreads by IHAVE to every link, and GRAFT builds
 *    the tree." So a new origin costs what lazy push costs, not a flood, and its tree follows the
 *    fastest advertisers.
 *  - "A version heard of only by IHAVE is waited for `graftTimeoutMs`; then the advertiser is sent GRAFT,
 *    which asks for it and adds that link to the origin's tree at the advertiser." Further advertisers
 *    are asked the same way every `wantTimeoutMs` (the want queue of `LazyPush`).
 *  - "A PUSH that is news adds the link it came by to the origin's tree; a PUSH that is a duplicate
 *    removes it, and the receiver sends PRUNE, which removes it at the sender too."
 *  - Anti-entropy still repairs what the trees miss, and a DIGEST's news is asked with GRAFT at once,
 *    so it repairs the tree as well.
 *
 * Tree state is one bit per (origin, link): `Entry.tree`, a set over link slots that this layer hands
 * out (lowest free first, 31 of them; a link beyond is never in a tree and gets IHAVE only). It is kept
 * across an origin's versions (table.ts copies it) and forgotten with the origin. "A new link joins the
 * tree of every origin already spread" (as Plumtree adds a new neighbour to its eager set): its bit is set
 * in every such entry when it takes its slot, and duplicates prune it where it is not needed.
 *
 * With `flood` the same machinery is plain flooding — every link, every new version, forwarded once,
 * never pruned, no IHAVE: the baseline `npm run bench:sim` compares against.
 */
import type { CoreConfig } from './config.ts';
import { type Dissemination, LazyPush } from './dissemination.ts';
import type { NodeId, Tag } from './identity.ts';
import { type Link, type Links, NO_SLOT } from './links.ts';
import { MessageType, type Ref, encodeAnnounce, encodePrune } from './messages.ts';
import type { Outbox } from './outbox.ts';
import { type Entry, NEW_ORIGIN } from './entry.ts';
import type { Table } from './table.ts';

export type DisseminationMode = 'eager' | 'lazy' | 'flood';

export function makeDissemination(
  mode: DisseminationMode,
  table: Table,
  links: Links,
  outbox: Outbox,
  config: CoreConfig,
): Dissemination {
  return mode === 'lazy'
    ? new LazyPush(table, links, outbox, config)
    : new EagerPush(table, links, outbox, config, mode === 'flood');
}

export class EagerPush implements Dissemination {
  private readonly lazy: LazyPush;
  /** Slots in use now (a bit each), and how many. */
  private usedSlots = 0;
  private slotCount = 0;
  /** Payloads and PRUNEs held until the end of the input, so one message per link carries them. */
  private readonly pushQueue = new Map<NodeId, Uint8Array[]>();
  private readonly pruneQueue = new Map<NodeId, Tag[]>();
  /** Reused by `spread` for the lazy links chosen for IHAVE. */
  private readonly ihaveTo: NodeId[] = [];

  constructor(
    private readonly table: Table,
    private readonly links: Links,
    private readonly outbox: Outbox,
    private readonly config: CoreConfig,
    private readonly flood = false,
  ) {
    this.lazy = new LazyPush(table, links, outbox, config, {
      type: MessageType.Graft,
      firstDelayMs: config.graftTimeoutMs,
    });
  }

  get pendingWants(): number {
    return this.lazy.pendingWants;
  }

  /** The slot of the link to `peer` (see `slotOfLink`); -1 if it is not linked. */
  private slotOf(peer: NodeId): number {
    const link = this.links.get(peer);
    return link ? this.slotOfLink(link) : -1;
  }

  /** This node's slot for `link`, handed out on first use; -1 once all 31 are taken (never in a tree). */
  private slotOfLink(link: Link): number {
    if (link.treeSlot !== NO_SLOT) return link.treeSlot;
    const free = ~this.usedSlots & ~NEW_ORIGIN;
    if (free === 0) return -1;
    const slot = 31 - Math.clz32(free & -free);
    const bit = 1 << slot;
    for (const entry of this.table.values()) {
      if (entry.tree & NEW_ORIGIN) entry.tree &= ~bit;
      else entry.tree |= bit;
    }
    this.usedSlots |= bit;
    this.slotCount++;
    link.treeSlot = slot;
    return slot;
  }

  private inTree(entry: Entry, link: Link): boolean {
    const slot = this.slotOfLink(link);
    return slot >= 0 && (entry.tree & (1 << slot)) !== 0;
  }

  private setTree(entry: Entry, peer: NodeId, eager: boolean): void {
    setBit(entry, this.slotOf(peer), eager);
  }

  /** Sets `from`'s bit in the tree of each of these origins held; its slot is looked up once. */
  private setTrees(from: NodeId, items: readonly (Tag | Ref)[], eager: boolean): void {
    let slot = UNLOOKED;
    for (const item of items) {
      const entry = this.table.get(typeof item === 'string' ? item : item.tag);
      if (!entry) continue;
      if (slot === UNLOOKED) slot = this.slotOf(from);
      setBit(entry, slot, eager);
    }
  }

  spread(entry: Entry, from: NodeId | undefined, now: number, pushed = false): void {
    // Who is known to have it: the link it came by, and whoever advertised it while it was wanted.
    const known = this.lazy.take(entry);
    // A first version, or one that came other than by PUSH (its branch of the tree may be broken): IHAVE
    // to every link off the tree, so the nodes below can graft.
    const first = (entry.tree & NEW_ORIGIN) !== 0 || (from !== undefined && !pushed);
    if (from !== undefined && !this.flood) this.setTree(entry, from, true);
    // Every link takes its slot at the first spread after it came up, not when first used: a link that
    // is skipped here (it sent this version) must not join, later, trees it was never needed in.
    if (this.slotCount < this.links.size && this.slotCount < 31)
      for (const link of this.links.all()) if (link.id !== from) this.slotOfLink(link);
    const ihaveTo = this.ihaveTo;
    ihaveTo.length = 0;
    let lazyCount = 0;
    const tag = entry.tag;
    for (const link of this.links.all()) {
      if (link.id === from || link.tag === tag || (known.length > 0 && known.includes(link.id))) continue;
      if (this.flood || this.inTree(entry, link)) {
        let queue = this.pushQueue.get(link.id);
        if (!queue) this.pushQueue.set(link.id, (queue = []));
        queue.push(entry.envelope);
      } else {
        lazyCount++;
        ihaveTo.push(link.id);
      }
    }
    // Cleared only now: slots handed out in the loop above must not put new links in this new tree.
    entry.tree &= ~NEW_ORIGIN;
    const fanout = this.config.lazyFanout;
    if (!this.flood && lazyCount > 0 && (fanout > 0 || first)) {
      // `lazyFanout` of them (all for a first version), from a place the version's hash picks.
      const chosen = first || lazyCount <= fanout ? ihaveTo : pick(ihaveTo, entry.hash32 % lazyCount, fanout);
      this.lazy.advertiseTo(entry, chosen, now);
    }
  }

  plant(tag: Tag, peer: NodeId): void {
    const entry = this.table.get(tag);
    if (!entry || this.flood) return;
    // Every link holds its slot first: a slot handed out later joins every tree already planted.
    if (this.slotCount < this.links.size && this.slotCount < 31)
      for (const link of this.links.all()) this.slotOfLink(link);
    entry.tree &= ~NEW_ORIGIN;
    setBit(entry, this.slotOf(peer), true);
  }

  want(from: NodeId, refs: readonly Ref[], now: number, repair = false): void {
    this.lazy.want(from, refs, now, repair);
  }

  serve(from: NodeId, refs: readonly Ref[]): void {
    this.lazy.serve(from, refs);
  }

  duplicate(from: NodeId, tag: Tag): void {
    if (this.flood) return;
    const entry = this.table.get(tag);
    if (entry) this.setTree(entry, from, false);
    let queue = this.pruneQueue.get(from);
    if (!queue) this.pruneQueue.set(from, (queue = []));
    queue.push(tag);
  }

  prune(from: NodeId, tags: readonly Tag[]): void {
    if (!this.flood) this.setTrees(from, tags, false);
  }

  graft(from: NodeId, refs: readonly Ref[]): void {
    if (!this.flood) this.setTrees(from, refs, true);
    this.lazy.serve(from, refs);
  }

  linkDown(link: Link): void {
    this.lazy.linkDown(link);
    this.pushQueue.delete(link.id);
    this.pruneQueue.delete(link.id);
    const slot = link.treeSlot;
    if (slot === NO_SLOT) return;
    link.treeSlot = NO_SLOT;
    this.slotCount--;
    this.usedSlots &= ~(1 << slot);
  }

  forget(tag: Tag): void {
    this.lazy.forget(tag);
  }

  tick(now: number): void {
    this.lazy.tick(now);
  }

  flush(now: number): void {
    const max = this.config.maxMessageBytes;
    // Flushed after every input, mostly with nothing queued: a Map's clear() allocates a new table.
    if (this.pruneQueue.size > 0) {
      for (const [link, tags] of this.pruneQueue)
        for (const part of encodePrune(tags, max)) this.outbox.send(link, part);
      this.pruneQueue.clear();
    }
    if (this.pushQueue.size === 0) return this.lazy.flush(now);
    // Links queued the same envelopes (one version to its whole tree) share one encoding: the bytes
    // sent are never written to afterwards, here or by any driver.
    let last: Uint8Array[] | undefined;
    let parts: Uint8Array[] = [];
    for (const [link, envelopes] of this.pushQueue) {
      if (!last || !sameItems(last, envelopes))
        parts = encodeAnnounce((last = envelopes), max, MessageType.Push);
      for (const part of parts) this.outbox.send(link, part);
    }
    this.pushQueue.clear();
    this.lazy.flush(now);
  }

  nextDeadline(): number {
    return this.lazy.nextDeadline();
  }
}

/** `setTrees`' slot before it is needed. */
const UNLOOKED = -2;

/** Puts the link in `slot` in `entry`'s tree or takes it out; slot -1 (none) is never in a tree. */
function setBit(entry: Entry, slot: number, eager: boolean): void {
  if (slot < 0) return;
  if (eager) entry.tree |= 1 << slot;
  else entry.tree &= ~(1 << slot);
}

/** Whether two lists hold the same items (the same objects) in the same order. */
function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `count` items of `from`, cyclically from `start`. */
function pick(from: readonly NodeId[], start: number, count: number): NodeId[] {
  const out: NodeId[] = [];
  for (let i = 0; i < count; i++) out.push(from[(start + i) % from.length]!);
  return out;
}
