/**
 * The membership records a node keeps beside its grids: each grid's revocation set and a founder's grid
 * secret (PROTOCOL.md §8).
 *
 * Rules:
 *  - "Every node persists the grid's revocation set": a revocation, once checked and learned, is written
 *    at once (revocations are rare and must survive a restart; batching would gain nothing), keyed by its
 *    id, so writing one twice is harmless. At start the node loads them and checks them again (storage is
 *    not trusted more than peers). At most `MAX_REVOCATION_SET` per grid are loaded.
 *  - "The grid secret is kept apart from membership records and never deleted by leaving or by an
 *    expulsion." It lives in its own store that `deleteGrid` does not touch; it is read only to export it.
 */
import type { IDBPDatabase } from 'idb';
import type { GridNodeDB, GridSecretRecord } from './schema.ts';

const MAX_LOADED = 4_096;
const MAX_RECORD_BYTES = 16 * 1024;

export class MembershipRecords {
  constructor(private readonly db: IDBPDatabase<GridNodeDB>) {}

  async saveRevocation(gridIdHex: string, idHex: string, record: Uint8Array): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(gridIdHex) || !/^[0-9a-f]{16}$/.test(idHex))
      throw new TypeError('bad grid or revocation id');
    await this.db.put('revocations', record.slice(), [gridIdHex, idHex]);
  }

  /** The stored revocation records of a grid (unchecked: the caller checks each). */
  async loadRevocations(gridIdHex: string): Promise<Uint8Array[]> {
    const range = IDBKeyRange.bound([gridIdHex], [gridIdHex, []]);
    const values = await this.db.getAll('revocations', range, MAX_LOADED);
    return values.filter((v): v is Uint8Array => v instanceof Uint8Array && v.length <= MAX_RECORD_BYTES);
  }

  async putGridSecret(gridIdHex: string, secretKey: Uint8Array, now: number): Promise<void> {
    await this.db.put('gridSecrets', { secretKey: secretKey.slice(), savedAt: now }, gridIdHex);
  }

  async getGridSecret(gridIdHex: string): Promise<Uint8Array | undefined> {
    const record: GridSecretRecord | undefined = await this.db.get('gridSecrets', gridIdHex);
    return record?.secretKey instanceof Uint8Array && record.secretKey.length === 32
      ? record.secretKey
      : undefined;
  }
}
