/**
 * A grid node's persistent state in IndexedDB: its key, its seqnum counters, the announcements it holds,
 * peer connection history, grid memberships and settings.
 *
 * Invariant: a crash between writes never leaves the counter behind a published seqnum. `saveCounter`
 * commits with `durability: 'strict'` (on disk before its promise resolves) and never lowers the stored
 * value, and the driver awaits it before a signed envelope with that seqnum leaves the node. So whenever
 * the crash comes, the stored counter is at or above every seqnum another node can have seen from us.
 *
 * What is read back is checked first (record-checks.ts): a record that does not parse is dropped and
 * counted in `stats().garbled`, and start-up goes on; a damaged identity is refused, never replaced.
 *
 * Everything else may lag: announcements, peer history and floors are queued and written in batches
 * (write-queue.ts). The node key is made and checked in identity-record.ts.
 */
import { openDB } from 'idb';
import type { IDBPDatabase } from 'idb';
import type { PeerHistory } from '../core/history.ts';
import type { NodeId } from '../core/identity.ts';
import { type Identity, loadOrCreateIdentity } from './identity-record.ts';
import { MembershipRecords } from './membership-records.ts';
import { checkAnnouncement, checkCounter, checkFloor, checkPeerHistory } from './record-checks.ts';
import { DB_VERSION, upgrade } from './schema.ts';
import type {
  FloorRecord,
  GridNodeDB,
  GridNodeKey,
  GridRecord,
  JsonValue,
  PeerHistoryRecord,
} from './schema.ts';
import { overlay, type WriteCounts, WriteQueue } from './write-queue.ts';

export type { Identity } from './identity-record.ts';

/** Envelopes are at most ~17 KiB by the protocol's limits; anything far beyond is not worth keeping. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;

export interface StoreOptions {
  /** How long queued records wait for company before they are written. Default 200 ms. */
  batchDelayMs?: number;
  /** Write at once when this many records are queued. Default 500. */
  maxBatch?: number;
  /**
   * Which engine makes a new node key: `'auto'` (default) uses WebCrypto where it has Ed25519, so the
   * private key can be non-extractable; `'noble'` always uses @noble/ed25519. An existing key is used as is.
   */
  keyEngine?: 'auto' | 'noble';
}

export interface StoredAnnouncement {
  nodeId: NodeId;
  /** The envelope bytes exactly as received. */
  envelope: Uint8Array;
  /** Local clock at receipt. */
  receivedAt: number;
}

export type RefusalReason = 'oversized-envelope' | 'closed';

export interface StoreStats extends WriteCounts {
  /** Records waiting for the next batch. */
  queued: number;
  /** Records `queue*` turned away, by reason. */
  refused: Record<RefusalReason, number>;
  /** Stored records that did not parse when read back, dropped, by kind (record-checks.ts). */
  garbled: Record<string, number>;
}

/**
 * Opens (creating or upgrading as needed) the node's database.
 *
 * ```ts
 * const store = await openStore();
 * const { signer, publicKey } = await store.loadOrCreateIdentity();
 * ```
 */
export async function openStore(dbName = 'gridnode', options: StoreOptions = {}): Promise<NodeStore> {
  const db = await openDB<GridNodeDB>(dbName, DB_VERSION, {
    upgrade: (db, oldVersion) => upgrade(db, oldVersion),
  });
  return new NodeStore(db, options);
}

/** A handle on the node's database; get one from {@link openStore}. */
export class NodeStore {
  private readonly db: IDBPDatabase<GridNodeDB>;
  /** Revocation sets and grid secrets (membership-records.ts). */
  readonly membership: MembershipRecords;
  private readonly keyEngine: 'auto' | 'noble';
  /** Announcements, peer history and floors on their way to disk. */
  private readonly queue: WriteQueue;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counts: Pick<StoreStats, 'refused' | 'garbled'> = {
    refused: { 'oversized-envelope': 0, closed: 0 },
    garbled: {},
  };

  constructor(db: IDBPDatabase<GridNodeDB>, options: StoreOptions = {}) {
    this.db = db;
    this.membership = new MembershipRecords(db);
    this.queue = new WriteQueue(
      db,
      Math.max(0, options.batchDelayMs ?? 200),
      Math.max(1, options.maxBatch ?? 500),
    );
    this.keyEngine = options.keyEngine ?? 'auto';
    // Another tab wants a newer schema (or to delete the database): let it, after writing what is queued.
    // This tab stops persisting; its queue* calls are refused and counted from here on.
    db.addEventListener('versionchange', () => void this.close().catch(() => undefined));
    db.addEventListener('close', () => {
      this.closed = true;
      this.queue.stop();
      this.queue.counts.lastError = 'the browser closed the database';
    });
  }

  /**
   * Returns the node key, creating it on first use. Of concurrent first calls (even from two tabs), all
   * end with the same key.
   */
  loadOrCreateIdentity(): Promise<Identity> {
    return loadOrCreateIdentity(this.db, this.keyEngine);
  }

