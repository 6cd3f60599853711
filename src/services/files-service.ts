/**
 * The `files` service: `gridNode.files` (the API in files-types.ts). Tahoe-LAFS immutable files over the
 * grid's storage servers — the format and the transfers are src/files/; this file chooses the servers,
 * keeps the list of what this node uploaded, and reports progress.
 *
 * Rules:
 * - The servers of a file are the members that announce `storage`, in `getPermutedPeers('storage', SI)`
 *   order, that this node can reach now: itself (its own server, through the same checks and accounting
 *   as a peer's request) and every linked member with an open storage channel. Members out of reach are
 *   skipped, never waited for.
 * - k, happy and N come from the number of servers in reach (src/files/params.ts), so a small grid still
 *   spreads a file over all of its members.
 * - An upload for a storage club (`club`) uses only the servers on the club's roster.
 * - Keys are random unless `convergent` is asked for; the convergence secret is this node's own (kept in
 *   its database), so only this node's identical uploads share a cap.
 * - `list()` holds what this node uploaded in the active grid, newest first, at most `MAX_FILES`; an entry
 *   is written durably before `upload` resolves.
 * - Every transfer reports 'progress' events with an id of its own; a failure ends with phase 'failed' and
 *   the error's message, and rejects with a `FilesError` a person can read.
 */
import type { NodeId } from '../core/identity.ts';
import { parseCap } from '../files/cap.ts';
import { defaultFileCrypto, type FileCrypto } from '../files/crypto.ts';
import { FileReadError } from '../files/decode.ts';
import { download, downloadStream } from '../files/download.ts';
import { storageIndexOf } from '../files/hashes.ts';
import { upload } from '../files/upload.ts';
import { type FileList, MAX_FILES, cleanName } from './file-list.ts';
import type {
  DownloadRequest,
  FileEntry,
  FileProgress,
  FileReach,
  FilesApi,
  UploadOutcome,
  UploadRequest,
} from './files-types.ts';
import type { StorageService } from './storage-service.ts';
import type { Service, ServiceHost, StorageRemote } from './types.ts';

export class FilesError extends Error {
  override name = 'FilesError';
}

export interface FilesServiceOptions {
  storage: StorageService;
  list: FileList;
  /** Members announcing `storage` (this node's id included when it offers storage). */
  offering: () => readonly NodeId[];
  /** The same, in `getPermutedPeers('storage', storageIndex)` order. */
  permuted: (storageIndex: Uint8Array) => readonly NodeId[];
  /** The active grid's id as hex; undefined while the node is in none. */
  grid: () => string | undefined;
  /** A storage club's roster (club-service.ts); throws a readable error for an unknown club. */
  roster?: (clubId: string) => readonly NodeId[];
  crypto?: FileCrypto;
}

declare module './types.ts' {
  interface ServiceMap {
    files: FilesService;
  }
}

/** Readable words for the reasons the file layer gives. */
function explain(error: unknown): string {
  if (error instanceof FileReadError) {
    const reason = error.message;
    if (/not-enough-shares|no-shares/.test(reason)) {
      return `not enough shares of this file are in reach (${reason}); ask the members holding it to come online`;
    }
    if (/bad-cap/.test(reason)) return `this is not a file link or cap (${reason})`;
    return `the file could not be read: ${reason}`;
  }
  return (error as Error)?.message ?? String(error);
}

export class FilesService extends EventTarget implements Service, FilesApi {
  readonly name = 'files';
  private entries: FileEntry[] = [];
  private loadedFor: string | undefined;
  private nextId = 1;
  private readonly crypto: FileCrypto;

  static async create(host: ServiceHost, options: FilesServiceOptions): Promise<FilesService> {
    const service = new FilesService(host, options);
    await service.reload();
    return service;
  }

  private constructor(
    private readonly host: ServiceHost,
    private readonly options: FilesServiceOptions,
  ) {
    super();
    this.crypto = options.crypto ?? defaultFileCrypto();
  }

  // Service: reachability follows links.

