/**
 * The records that may lag behind the node — announcements, peer connection history, floors of forgotten
 * nodes — queued and written in batches, one transaction per batch: losing the last batch in a crash costs
 * only a cache miss (peers resend announcements; history rebuilds itself), while a transaction per record
 * would not keep up with gossip.
 *
 * Invariants:
 * - A record queued again before its batch is written replaces the queued one (one write per key).
 * - Batches commit in the order they were taken; a failed batch is put back under anything queued since
 *   (which is newer) and retried with backoff, never hammering a broken database every `batchDelayMs`.
 * - Reads see queued writes (`overlay`), so a record is never missing between its queueing and its batch.
 */
import type { IDBPDatabase } from 'idb';
import type { NodeId } from '../core/identity.ts';
import type {
  AnnouncementRecord,
  FloorRecord,
  GridNodeDB,
  GridNodeKey,
  PeerHistoryRecord,
} from './schema.ts';

const MAX_RETRY_DELAY_MS = 30_000;

/** A queued put, or a delete when `value` is undefined. */
export interface Pending<V> {
  key: GridNodeKey;
  value: V | undefined;
}

export interface WriteCounts {
  /** Batch transactions committed. */
  batches: number;
  /** Puts and deletes committed by those batches. */
  recordsWritten: number;
  /** Batch transactions that failed; their records stay queued and are retried with backoff. */
  writeFailures: number;
  lastError: string | undefined;
}

export class WriteQueue {
  readonly announcements = new Map<string, Pending<AnnouncementRecord>>();
  readonly peers = new Map<string, Pending<PeerHistoryRecord>>();
  readonly floors = new Map<string, Pending<FloorRecord>>();
  readonly counts: WriteCounts = { batches: 0, recordsWritten: 0, writeFailures: 0, lastError: undefined };
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A flush that has not yet taken its batch: later `flush()` calls join it. */
  private nextFlush: Promise<void> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private failuresInRow = 0;
  /** No timer is started any more (the store is closing or closed); `flush()` still writes. */
  private stopped = false;

  constructor(
    private readonly db: IDBPDatabase<GridNodeDB>,
    private readonly batchDelayMs: number,
    private readonly maxBatch: number,
  ) {}

  /** Records waiting for the next batch. */
  get size(): number {
    return this.announcements.size + this.peers.size + this.floors.size;
  }

  enqueue<V>(pending: Map<string, Pending<V>>, key: GridNodeKey, value: V | undefined): void {
    pending.set(key.join(' '), { key, value });
    if (this.size >= this.maxBatch && this.failuresInRow === 0) {
      void this.flush().catch(() => undefined); // counted in `counts` by writeBatch
    } else {
      this.scheduleTimer();
    }
  }

  /** Drops what is queued for one grid (it is being deleted). */
  dropGrid(gridIdHex: string): void {
    for (const pending of [this.announcements, this.peers, this.floors])
      for (const [id, { key }] of pending) if (key[0] === gridIdHex) pending.delete(id);
  }

  /**
   * Writes everything queued so far in one transaction; resolves when it is committed. On failure the
   * records stay queued for a retry, and the error is thrown here (and counted).
   */
  flush(): Promise<void> {
    this.clearTimer();
    if (!this.nextFlush) {
      // Chained, so batches commit in the order they were taken.
      const run = this.tail.then(() => {
        this.nextFlush = undefined;
        return this.writeBatch();
      });
      this.nextFlush = run;
      this.tail = run.catch(() => undefined);
    }
    return this.nextFlush;
  }

  /** From now on no timer is started: what is queued is written only by `flush()`. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private scheduleTimer(): void {
    if (this.timer !== undefined || this.stopped) return;
    // Back off while writes fail, so a broken database is not hammered every batchDelayMs.
    const delay = Math.min(this.batchDelayMs * 2 ** this.failuresInRow, MAX_RETRY_DELAY_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => undefined); // counted by writeBatch; never thrown from a timer
    }, delay);
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async writeBatch(): Promise<void> {
    const announcements = new Map(this.announcements);
    const peers = new Map(this.peers);
    const floors = new Map(this.floors);
    const records = announcements.size + peers.size + floors.size;
    if (records === 0) return;
    this.announcements.clear();
    this.peers.clear();
    this.floors.clear();
    try {
      // Relaxed: a lost batch is only a cache miss, and strict would cost a disk sync per batch.
      const tx = this.db.transaction(['announcements', 'peers', 'floors'], 'readwrite', {
        durability: 'relaxed',
      });
      const writes: Promise<unknown>[] = [tx.done];
      const announcementStore = tx.objectStore('announcements');
      const peerStore = tx.objectStore('peers');
      const floorStore = tx.objectStore('floors');
      for (const { key, value } of announcements.values())
        writes.push(value ? announcementStore.put(value, key) : announcementStore.delete(key));
      for (const { key, value } of peers.values())
        writes.push(value ? peerStore.put(value, key) : peerStore.delete(key));
      for (const { key, value } of floors.values())
        writes.push(value ? floorStore.put(value, key) : floorStore.delete(key));
      // All awaited together, so that an aborted transaction leaves no unhandled rejection behind.
      await Promise.all(writes);
    } catch (error) {
      // Put the batch back under anything queued since, which is newer.
      for (const [id, op] of announcements) if (!this.announcements.has(id)) this.announcements.set(id, op);
      for (const [id, op] of peers) if (!this.peers.has(id)) this.peers.set(id, op);
      for (const [id, op] of floors) if (!this.floors.has(id)) this.floors.set(id, op);
      this.counts.writeFailures++;
      this.counts.lastError = String(error);
      this.failuresInRow++;
      this.scheduleTimer();
      throw error;
    }
    this.failuresInRow = 0;
    this.counts.batches++;
    this.counts.recordsWritten += records;
  }
}

/** Stored records of a grid with the queued writes for that grid applied on top. */
export function overlay<V>(
  keys: GridNodeKey[],
  values: V[],
  pending: Map<string, Pending<V>>,
  gridIdHex: string,
): Map<NodeId, V> {
  const found = new Map<NodeId, V>();
  keys.forEach(([, nodeId], i) => found.set(nodeId as NodeId, values[i]!));
  for (const { key, value } of pending.values()) {
    if (key[0] !== gridIdHex) continue;
    if (value === undefined) found.delete(key[1] as NodeId);
    else found.set(key[1] as NodeId, value);
  }
  return found;
}