  /** Counts a stored record that did not parse (also for records read by others: settings, grids). */
  reportGarbled(kind: string): void {
    this.counts.garbled[kind] = (this.counts.garbled[kind] ?? 0) + 1;
  }

  /** The last seqnum this node signed in a grid; 0 if none. */
  async loadCounter(gridIdHex: string): Promise<number> {
    checkGridId(gridIdHex);
    const stored: unknown = await this.db.get('counters', gridIdHex);
    if (stored === undefined) return 0;
    const counter = checkCounter(stored);
    // Garbled (or at the end of the seqnum range, where it could never sign again): start from 0; the
    // core jumps past its own higher seqnums as soon as a peer shows one (PROTOCOL.md §3).
    if (counter === undefined) this.reportGarbled('counter');
    return counter ?? 0;
  }

  /**
   * Records `seqnum` as signed in a grid, durably; await it before the envelope leaves the node. Never
   * lowers the stored counter, so a late or stale caller cannot undo a newer save.
   */
  async saveCounter(gridIdHex: string, seqnum: number): Promise<void> {
    checkGridId(gridIdHex);
    if (!Number.isSafeInteger(seqnum) || seqnum < 0)
      throw new RangeError(`saveCounter: bad seqnum ${seqnum}`);
    const tx = this.db.transaction('counters', 'readwrite', { durability: 'strict' });
    const stored = checkCounter(await tx.store.get(gridIdHex)) ?? 0;
    if (seqnum > stored) await tx.store.put(seqnum, gridIdHex);
    await tx.done;
  }

  /**
   * Queues an announcement for the next batch, replacing anything queued for the same node. Returns
   * false, counting the reason in `stats().refused`, for an envelope over {@link MAX_ENVELOPE_BYTES} or
   * after `close()`.
   */
  queueAnnouncement(gridIdHex: string, nodeId: NodeId, envelope: Uint8Array, receivedAt: number): boolean {
    const key = keyOf(gridIdHex, nodeId);
    if (!Number.isFinite(receivedAt)) throw new TypeError('queueAnnouncement: receivedAt must be finite');
    if (this.closed) return this.refuse('closed');
    if (envelope.length > MAX_ENVELOPE_BYTES) return this.refuse('oversized-envelope');
    // A copy, because structured clone stores a view's whole buffer, which may be a 256 KiB message.
    this.queue.enqueue(this.queue.announcements, key, { envelope: envelope.slice(), receivedAt });
    return true;
  }

  /**
   * Queues the removal of a forgotten node: its announcement and its connection history, and keeps its
   * `floor` if given. Cancels whatever is queued for it.
   */
  queueForget(gridIdHex: string, nodeId: NodeId, floor?: FloorRecord): boolean {
    const key = keyOf(gridIdHex, nodeId);
    if (this.closed) return this.refuse('closed');
    if (floor && !(Number.isSafeInteger(floor.seqnum) && Number.isFinite(floor.until)))
      throw new TypeError('queueForget: floor needs an integer seqnum and a finite until');
    this.queue.enqueue(this.queue.announcements, key, undefined);
    this.queue.enqueue(this.queue.peers, key, undefined);
    if (floor) this.queue.enqueue(this.queue.floors, key, { seqnum: floor.seqnum, until: floor.until });
    return true;
  }

  /** Queues the removal of a floor that has run out. */
  queueFloorExpired(gridIdHex: string, nodeId: NodeId): boolean {
    if (this.closed) return this.refuse('closed');
    this.queue.enqueue(this.queue.floors, keyOf(gridIdHex, nodeId), undefined);
    return true;
  }

  /** Queues a peer's connection history (without `connectedSince`) for the next batch. */
  queuePeerHistory(gridIdHex: string, nodeId: NodeId, history: PeerHistory | PeerHistoryRecord): boolean {
    const key = keyOf(gridIdHex, nodeId);
    if (this.closed) return this.refuse('closed');
    const { lastConnectedAt, lastFailureAt, failuresInRow, uptimeMs, rttMs, rttSamples } = history;
    this.queue.enqueue(this.queue.peers, key, {
      lastConnectedAt,
      lastFailureAt,
      failuresInRow,
      uptimeMs,
      rttMs,
      ...(rttSamples ? { rttSamples: [...rttSamples] } : {}),
    });
    return true;
  }