  linkUp(): void {
    this.changed();
  }

  linkDown(): void {
    this.changed();
  }

  /** The active grid changed (or the node joined one): its list is loaded. */
  async reload(): Promise<void> {
    const grid = this.options.grid();
    this.loadedFor = grid;
    if (grid === undefined) {
      this.entries = [];
    } else {
      const { entries, dropped } = await this.options.list.load(grid);
      if (this.loadedFor !== grid) return;
      if (dropped > 0) this.host.count('files.dropped-records', dropped);
      this.entries = entries;
    }
    this.changed();
  }

  // API

  list(): FileEntry[] {
    this.checkGrid();
    return this.entries.map((e) => structuredClone(e));
  }

  async upload(data: Uint8Array | Blob, options: UploadRequest = {}): Promise<UploadOutcome> {
    if (!(data instanceof Uint8Array) && !(typeof Blob !== 'undefined' && data instanceof Blob)) {
      throw new FilesError('upload takes a Uint8Array or a Blob');
    }
    const grid = this.options.grid();
    if (grid === undefined) throw new FilesError('join a grid before uploading');
    const name = cleanName(
      options.name ?? (typeof File !== 'undefined' && data instanceof File ? data.name : ''),
    );
    return this.transfer('upload', name, async (progress) => {
      const roster = options.club === undefined ? undefined : this.rosterOf(options.club);
      const servers = this.reachable().filter((s) => roster === undefined || roster.has(s.id));
      const convergence = options.convergent ? await this.options.list.convergence() : undefined;
      const result = await upload(data, {
        servers,
        order: (si, given) => this.order(si, given),
        crypto: this.crypto,
        ...(convergence ? { convergence } : {}),
        onProgress: (p) => progress(p.phase === 'done' ? 'closing' : p.phase, p.bytesSent, p.size),
      });
      const shares = Object.fromEntries(result.servers);
      const entry: FileEntry = {
        cap: result.cap,
        name,
        size: result.size,
        k: result.k,
        n: result.n,
        happy: result.happy,
        uploadedAt: this.host.now(),
        shares,
      };
      await this.options.list.put(grid, entry);
      if (this.loadedFor === grid) this.remember(entry, grid);
      progress('done', result.size, result.size);
      const firstShare = (id: string) => Math.min(...shares[id]!);
      return {
        cap: result.cap,
        size: result.size,
        k: result.k,
        n: result.n,
        happy: result.happy,
        servers: Object.keys(shares).sort((a, b) => firstShare(a) - firstShare(b)),
        shares,
      };
    });
  }

  download(cap: string, options: DownloadRequest = {}): Promise<Uint8Array> {
    return this.transfer('download', cleanName(options.name), async (progress) => {
      const bytes = await download(cap, {
        servers: await this.serversFor(cap),
        crypto: this.crypto,
        onProgress: (done, size) => progress('receiving', done, size),
      });
      progress('done', bytes.length, bytes.length);
      return bytes;
    });
  }

