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
 * Everything else may lag: announcements and peer history are queued and written in batches, one
 * transaction per batch, because losing the last batch in a crash costs only a cache miss (peers resend
 * announcements; history rebuilds itself), while a transaction per record would not keep up with gossip.
 */
import { openDB } from 'idb';
import type { IDBPDatabase } from 'idb';
import type { PeerHistory } from '../core/history.ts';
import type { NodeId } from '../core/identity.ts';
import type { Signer } from '../crypto/ed25519.ts';
import {
  generateWebCryptoKeyPair,
  hasWebCryptoEd25519,
  nobleSigner,
  webCryptoSigner,
} from '../crypto/ed25519.ts';
import { MembershipRecords } from './membership-records.ts';
import {
  checkAnnouncement,
  checkCounter,
  checkFloor,
  checkIdentity,
  checkPeerHistory,
  IdentityDamagedError,
} from './record-checks.ts';
import { DB_VERSION, IDENTITY_KEY, upgrade } from './schema.ts';
import type {
  AnnouncementRecord,
  FloorRecord,
  GridNodeDB,
  GridNodeKey,
  GridRecord,
  IdentityRecord,
  JsonValue,
  PeerHistoryRecord,
} from './schema.ts';

/** Envelopes are at most ~17 KiB by the protocol's limits; anything far beyond is not worth keeping. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;
const MAX_RETRY_DELAY_MS = 30_000;

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

export interface Identity {
  signer: Signer;
  publicKey: Uint8Array;
  kind: IdentityRecord['kind'];
}

export interface StoredAnnouncement {
  nodeId: NodeId;
  /** The envelope bytes exactly as received. */
  envelope: Uint8Array;
  /** Local clock at receipt. */
  receivedAt: number;
}

export type RefusalReason = 'oversized-envelope' | 'closed';

export interface StoreStats {
  /** Records waiting for the next batch. */
  queued: number;
  /** Batch transactions committed. */
  batches: number;
  /** Puts and deletes committed by those batches. */
  recordsWritten: number;
  /** Batch transactions that failed; their records stay queued and are retried with backoff. */
  writeFailures: number;
  lastError: string | undefined;
  /** Records `queue*` turned away, by reason. */
  refused: Record<RefusalReason, number>;
  /** Stored records that did not parse when read back, dropped, by kind (record-checks.ts). */
  garbled: Record<string, number>;
}

/** A queued put, or a delete when `value` is undefined. */
interface Pending<V> {
  key: GridNodeKey;
  value: V | undefined;
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
  private readonly batchDelayMs: number;
  private readonly maxBatch: number;
  private readonly keyEngine: 'auto' | 'noble';
  private readonly announcements = new Map<string, Pending<AnnouncementRecord>>();
  private readonly peers = new Map<string, Pending<PeerHistoryRecord>>();
  private readonly floors = new Map<string, Pending<FloorRecord>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A flush that has not yet taken its batch: later `flush()` calls join it. */
  private nextFlush: Promise<void> | undefined;
  private tail: Promise<void> = Promise.resolve();
  private failuresInRow = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counts: Omit<StoreStats, 'queued'> = {
    batches: 0,
    recordsWritten: 0,
    writeFailures: 0,
    lastError: undefined,
    refused: { 'oversized-envelope': 0, closed: 0 },
    garbled: {},
  };

  constructor(db: IDBPDatabase<GridNodeDB>, options: StoreOptions = {}) {
    this.db = db;
    this.membership = new MembershipRecords(db);
    this.batchDelayMs = Math.max(0, options.batchDelayMs ?? 200);
    this.maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.keyEngine = options.keyEngine ?? 'auto';
    // Another tab wants a newer schema (or to delete the database): let it, after writing what is queued.
    // This tab stops persisting; its queue* calls are refused and counted from here on.
    db.addEventListener('versionchange', () => void this.close().catch(() => undefined));
    db.addEventListener('close', () => {
      this.closed = true;
      this.clearTimer();
      this.counts.lastError = 'the browser closed the database';
    });
  }

  /**
   * Returns the node key, creating it on first use. Of concurrent first calls (even from two tabs), all
   * end with the same key.
   */
  async loadOrCreateIdentity(): Promise<Identity> {
    const stored: unknown = await this.db.get('identity', IDENTITY_KEY);
    // Only a missing record makes a new identity; a damaged one is refused (IdentityDamagedError).
    const record = stored === undefined ? await this.createIdentity() : checkIdentity(stored);
    let signer: Signer;
    try {
      signer =
        record.kind === 'webcrypto' ? await webCryptoSigner(record.keyPair) : nobleSigner(record.secretKey);
    } catch (error) {
      throw new IdentityDamagedError(`its key does not load: ${String(error)}`);
    }
    if (!equalKeys(signer.publicKey, record.publicKey))
      throw new IdentityDamagedError('its public key does not match its private key');
    return { signer, publicKey: record.publicKey, kind: record.kind };
  }

