/**
 * The `files` service's list in IndexedDB (store `files`, keyed [grid id hex, cap]) and its convergence
 * secret (the `files.convergence` setting, 32 bytes as hex), and the storage clubs its server joined
 * (`storage.clubs`). Records are checked on the way back in
 * (src/services/file-list.ts `checkEntry`); a malformed one is dropped from the answer, counted, and left
 * for the owner's next `delete` — never thrown at start-up.
 */
import { openDB } from 'idb';
import type { IDBPDatabase } from 'idb';
import { fromHex, toHex } from '../core/bytes.ts';
import { type FileList, checkEntry } from '../services/file-list.ts';
import type { FileEntry } from '../services/files-types.ts';
import { DB_VERSION, type GridNodeDB, upgrade } from './schema.ts';

const SECRET_KEY = 'files.convergence';
const CLUBS_KEY = 'storage.clubs';

export async function openFileList(dbName = 'gridnode'): Promise<IndexedDbFileList> {
  const db = await openDB<GridNodeDB>(dbName, DB_VERSION, {
    upgrade: (db, oldVersion) => upgrade(db, oldVersion),
  });
  db.addEventListener('versionchange', () => db.close());
  return new IndexedDbFileList(db);
}

export class IndexedDbFileList implements FileList {
  constructor(private readonly db: IDBPDatabase<GridNodeDB>) {}

  async load(gridHex: string): Promise<{ entries: FileEntry[]; dropped: number }> {
    const range = IDBKeyRange.bound([gridHex, ''], [gridHex, '\uffff']);
    const records = await this.db.getAll('files', range);
    const entries = records.map(checkEntry).filter((e): e is FileEntry => e !== undefined);
    entries.sort((a, b) => b.uploadedAt - a.uploadedAt);
    return { entries, dropped: records.length - entries.length };
  }

  async put(gridHex: string, entry: FileEntry): Promise<void> {
    const tx = this.db.transaction('files', 'readwrite', { durability: 'strict' });
    await Promise.all([tx.store.put(entry, [gridHex, entry.cap]), tx.done]);
  }

  async delete(gridHex: string, cap: string): Promise<void> {
    await this.db.delete('files', [gridHex, cap]);
  }

  async convergence(): Promise<Uint8Array> {
    const tx = this.db.transaction('settings', 'readwrite', { durability: 'strict' });
    const stored = await tx.store.get(SECRET_KEY);
    const known = typeof stored === 'string' && /^[0-9a-f]{64}$/.test(stored) ? fromHex(stored) : undefined;
    // A garbled secret is replaced: it changes future convergent caps only, never a file's bytes.
    const secret = known ?? crypto.getRandomValues(new Uint8Array(32));
    if (!known) await tx.store.put(toHex(secret), SECRET_KEY);
    await tx.done;
    return secret;
  }

  async joinedClubs(): Promise<string[]> {
    const stored = await this.db.get('settings', CLUBS_KEY);
    return Array.isArray(stored) ? stored.filter((x): x is string => typeof x === 'string') : [];
  }

  async setJoinedClubs(ids: readonly string[]): Promise<void> {
    await this.db.put('settings', [...ids], CLUBS_KEY);
  }
}
