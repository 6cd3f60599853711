/**
 * Liveness (PROTOCOL.md §6): Zooko's three rules (seed 001) over the table and the links — which origins
 * are still gossiped, whom to dial, and when to forget.
 *  1. "An origin is fresh while this node is linked to it or received its newest seqnum within
 *     `expireAfterMs`, on this node's own clock." "Do not gossip about nodes that you have not been
 *     connected to, or heard fresh news of, within `expireAfterMs`." A sweep every `sweepMs` takes stale
 *     origins out of the fingerprint and keeps linked ones fresh.
 *  2. "Keep a connection history per peer: last connected, last failure, failures in a row, total uptime
 *     and RTT." "Keep at most `maxDialsInFlight` dials in flight; a dial that has not linked within
 *     `dialTimeoutMs` counts as a failure." The order of dials is `planDials` (history.ts). "A link that
 *     ends other than by this node's own choice counts as a failure of that peer": the peer most recently
 *     connected is otherwise the first dialed after its link is lost, and it is the least likely to answer.
 *     "History is kept only for peers this node holds an announcement of, is linked to or is dialing":
 *     a failed attempt from any other id leaves nothing (`history-unknown`), and a sweep drops the
 *     history of ids that no longer have any of the three once untouched for `expireAfterMs`, so history is bounded by `maxOrigins` plus
 *     the links and dials (SECURITY-REVIEW finding 7).
 *  3. "Forget a node not seen for `forgetAfterMs` on the local clock, but only while linked to at least
 *     `minPeersToForget` peers." "A link counts towards `minPeersToForget` only once it has been up for
 *     `settleMs`." What remains is a floor (table.ts).
 *
 * Clocks: every rule is a difference of this node's own clock, in whole milliseconds; a time found in the
 * future (the clock was set back) is taken as now, so a timequake delays forgetting instead of freezing it.
 *
 * Redialing is cheap when there is nothing to do: the candidate scan runs only after something changed (a
 * link lost, a dial failed, a new origin: `wake`) or when a peer's backoff ends (`redialAt`).
 */
import type { CoreConfig } from './config.ts';
import {
  type PeerHistory,
  emptyHistory,
  historyFrom,
  planDials,
  recordAlive,
  recordConnected,
  recordDisconnected,
  recordFailure,
  recordRtt,
} from './history.ts';
import { type NodeId, type Tag, nodeIdString, parseNodeId, tagOf } from './identity.ts';
import type { Link, Links } from './links.ts';
import type { Outbox } from './outbox.ts';
import { type Entry, originOf } from './entry.ts';
import type { Table } from './table.ts';

/** Longest time between sweeps (rules 1 and 3); shorter when the configured intervals are. */
const MAX_SWEEP_MS = 30_000;

const copyHistory = (h: PeerHistory): PeerHistory => ({ ...h, rttSamples: [...h.rttSamples] });

export class Liveness {
  private readonly history = new Map<NodeId, PeerHistory>();
  /** Dials in flight: peer → local time at which the attempt counts as failed. */
  private readonly dialing = new Map<NodeId, number>();
  /** When to look for peers to dial again; -Infinity: at the end of the current input. */
  private redialAt = Number.NEGATIVE_INFINITY;
  private readonly sweepMs: number;
  private nextSweepAt = Number.NEGATIVE_INFINITY;
  /** When the entries must be looked at next, and what the last look saw (see `sweep`). */
  private scanAt = Number.NEGATIVE_INFINITY;
  private scannedAt = Number.NEGATIVE_INFINITY;
  private scannedCanForget = false;

  /** `forgotten` is told of every origin rule 3 removed, after its `forgotten` output. */
  constructor(
    private readonly selfTag: Tag,
    private readonly table: Table,
    private readonly links: Links,
    private readonly outbox: Outbox,
    private readonly config: CoreConfig,
    private readonly forgotten: (entry: Entry) => void,
  ) {
    this.sweepMs = Math.max(1, Math.min(MAX_SWEEP_MS, Math.floor(config.refreshIntervalMs / 4)));
  }

