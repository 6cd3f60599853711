/**
 * Where a storage server keeps shares: the records, the interface the server's adapter writes through, and
 * an in-memory implementation for Node tests. The IndexedDB one is src/store/shares.ts.
 *
 * Invariants every implementation keeps:
 * - `commit` is one atomic, durable transaction: when it resolves `{ ok: true }` every chunk, record and
 *   deletion of the batch is on disk (IndexedDB: `durability: 'strict'`, transaction complete); when it
 *   resolves `{ ok: false }` none of them is. So a write is acknowledged only once it would survive a
 *   crash, and a refused one leaves no torn share behind.
 * - A quota or disk-full failure (`QuotaExceededError`, or Chromium's `AbortError` near the quota) is
 *   `{ ok: false, code: 'full' }`, never a rejection; a closed database is `'closed'`.
 * - Share bytes are kept in chunks of `CHUNK_BYTES` at index `offset / CHUNK_BYTES`, so a write or read
 *   touches only the chunks it covers, and no value exceeds 64 KiB (where IndexedDB starts spilling values
 *   into files of their own).
 */
export const CHUNK_BYTES = 64 * 1024;

/** One share: its bookkeeping (the bytes are in chunks). Plain data, so it structured-clones. */
export interface ShareRecord {
  /** Storage index, 32 lowercase hex digits. */
  si: string;
  share: number;
  size: number;
  state: 'partial' | 'complete';
  /** The node id that allocated it; only it may write, close or abort while it is partial. */
  uploader: string;
  /** Its upload secret, hex, for idempotent allocation. */
  secret: string;
  allocatedAt: number;
  /** Last allocate or write; a partial share untouched for `abandonAfterMs` is freed. */
  touchedAt: number;
  /** Byte ranges written, `[start, end)`, sorted, disjoint and not touching. */
  written: [number, number][];
  /** Leaseholder node id → lease expiry (local clock). */
  leases: Record<string, number>;
  /** Reports of corruption (advise corrupt), newest last, bounded. */
  corrupt: { by: string; reason: string; at: number }[];
}

/** What the owner set for, and the server knows of, one client. */
export interface ClientRecord {
  id: string;
  /** Bytes this client may hold here; none means only the node-wide offer limits it. */
  quota?: number;
  lastUsedAt: number;
}

export interface ChunkWrite {
  si: string;
  share: number;
  index: number;
  bytes: Uint8Array;
}

/** Everything one operation changes; applied atomically. */
export interface Batch {
  chunks?: ChunkWrite[];
  shares?: ShareRecord[];
  /** Shares to delete with all their chunks. */
  deleteShares?: { si: string; share: number }[];
  clients?: ClientRecord[];
  deleteClients?: string[];
  offer?: number;
}

export type StoreResult = { ok: true } | { ok: false; code: 'full' | 'closed'; message: string };

export interface StoredState {
  shares: ShareRecord[];
  clients: ClientRecord[];
  offer: number | undefined;
}

export interface ShareStore {
  load(): Promise<StoredState>;
  commit(batch: Batch): Promise<StoreResult>;
  /** Chunks `first..last` of a share (inclusive), `undefined` where none is stored. */
  readChunks(si: string, share: number, first: number, last: number): Promise<(Uint8Array | undefined)[]>;
  close(): void;
}

/** Turns what a storage engine threw into a refusal, or undefined when it is not a storage refusal. */
export function storeRefusal(error: unknown): StoreResult | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  const message = String((error as { message?: unknown } | null)?.message ?? error);
  if (name === 'QuotaExceededError') return { ok: false, code: 'full', message: 'storage quota exceeded' };
  // Chromium aborts a transaction with AbortError (or UnknownError) when the disk fills near the quota.
  if (name === 'AbortError' || name === 'UnknownError') return { ok: false, code: 'full', message };
  if (name === 'InvalidStateError') return { ok: false, code: 'closed', message: 'the database is closed' };
  return undefined;
}

const chunkKey = (si: string, share: number, index: number) => `${si}/${share}/${index}`;

/**
 * Shares in memory, for Node tests and for a node that stores nothing across reloads. `limitBytes` makes
 * it refuse like a full disk once its chunks would exceed that many bytes.
 */
export class MemoryShareStore implements ShareStore {
  private readonly shares = new Map<string, ShareRecord>();
  private readonly chunks = new Map<string, Uint8Array>();
  private readonly clients = new Map<string, ClientRecord>();
  private offer: number | undefined;
  private closed = false;
  commits = 0;

  constructor(private readonly limitBytes = Infinity) {}

  async load(): Promise<StoredState> {
    return {
      shares: [...this.shares.values()].map((s) => structuredClone(s)),
      clients: [...this.clients.values()].map((c) => ({ ...c })),
      offer: this.offer,
    };
  }

  /** Bytes held in chunks. */
  get bytes(): number {
    let total = 0;
    for (const chunk of this.chunks.values()) total += chunk.length;
    return total;
  }

  async commit(batch: Batch): Promise<StoreResult> {
    if (this.closed) return { ok: false, code: 'closed', message: 'the store is closed' };
    let after = this.bytes;
    for (const c of batch.chunks ?? [])
      after += c.bytes.length - (this.chunks.get(chunkKey(c.si, c.share, c.index))?.length ?? 0);
    if (after > this.limitBytes) return { ok: false, code: 'full', message: 'storage quota exceeded' };
    this.commits++;
    for (const d of batch.deleteShares ?? []) {
      this.shares.delete(`${d.si}/${d.share}`);
      for (const key of [...this.chunks.keys()])
        if (key.startsWith(`${d.si}/${d.share}/`)) this.chunks.delete(key);
    }
    for (const c of batch.chunks ?? []) this.chunks.set(chunkKey(c.si, c.share, c.index), c.bytes.slice());
    for (const s of batch.shares ?? []) this.shares.set(`${s.si}/${s.share}`, structuredClone(s));
    for (const id of batch.deleteClients ?? []) this.clients.delete(id);
    for (const c of batch.clients ?? []) this.clients.set(c.id, { ...c });
    if (batch.offer !== undefined) this.offer = batch.offer;
    return { ok: true };
  }

  async readChunks(
    si: string,
    share: number,
    first: number,
    last: number,
  ): Promise<(Uint8Array | undefined)[]> {
    const out: (Uint8Array | undefined)[] = [];
    for (let i = first; i <= last; i++) out.push(this.chunks.get(chunkKey(si, share, i))?.slice());
    return out;
  }

  close(): void {
    this.closed = true;
  }
}
