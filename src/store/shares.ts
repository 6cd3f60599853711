/**
 * The storage server's shares in IndexedDB: the `ShareStore` of src/services/share-store.ts, in stores of
 * their own (`shares`, `shareChunks`, `storageClients`; the offer is the `storage.offer` setting).
 *
 * Invariants:
 * - `commit` is one readwrite transaction over every store it touches, with `durability: 'strict'`, and
 *   resolves only on its `complete` event: the bytes are on disk before the server acknowledges them, and
 *   an aborted transaction (quota, disk full, a closed database) leaves none of the batch behind.
 * - Quota and disk-full failures — `QuotaExceededError`, and the `AbortError` (or `UnknownError`) Chromium
 *   reports near its quota — resolve as `{ ok: false, code: 'full' }`; nothing rejects.
 * - Deleting a share deletes its chunks by key range, so no orphaned bytes stay.
 */
import { openDB } from 'idb';
import type { IDBPDatabase } from 'idb';
import type { Batch, ShareStore, StoreResult, StoredState } from '../services/share-store.ts';
import { storeRefusal } from '../services/share-store.ts';
import { DB_VERSION, type GridNodeDB, upgrade } from './schema.ts';

const OFFER_KEY = 'storage.offer';
const STORES = ['shares', 'shareChunks', 'storageClients', 'settings'] as const;

/** Opens the node's database (the same one as `openStore`) for its shares. */
export async function openShareStore(dbName = 'gridnode'): Promise<IndexedDbShareStore> {
  const db = await openDB<GridNodeDB>(dbName, DB_VERSION, {
    upgrade: (db, oldVersion) => upgrade(db, oldVersion),
  });
  return new IndexedDbShareStore(db);
}

export class IndexedDbShareStore implements ShareStore {
  private closed = false;

  constructor(private readonly db: IDBPDatabase<GridNodeDB>) {
    // Another tab upgrades the schema: give way; commits from here on answer 'closed'.
    db.addEventListener('versionchange', () => this.close());
    db.addEventListener('close', () => (this.closed = true));
  }

  async load(): Promise<StoredState> {
    const tx = this.db.transaction(['shares', 'storageClients', 'settings'], 'readonly');
    const [shares, clients, offer] = await Promise.all([
      tx.objectStore('shares').getAll(),
      tx.objectStore('storageClients').getAll(),
      tx.objectStore('settings').get(OFFER_KEY),
    ]);
    return { shares, clients, offer: typeof offer === 'number' && offer >= 0 ? offer : undefined };
  }

  async commit(batch: Batch): Promise<StoreResult> {
    if (this.closed) return { ok: false, code: 'closed', message: 'the database is closed' };
    try {
      const tx = this.db.transaction(STORES, 'readwrite', { durability: 'strict' });
      const shares = tx.objectStore('shares');
      const chunks = tx.objectStore('shareChunks');
      const clients = tx.objectStore('storageClients');
      // Requests are queued in order; errors surface through tx.done, so none is awaited on its own.
      const requests: Promise<unknown>[] = [];
      for (const d of batch.deleteShares ?? []) {
        requests.push(shares.delete([d.si, d.share]));
        requests.push(chunks.delete(IDBKeyRange.bound([d.si, d.share, 0], [d.si, d.share, Infinity])));
      }
      for (const c of batch.chunks ?? []) requests.push(chunks.put(c.bytes, [c.si, c.share, c.index]));
      for (const s of batch.shares ?? []) requests.push(shares.put(s, [s.si, s.share]));
      for (const id of batch.deleteClients ?? []) requests.push(clients.delete(id));
      for (const c of batch.clients ?? []) requests.push(clients.put(c, c.id));
      if (batch.offer !== undefined) requests.push(tx.objectStore('settings').put(batch.offer, OFFER_KEY));
      // A failed request aborts the transaction; its own rejection is the same error as tx.done's.
      for (const r of requests) r.catch(() => undefined);
      await tx.done;
      return { ok: true };
    } catch (error) {
      const refusal = storeRefusal(error);
      if (refusal) return refusal;
      throw error;
    }
  }

  async readChunks(
    si: string,
    share: number,
    first: number,
    last: number,
  ): Promise<(Uint8Array | undefined)[]> {
    if (last < first) return [];
    const range = IDBKeyRange.bound([si, share, first], [si, share, last]);
    const tx = this.db.transaction('shareChunks', 'readonly');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range)]);
    const out: (Uint8Array | undefined)[] = new Array(last - first + 1).fill(undefined);
    keys.forEach((key, i) => (out[key[2] - first] = values[i]));
    return out;
  }

  close(): void {
    this.closed = true;
    this.db.close();
  }
}