  /**
   * Writes everything queued so far in one transaction; resolves when it is committed. On failure the
   * records stay queued for a retry, and the error is thrown here (and counted in `stats()`).
   */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Every announcement held for a grid, queued ones included. */
  async loadAnnouncements(gridIdHex: string): Promise<StoredAnnouncement[]> {
    checkGridId(gridIdHex);
    const tx = this.db.transaction('announcements');
    const range = gridRange(gridIdHex);
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done]);
    const found = this.checked(
      overlay(keys, values, this.queue.announcements, gridIdHex),
      checkAnnouncement,
      'announcement',
    );
    return [...found].map(([nodeId, record]) => ({ nodeId, ...record }));
  }

  /** Connection history of every peer in a grid, queued ones included. */
  async loadPeerHistory(gridIdHex: string): Promise<Map<NodeId, PeerHistoryRecord>> {
    checkGridId(gridIdHex);
    const tx = this.db.transaction('peers');
    const range = gridRange(gridIdHex);
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done]);
    return this.checked(overlay(keys, values, this.queue.peers, gridIdHex), checkPeerHistory, 'peer-history');
  }

  /** Floors of the nodes a grid's node forgot, queued ones included. */
  async loadFloors(gridIdHex: string): Promise<Map<NodeId, FloorRecord>> {
    checkGridId(gridIdHex);
    const tx = this.db.transaction('floors');
    const range = gridRange(gridIdHex);
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done]);
    return this.checked(overlay(keys, values, this.queue.floors, gridIdHex), checkFloor, 'floor');
  }

  /** The records that pass `check`; the others are counted under `kind` and left out. */
  private checked<V>(
    found: Map<NodeId, unknown>,
    check: (v: unknown) => V | undefined,
    kind: string,
  ): Map<NodeId, V> {
    const out = new Map<NodeId, V>();
    for (const [id, value] of found) {
      const ok = check(value);
      if (ok === undefined) this.reportGarbled(kind);
      else out.set(id, ok);
    }
    return out;
  }

  async getGrid(gridIdHex: string): Promise<GridRecord | undefined> {
    checkGridId(gridIdHex);
    const record: unknown = await this.db.get('grids', gridIdHex);
    if (record === undefined || isGridRecord(record)) return record;
    this.reportGarbled('grid');
    return undefined;
  }

  /** Every grid this node is a member of, by grid id hex. */
  async listGrids(): Promise<Map<string, GridRecord>> {
    const tx = this.db.transaction('grids');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
    const grids = new Map<string, GridRecord>();
    keys.forEach((key, i) => {
      const value: unknown = values[i];
      if (isGridRecord(value)) grids.set(key, value);
      else this.reportGarbled('grid');
    });
    return grids;
  }

  async putGrid(gridIdHex: string, grid: GridRecord): Promise<void> {
    checkGridId(gridIdHex);
    await this.db.put('grids', grid, gridIdHex);
  }

  /**
   * Leaves a grid: drops its membership, announcements and peer history. Its counter stays, so that
   * rejoining with the same key never reuses a published seqnum; so do its revocation set (a rejoining
   * node must not re-admit the revoked) and a founder's grid secret (membership-records.ts).
   */
  async deleteGrid(gridIdHex: string): Promise<void> {
    checkGridId(gridIdHex);
    this.queue.dropGrid(gridIdHex);
    const tx = this.db.transaction(['grids', 'announcements', 'peers', 'floors'], 'readwrite');
    const range = gridRange(gridIdHex);
    await Promise.all([
      tx.objectStore('grids').delete(gridIdHex),
      tx.objectStore('announcements').delete(range),
      tx.objectStore('peers').delete(range),
      tx.objectStore('floors').delete(range),
      tx.done,
    ]);
  }

  async getSetting(key: string): Promise<JsonValue | undefined> {
    return this.db.get('settings', key);
  }

  async setSetting(key: string, value: JsonValue): Promise<void> {
    await this.db.put('settings', value, key);
  }

  async deleteSetting(key: string): Promise<void> {
    await this.db.delete('settings', key);
  }

  stats(): StoreStats {
    return {
      ...this.queue.counts,
      refused: { ...this.counts.refused },
      garbled: { ...this.counts.garbled },
      queued: this.queue.size,
    };
  }

  /** Writes what is queued, then closes the database. Later `queue*` calls are refused. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.queue.stop();
      try {
        await this.flush();
      } finally {
        this.db.close();
      }
    })();
    return this.closing;
  }

  private refuse(reason: RefusalReason): false {
    this.counts.refused[reason]++;
    return false;
  }
}

/** A grid record's own fields (its `data` is checked again by the membership layer). */
function isGridRecord(v: unknown): v is GridRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.name === 'string' && Array.isArray(r.relays) && r.relays.every((u) => typeof u === 'string')
  );
}

function checkGridId(gridIdHex: string): void {
  if (!/^[0-9a-f]{64}$/.test(gridIdHex)) throw new TypeError('grid id must be 64 lowercase hex digits');
}

function keyOf(gridIdHex: string, nodeId: NodeId): GridNodeKey {
  checkGridId(gridIdHex);
  if (typeof nodeId !== 'string' || !nodeId.startsWith('v0-')) throw new TypeError(`bad node id ${nodeId}`);
  return [gridIdHex, nodeId];
}

/** All [gridIdHex, nodeId] keys of one grid: arrays sort after strings, so [g, []] is above every [g, id]. */
function gridRange(gridIdHex: string): IDBKeyRange {
  return IDBKeyRange.bound([gridIdHex], [gridIdHex, []]);
}