  get dialsInFlight(): number {
    return this.dialing.size;
  }

  /** Something changed that may free a dial slot or add a candidate: plan again at the end of the input. */
  wake(): void {
    this.redialAt = Number.NEGATIVE_INFINITY;
  }

  /** `link` is up (already in `links`). */
  linkUp(link: Link, now: number): void {
    if (this.dialing.delete(link.id)) this.wake();
    this.record(link.id, (h) => recordConnected(h, now));
    const entry = this.table.get(link.tag);
    if (entry) this.table.touch(entry, now);
  }

  /**
   * `link` is down (already gone from `links`). "A link that ends other than by this node's own choice
   * counts as a failure of that peer": it went away, and if it only restarted it dials this node itself
   * (it reconnects to the peers it saw last), so the others are dialed first.
   */
  linkDown(link: Link, now: number, lost: boolean): void {
    this.record(link.id, (h) => {
      recordDisconnected(h, now);
      if (lost) recordFailure(h, now);
    });
    const entry = this.table.get(link.tag);
    if (entry) entry.lastSeenAt = now;
    this.wake();
  }

  /** An attempt to link with `peer` ended without a link: it counts against the peer, and frees a slot. */
  failed(peer: NodeId, now: number): void {
    this.dialing.delete(peer);
    this.record(peer, (h) => recordFailure(h, now));
    this.wake();
  }

  /** Stops counting a dial to `peer` (its origin was evicted). */
  dropDial(peer: NodeId): void {
    this.dialing.delete(peer);
  }

  recordRtt(peer: NodeId, rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    if (this.history.has(peer) || this.mayRemember(peer)) recordRtt(this.historyOf(peer), rttMs);
  }

  historyOf(peer: NodeId): PeerHistory {
    let h = this.history.get(peer);
    if (!h) this.history.set(peer, (h = emptyHistory()));
    return h;
  }

  /** The peer's history if it has one, else an empty one that is not kept (reading never adds a peer). */
  peekHistory(peer: NodeId): PeerHistory {
    return this.history.get(peer) ?? emptyHistory();
  }

  /** Histories held (bounded: see rule 2). */
  get historyCount(): number {
    return this.history.size;
  }

  /** Whether `peer` may have a history: an announcement held, a link, or a dial in flight. */
  private mayRemember(peer: NodeId): boolean {
    if (this.links.has(peer) || this.dialing.has(peer)) return true;
    const key = parseNodeId(peer);
    return key !== undefined && this.table.get(tagOf(key)) !== undefined;
  }

  restoreHistory(peer: NodeId, saved: unknown): void {
    this.history.set(peer, historyFrom(saved));
    this.wake();
  }

  nextDeadline(): number {
    let deadline = this.nextSweepAt;
    // Asked after every input: no iterator when nothing is being dialed.
    if (this.dialing.size > 0)
      for (const dialDeadline of this.dialing.values()) deadline = Math.min(deadline, dialDeadline);
    const c = this.config;
    if (this.links.size + this.dialing.size < c.targetLinks && this.dialing.size < c.maxDialsInFlight)
      deadline = Math.min(deadline, this.redialAt);
    return deadline;
  }

  tick(now: number): void {
    if (this.dialing.size > 0)
      for (const [peer, deadline] of this.dialing) {
        if (deadline > now) continue;
        this.outbox.push({ type: 'dial-timeout', id: peer });
        this.failed(peer, now);
      }
    if (now >= this.nextSweepAt) {
      this.nextSweepAt = now + this.sweepMs;
      this.sweep(now);
    }
  }