  downloadStream(cap: string, options: DownloadRequest = {}): Promise<ReadableStream<Uint8Array>> {
    return this.transfer('download', cleanName(options.name), async (progress) => {
      const stream = await downloadStream(cap, {
        servers: await this.serversFor(cap),
        crypto: this.crypto,
        onProgress: (done, size) => progress(done === size ? 'done' : 'receiving', done, size),
      });
      // A failure while streaming errors the stream; the progress line ends 'failed' too.
      const reader = stream.getReader();
      return new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          try {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          } catch (error) {
            progress('failed', 0, 0, explain(error));
            controller.error(new FilesError(`download failed: ${explain(error)}`));
          }
        },
        cancel: (reason) => reader.cancel(reason),
      });
    });
  }

  reachability(cap: string): FileReach | undefined {
    const entry = this.entries.find((e) => e.cap === cap);
    if (!entry) return undefined;
    // A literal file is its cap: always in reach.
    if (entry.cap.startsWith('URI:LIT:')) return { k: 1, n: 1, reachable: 1, servers: [] };
    const online = new Set<string>(this.reachable().map((s) => s.id));
    const servers = Object.entries(entry.shares).map(([id, shares]) => ({
      id,
      shares,
      online: online.has(id),
    }));
    const reachable = new Set(servers.filter((s) => s.online).flatMap((s) => s.shares)).size;
    return { k: entry.k, n: entry.n, reachable, servers };
  }

  async locate(cap: string): Promise<FileReach> {
    const parsed = parseCap(cap);
    if (!parsed.ok) throw new FilesError(`this is not a file link or cap (${parsed.reason})`);
    const c = parsed.value;
    if (c.kind === 'lit') return { k: 1, n: 1, reachable: 1, servers: [] };
    const si = c.kind === 'chk' ? await storageIndexOf(this.crypto, c.key) : c.storageIndex;
    const servers = this.order(si, this.reachable());
    const answers = await Promise.all(servers.map((s) => s.list(si).catch(() => [] as number[])));
    const held = servers
      .map((s, i) => ({ id: s.id, shares: answers[i]!.filter((x) => x < c.n), online: true }))
      .filter((s) => s.shares.length > 0);
    const reachable = new Set(held.flatMap((s) => s.shares)).size;
    return { k: c.k, n: c.n, reachable, servers: held };
  }

  async remove(cap: string): Promise<void> {
    const grid = this.options.grid();
    if (grid === undefined) return;
    await this.options.list.delete(grid, cap);
    this.entries = this.entries.filter((e) => e.cap !== cap);
    this.changed();
  }

  // Servers

  private rosterOf(club: string): Set<string> {
    if (!this.options.roster) throw new FilesError('this node knows no storage clubs');
    return new Set(this.options.roster(club));
  }

  /** This node's server and every linked member's, as `StorageRemote`s (unordered). */
  private reachable(): StorageRemote[] {
    const { storage } = this.options;
    const out: StorageRemote[] = [];
    for (const id of this.options.offering()) {
      const remote = id === this.host.self ? storage.local() : storage.remote(id);
      if (remote) out.push(remote);
    }
    return out;
  }

  private order(si: Uint8Array, given: readonly StorageRemote[]): StorageRemote[] {
    const byId = new Map(given.map((s) => [s.id as string, s]));
    return this.options
      .permuted(si)
      .map((id) => byId.get(id))
      .filter((s): s is StorageRemote => s !== undefined);
  }

  private async serversFor(cap: string): Promise<StorageRemote[]> {
    const parsed = parseCap(cap);
    if (!parsed.ok) throw new FileReadError(parsed.reason);
    if (parsed.value.kind !== 'chk') return [];
    const si = await storageIndexOf(this.crypto, parsed.value.key);
    return this.order(si, this.reachable());
  }

  // Bookkeeping

  private remember(entry: FileEntry, grid: string): void {
    this.entries = [entry, ...this.entries.filter((e) => e.cap !== entry.cap)];
    for (const old of this.entries.splice(MAX_FILES)) void this.options.list.delete(grid, old.cap);
    this.changed();
  }

  private checkGrid(): void {
    if (this.options.grid() !== this.loadedFor) void this.reload();
  }

  /** Runs one transfer with its progress reporter; a failure is reported, then thrown as a FilesError. */
  private async transfer<T>(
    direction: FileProgress['direction'],
    name: string,
    run: (progress: ReturnType<FilesService['progress']>) => Promise<T>,
  ): Promise<T> {
    const progress = this.progress(direction, name);
    try {
      return await run(progress);
    } catch (error) {
      const message = explain(error);
      progress('failed', 0, 0, message);
      throw new FilesError(`${direction} failed: ${message}`);
    }
  }

  private progress(direction: FileProgress['direction'], name: string) {
    const id = this.nextId++;
    return (phase: FileProgress['phase'], done: number, total: number, error?: string): void => {
      const detail: FileProgress = { id, direction, name, done, total, phase, ...(error ? { error } : {}) };
      this.dispatchEvent(new CustomEvent('progress', { detail }));
    };
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}