  /** Counts a stored record that did not parse (also for records read by others: settings, grids). */
  reportGarbled(kind: string): void {
    this.counts.garbled[kind] = (this.counts.garbled[kind] ?? 0) + 1;
  }

  private async createIdentity(): Promise<IdentityRecord> {
    // Made before the transaction: a transaction commits as soon as it waits on anything but its requests.
    const fresh = await generateIdentity(this.keyEngine);
    const tx = this.db.transaction('identity', 'readwrite', { durability: 'strict' });
    // Readwrite transactions on one store run one at a time, across tabs too: the later of two first
    // calls finds the earlier one's key here and drops its own.
    const existing = await tx.store.get(IDENTITY_KEY);
    if (!existing) await tx.store.add(fresh, IDENTITY_KEY);
    await tx.done;
    return existing ?? fresh;
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
    this.enqueue(this.announcements, key, { envelope: envelope.slice(), receivedAt });
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
    this.enqueue(this.announcements, key, undefined);
    this.enqueue(this.peers, key, undefined);
    if (floor) this.enqueue(this.floors, key, { seqnum: floor.seqnum, until: floor.until });
    return true;
  }

  /** Queues the removal of a floor that has run out. */
  queueFloorExpired(gridIdHex: string, nodeId: NodeId): boolean {
    if (this.closed) return this.refuse('closed');
    this.enqueue(this.floors, keyOf(gridIdHex, nodeId), undefined);
    return true;
  }

  /** Queues a peer's connection history (without `connectedSince`) for the next batch. */
  queuePeerHistory(gridIdHex: string, nodeId: NodeId, history: PeerHistory | PeerHistoryRecord): boolean {
    const key = keyOf(gridIdHex, nodeId);
    if (this.closed) return this.refuse('closed');
    const { lastConnectedAt, lastFailureAt, failuresInRow, uptimeMs, rttMs, rttSamples } = history;
    this.enqueue(this.peers, key, {
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

  /** Every announcement held for a grid, queued ones included. */
  async loadAnnouncements(gridIdHex: string): Promise<StoredAnnouncement[]> {
    checkGridId(gridIdHex);
    const tx = this.db.transaction('announcements');
    const range = gridRange(gridIdHex);
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done]);
    const found = this.checked(
      overlay(keys, values, this.announcements, gridIdHex),
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
    return this.checked(overlay(keys, values, this.peers, gridIdHex), checkPeerHistory, 'peer-history');
  }

  /** Floors of the nodes a grid's node forgot, queued ones included. */
  async loadFloors(gridIdHex: string): Promise<Map<NodeId, FloorRecord>> {
    checkGridId(gridIdHex);
    const tx = this.db.transaction('floors');
    const range = gridRange(gridIdHex);
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done]);
    return this.checked(overlay(keys, values, this.floors, gridIdHex), checkFloor, 'floor');
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
    for (const pending of [this.announcements, this.peers, this.floors])
      for (const [id, { key }] of pending) if (key[0] === gridIdHex) pending.delete(id);
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
      ...this.counts,
      refused: { ...this.counts.refused },
      garbled: { ...this.counts.garbled },
      queued: this.announcements.size + this.peers.size + this.floors.size,
    };
  }

  /** Writes what is queued, then closes the database. Later `queue*` calls are refused. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      try {
        await this.flush();
      } finally {
        this.clearTimer();
        this.db.close();
      }
    })();
    return this.closing;
  }

  private refuse(reason: RefusalReason): false {
    this.counts.refused[reason]++;
    return false;
  }

  private enqueue<V>(pending: Map<string, Pending<V>>, key: GridNodeKey, value: V | undefined): void {
    pending.set(key.join(' '), { key, value });
    if (
      this.announcements.size + this.peers.size + this.floors.size >= this.maxBatch &&
      this.failuresInRow === 0
    ) {
      void this.flush().catch(() => undefined); // counted in stats by writeBatch
    } else {
      this.scheduleTimer();
    }
  }

  private scheduleTimer(): void {
    if (this.timer !== undefined || this.closed) return;
    // Back off while writes fail, so a broken database is not hammered every batchDelayMs.
    const delay = Math.min(this.batchDelayMs * 2 ** this.failuresInRow, MAX_RETRY_DELAY_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => undefined); // counted in stats by writeBatch; never thrown from a timer
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

async function generateIdentity(engine: 'auto' | 'noble'): Promise<IdentityRecord> {
  const createdAt = Date.now();
  if (engine === 'auto' && (await hasWebCryptoEd25519())) {
    const keyPair = await generateWebCryptoKeyPair();
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keyPair.publicKey));
    return { kind: 'webcrypto', keyPair, publicKey, createdAt };
  }
  const secretKey = crypto.getRandomValues(new Uint8Array(32));
  return { kind: 'noble', secretKey, publicKey: nobleSigner(secretKey).publicKey, createdAt };
}

function equalKeys(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
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

/** Stored records of a grid with the queued writes for that grid applied on top. */
function overlay<V>(
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
