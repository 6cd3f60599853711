/**
 * The `files` service as its users see it: `gridNode.files` (names fixed by outside checks).
 *
 * - `upload(data, { name })` encrypts and erasure-codes `data` (Tahoe-LAFS CHK) onto the storage servers
 *   in reach (this node's own included when it offers storage) and resolves once every share is closed.
 * - `download(cap)` resolves to the plaintext, verified against the cap; `downloadStream(cap)` streams it.
 * - `list()` is a plain array (no promise) of what this node uploaded in the active grid, newest first.
 * - `reachability(cap)` says, for a listed file, how many of its shares are on servers in reach now;
 *   `locate(cap)` asks the servers (any cap).
 * - Events: 'progress' (a `CustomEvent<FileProgress>`) during transfers, 'change' when `list()` or
 *   reachability would answer differently.
 */

/** One uploaded file, as `list()` shows it. */
export interface FileEntry {
  cap: string;
  name: string;
  size: number;
  k: number;
  n: number;
  happy: number;
  /** Local clock at the end of the upload, ms. */
  uploadedAt: number;
  /** Server id → the share numbers it took. */
  shares: Record<string, number[]>;
}

/** What `upload` resolves to. */
export interface UploadOutcome {
  cap: string;
  size: number;
  k: number;
  n: number;
  happy: number;
  /** The ids of the servers holding shares, in share-number order of their first share. */
  servers: string[];
  /** Server id → share numbers. */
  shares: Record<string, number[]>;
}

export interface FileReach {
  k: number;
  n: number;
  /** Distinct shares on servers in reach. */
  reachable: number;
  servers: { id: string; shares: number[]; online: boolean }[];
}

export interface FileProgress {
  /** One id per transfer, unique in this page. */
  id: number;
  direction: 'upload' | 'download';
  name: string;
  done: number;
  total: number;
  phase: 'placing' | 'sending' | 'closing' | 'receiving' | 'done' | 'failed';
  /** Set when `phase` is 'failed'. */
  error?: string;
}

export interface UploadRequest {
  name?: string;
  /** Convergent key under this node's convergence secret (same file, same cap); random by default. */
  convergent?: boolean;
  /** A storage club's id (`gridNode.clubs`): shares go only to its roster's servers. */
  club?: string;
}

export interface DownloadRequest {
  /** Shown in progress events. */
  name?: string;
}

export interface FilesApi extends EventTarget {
  upload(data: Uint8Array | Blob, options?: UploadRequest): Promise<UploadOutcome>;
  download(cap: string, options?: DownloadRequest): Promise<Uint8Array>;
  downloadStream(cap: string, options?: DownloadRequest): Promise<ReadableStream<Uint8Array>>;
  list(): FileEntry[];
  reachability(cap: string): FileReach | undefined;
  locate(cap: string): Promise<FileReach>;
  /** Drops a file from `list()` (its shares stay until their leases end). */
  remove(cap: string): Promise<void>;
}
