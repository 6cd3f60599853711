/**
 * Stand-ins for `gridNode.storage` and `gridNode.files` in UI unit tests only: the shapes the panels use,
 * state the test sets directly, events fired like the real services', and every call recorded. The real
 * services are tested for real elsewhere (and the panels over them in test/node/e2e/files-ui.test.ts).
 */
import type {
  DownloadRequest,
  FileEntry,
  FileProgress,
  FileReach,
  FilesApi,
  UploadOutcome,
  UploadRequest,
} from '../../../src/services/files-types.ts';
import type { StorageClientLike, StorageLike } from '../../../src/ui/controller.ts';
import { FakeNode } from './fake-node.ts';

export class FakeStorage extends EventTarget implements StorageLike {
  persisted: boolean | undefined = true;
  offerLimit: number | undefined = 8 * 1024 ** 3;
  list: StorageClientLike[] = [];
  space = { offered: 1024 ** 3, used: 0, free: 1024 ** 3 };
  calls: unknown[][] = [];
  failWith: string | undefined;

  clients(): StorageClientLike[] {
    return this.list.map((c) => ({ ...c }));
  }
  usage() {
    return { ...this.space };
  }
  changed(): void {
    this.dispatchEvent(new Event('change'));
  }
  private async record(...call: unknown[]): Promise<void> {
    this.calls.push(call);
    if (this.failWith) throw new Error(this.failWith);
  }
  async setOffer(bytes: number): Promise<void> {
    await this.record('setOffer', bytes);
    this.space = { ...this.space, offered: bytes, free: Math.max(0, bytes - this.space.used) };
    this.changed();
  }
  async setQuota(id: string, bytes: number | undefined): Promise<void> {
    await this.record('setQuota', id, bytes);
    this.list = this.list.map((c) => (c.id === id ? { ...c, quota: bytes } : c));
    this.changed();
  }
  async deleteClient(id: string): Promise<void> {
    await this.record('deleteClient', id);
    this.list = this.list.filter((c) => c.id !== id);
    this.changed();
  }
}

/** A file the fake holds: its entry, its bytes, and where its shares are reachable. */
interface Held {
  entry: FileEntry;
  bytes: Uint8Array;
  reach: FileReach;
}

export class FakeFiles extends EventTarget implements FilesApi {
  held = new Map<string, Held>();
  /** Caps `list()` shows (uploaded here), newest first. */
  listed: string[] = [];
  calls: unknown[][] = [];
  /** Makes the next uploads and downloads reject with this message. */
  failWith: string | undefined;
  /** What `locate` answers for caps not held; a cap held answers its own reach. */
  unknownReach: FileReach = { k: 1, n: 1, reachable: 0, servers: [] };
  servers: string[] = ['v0-serverAAAAAAAAAAAA', 'v0-serverBBBBBBBBBBBB'];
  private ids = 0;
  private caps = 0;

  progress(p: FileProgress): void {
    this.dispatchEvent(new CustomEvent('progress', { detail: p }));
  }
  changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Holds a file as if some member had uploaded it (not listed here). */
  hold(bytes: Uint8Array, name: string, reach?: Partial<FileReach>): string {
    const cap = `URI:CHK:fake${++this.caps}:key:1:2:${bytes.length}`;
    const shares = Object.fromEntries(this.servers.map((id, i) => [id, [i]]));
    const entry = { cap, name, size: bytes.length, k: 1, n: 2, happy: 2, uploadedAt: Date.now(), shares };
    const servers = this.servers.map((id, i) => ({ id, shares: [i], online: true }));
    this.held.set(cap, { entry, bytes, reach: { k: 1, n: 2, reachable: 2, servers, ...reach } });
    return cap;
  }

  async upload(data: Uint8Array | Blob, options: UploadRequest = {}): Promise<UploadOutcome> {
    this.calls.push(['upload', options]);
    const bytes = data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data;
    const id = ++this.ids;
    const name = options.name ?? '';
    this.progress({ id, direction: 'upload', name, done: 0, total: bytes.length, phase: 'placing' });
    await new Promise((r) => setTimeout(r, 0));
    if (this.failWith) {
      this.progress({
        id,
        direction: 'upload',
        name,
        done: 0,
        total: bytes.length,
        phase: 'failed',
        error: this.failWith,
      });
      throw new Error(this.failWith);
    }
    this.progress({
      id,
      direction: 'upload',
      name,
      done: bytes.length >> 1,
      total: bytes.length,
      phase: 'sending',
    });
    this.progress({ id, direction: 'upload', name, done: bytes.length, total: bytes.length, phase: 'done' });
    const cap = this.hold(bytes, name);
    this.listed = [cap, ...this.listed];
    this.changed();
    const { entry } = this.held.get(cap)!;
    return { cap, size: entry.size, k: 1, n: 2, happy: 2, servers: this.servers, shares: entry.shares };
  }

  async download(cap: string, options: DownloadRequest = {}): Promise<Uint8Array> {
    this.calls.push(['download', cap, options]);
    const id = ++this.ids;
    const name = options.name ?? '';
    const held = this.held.get(cap);
    if (this.failWith || !held) {
      const error = this.failWith ?? 'no such file';
      this.progress({ id, direction: 'download', name, done: 0, total: 0, phase: 'failed', error });
      throw new Error(error);
    }
    const total = held.bytes.length;
    this.progress({ id, direction: 'download', name, done: 0, total, phase: 'receiving' });
    this.progress({ id, direction: 'download', name, done: total, total, phase: 'done' });
    return held.bytes.slice();
  }

  async downloadStream(cap: string, options?: DownloadRequest): Promise<ReadableStream<Uint8Array>> {
    const bytes = await this.download(cap, options);
    return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  }

  list(): FileEntry[] {
    return this.listed.flatMap((cap) => {
      const held = this.held.get(cap);
      return held ? [structuredClone(held.entry)] : [];
    });
  }

  reachability(cap: string): FileReach | undefined {
    return this.listed.includes(cap) ? structuredClone(this.held.get(cap)?.reach) : undefined;
  }

  async locate(cap: string): Promise<FileReach> {
    this.calls.push(['locate', cap]);
    if (!cap.startsWith('URI:')) throw new Error('not a cap');
    return structuredClone(this.held.get(cap)?.reach ?? this.unknownReach);
  }

  async remove(cap: string): Promise<void> {
    this.calls.push(['remove', cap]);
    this.listed = this.listed.filter((c) => c !== cap);
    this.changed();
  }

  /** Sets where a held file's shares are reachable now, and says so. */
  setReach(cap: string, reach: Partial<FileReach>): void {
    const held = this.held.get(cap)!;
    held.reach = { ...held.reach, ...reach };
    this.changed();
  }
}

/** A fake node with both services. */
export class FakeServiceNode extends FakeNode {
  storage = new FakeStorage();
  files = new FakeFiles();
}
