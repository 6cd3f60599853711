/**
 * What the `files` service keeps: the files this node uploaded, per grid, and its convergence secret.
 * The IndexedDB implementation is src/store/files.ts; `MemoryFileList` serves Node tests.
 *
 * Stored records are not trusted more than peers: `checkEntry` rebuilds each one from its fields, and a
 * record that does not check out is dropped on load and counted (`dropped`), never thrown.
 */
import type { FileEntry } from './files-types.ts';

/** The most files one grid's list holds; the oldest go first. */
export const MAX_FILES = 10_000;
const MAX_NAME = 255;
const MAX_CAP = 1024;

export interface FileList {
  /** The list for a grid, newest first, with the number of records dropped as malformed. */
  load(gridHex: string): Promise<{ entries: FileEntry[]; dropped: number }>;
  put(gridHex: string, entry: FileEntry): Promise<void>;
  delete(gridHex: string, cap: string): Promise<void>;
  /** This node's convergence secret (32 bytes), made once and kept. */
  convergence(): Promise<Uint8Array>;
  /** The storage clubs this node's server honours (club-service.ts). */
  joinedClubs(): Promise<string[]>;
  setJoinedClubs(ids: readonly string[]): Promise<void>;
}

const count = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** A file name as kept and shown: no control or bidi characters, at most 255 characters. */
export function cleanName(name: unknown): string {
  const text = typeof name === 'string' ? name.normalize('NFC') : '';
  // C0/C1 controls and the bidi embeddings, overrides and isolates.
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .slice(0, MAX_NAME);
}

/** A well-formed entry rebuilt from an untrusted record, or undefined. */
export function checkEntry(record: unknown): FileEntry | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const r = record as Record<string, unknown>;
  if (typeof r.cap !== 'string' || r.cap.length > MAX_CAP || !/^URI:(CHK|LIT):/.test(r.cap)) return undefined;
  if (![r.size, r.k, r.n, r.happy, r.uploadedAt].every(count)) return undefined;
  if (typeof r.shares !== 'object' || r.shares === null) return undefined;
  const shares: Record<string, number[]> = {};
  for (const [id, list] of Object.entries(r.shares as Record<string, unknown>).slice(0, 256)) {
    if (!Array.isArray(list) || !list.every((s) => Number.isInteger(s) && s >= 0 && s < 256))
      return undefined;
    shares[id] = [...list];
  }
  const { cap, size, k, n, happy, uploadedAt } = r as unknown as FileEntry;
  return { cap, name: cleanName(r.name), size, k, n, happy, uploadedAt, shares };
}

export class MemoryFileList implements FileList {
  private readonly grids = new Map<string, Map<string, unknown>>();
  private secret: Uint8Array | undefined;

  async load(gridHex: string) {
    const records = [...(this.grids.get(gridHex)?.values() ?? [])];
    const entries = records.map(checkEntry).filter((e): e is FileEntry => e !== undefined);
    entries.sort((a, b) => b.uploadedAt - a.uploadedAt);
    return { entries, dropped: records.length - entries.length };
  }

  async put(gridHex: string, entry: FileEntry) {
    let grid = this.grids.get(gridHex);
    if (!grid) this.grids.set(gridHex, (grid = new Map()));
    grid.set(entry.cap, structuredClone(entry));
  }

  async delete(gridHex: string, cap: string) {
    this.grids.get(gridHex)?.delete(cap);
  }

  /** A raw record, as a damaged database might hold one (tests). */
  putRaw(gridHex: string, key: string, record: unknown) {
    let grid = this.grids.get(gridHex);
    if (!grid) this.grids.set(gridHex, (grid = new Map()));
    grid.set(key, record);
  }

  async convergence() {
    return (this.secret ??= crypto.getRandomValues(new Uint8Array(32)));
  }

  private clubs: string[] = [];

  async joinedClubs() {
    return [...this.clubs];
  }

  async setJoinedClubs(ids: readonly string[]) {
    this.clubs = [...ids];
  }
}