  /**
   * Rule 2: while this node has fewer than `targetLinks` links and dials in flight, and fewer than
   * `maxDialsInFlight` dials, dial the best candidates — every origin it knows and every peer it has a
   * history with.
   */
  redial(now: number): void {
    const c = this.config;
    const free = Math.min(
      c.maxDialsInFlight - this.dialing.size,
      c.targetLinks - this.links.size - this.dialing.size,
    );
    if (free <= 0 || now < this.redialAt) return;
    for (const entry of this.table.values()) {
      if (entry.tag !== this.selfTag && !this.links.hasTag(entry.tag))
        this.historyOf(nodeIdString(originOf(entry)));
    }
    const plan = planDials(this.history, now, free, c.reconnectBaseMs, c.reconnectMaxMs, (peer) =>
      this.dialing.has(peer),
    );
    for (const peer of plan.now) {
      this.dialing.set(peer, now + c.dialTimeoutMs);
      this.outbox.push({ type: 'dial', id: peer });
    }
    // Filled every free slot: look again when a slot frees (which wakes). Otherwise when the first
    // backed-off peer is ready.
    this.redialAt = plan.now.length === free ? Number.POSITIVE_INFINITY : plan.nextReadyAt;
  }

  /**
   * Rules 1 and 3: stop gossiping stale origins; forget long-unseen ones when well connected. The links
   * are looked at every sweep; the entries only when one of them can be due (`scanAt`, the earliest
   * expiry or forgetting found by the last scan, and never later than `expireAfterMs` after it, which
   * covers every entry added since), when forgetting has just become possible, when an entry was restored
   * with an old receipt time, or when the clock went back. So a sweep costs O(links), not O(origins).
   */
  private sweep(now: number): void {
    const c = this.config;
    let settled = 0;
    for (const link of this.links.all()) if (now - link.upAt >= c.settleMs) settled++;
    const canForget = settled >= c.minPeersToForget;
    for (const link of this.links.all()) this.record(link.id, (h) => recordAlive(h, now));
    const due = now >= this.scanAt || now < this.scannedAt || (canForget && !this.scannedCanForget);
    if (due || this.table.takeBackdated()) this.scan(now, canForget);
    this.table.sweepFloors(now);
  }

  private scan(now: number, canForget: boolean): void {
    const c = this.config;
    let next = now + c.expireAfterMs + 1;
    for (const [peer, h] of this.history) {
      const touched = Math.max(h.lastConnectedAt ?? 0, h.lastFailureAt ?? 0);
      if (now - touched > c.expireAfterMs && !this.mayRemember(peer)) this.history.delete(peer);
    }
    for (const entry of this.table.values()) {
      if (entry.tag === this.selfTag) continue;
      if (this.links.hasTag(entry.tag)) {
        this.table.touch(entry, now);
        continue;
      }
      if (entry.lastSeenAt > now) entry.lastSeenAt = now;
      const unseenMs = now - entry.lastSeenAt;
      if (entry.gossiped && unseenMs > c.expireAfterMs) this.table.expire(entry);
      if (canForget && unseenMs > c.forgetAfterMs) {
        this.forget(entry, now);
        continue;
      }
      if (entry.gossiped) next = Math.min(next, entry.lastSeenAt + c.expireAfterMs + 1);
      next = Math.min(next, entry.lastSeenAt + c.forgetAfterMs + 1);
    }
    this.scanAt = next;
    this.scannedAt = now;
    this.scannedCanForget = canForget;
  }

  /**
   * Rule 3: drops the origin's announcement and connection history, and keeps a floor at its seqnum for
   * another `forgetAfterMs`: long after every honest node has stopped offering it (they stop at
   * `expireAfterMs`), so the forgotten announcement cannot come back through gossip. A newer one can: that
   * node has returned.
   */
  private forget(entry: Entry, now: number): void {
    const id = nodeIdString(originOf(entry));
    this.table.remove(entry);
    this.history.delete(id);
    this.dialing.delete(id);
    const floor = { seqnum: entry.seqnum, until: now + this.config.forgetAfterMs };
    this.table.setFloor(entry, floor.until);
    this.outbox.push({ type: 'forgotten', id, floor });
    this.forgotten(entry);
  }

  /** Changes a peer's history and emits it for persisting. */
  private record(peer: NodeId, change: (h: PeerHistory) => void): void {
    if (!this.history.has(peer) && !this.mayRemember(peer)) {
      this.outbox.counters.drop('history-unknown');
      return;
    }
    const history = this.historyOf(peer);
    change(history);
    this.outbox.push({ type: 'history', id: peer, history: copyHistory(history) });
  }
}
