/**
 * The Files panel's side of the shell, over `gridNode.files` (the `FilesApi` contract):
 *
 * - Transfers: one entry per upload or download, from the service's 'progress' events (validated and
 *   bounded: at most `maxTransfers`, finished ones dropped first).
 * - The list: `files.list()` with `reachability(cap)` for each file, read again on 'change'.
 * - Downloads check reachability first (`reachability` for a listed file, else `locate`): with fewer than
 *   k shares in reach it says so and does not try (a `URI:LIT:` cap needs no server). A downloaded file is
 *   saved under its name.
 * - A share link the page was opened with (`openLink`) waits until the node leads and is linked, then
 *   locates the file, retrying while too few shares are in reach, and downloads and saves it.
 * - Whatever fails is said in `notices` (bounded), since an upload can fail before any progress event.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { FileEntry, FileProgress, FileReach, FilesApi } from '../services/files-types.ts';
import type { GridController } from './controller.ts';
import { type FileLink, isLiteral } from './file-link.ts';
import { Follow } from './follow.ts';
import { type SaveFile, saveFile } from './save-file.ts';

export interface FileRow extends FileEntry {
  /** Undefined when the service cannot say. */
  reach: FileReach | undefined;
}

export interface Notice {
  seq: number;
  text: string;
}

/** A share link being followed: waiting for enough shares in reach, downloading, then saved (or failed). */
export interface LinkState extends FileLink {
  state: 'waiting' | 'downloading' | 'saved' | 'failed';
  /** The last answer to `locate`. */
  reach?: FileReach | undefined;
  message?: string | undefined;
}

export interface FilesControllerOptions {
  save?: SaveFile;
  maxTransfers?: number;
  maxNotices?: number;
  /** Delay between two `locate`s of a link while too few shares are in reach. */
  retryMs?: number;
}

const PHASES = new Set(['placing', 'sending', 'closing', 'receiving', 'done', 'failed']);
const FINISHED = new Set(['done', 'failed']);

/** The progress in an event, if it is one (the service is ours, but a bad event must not break the page). */
export function progressOf(event: Event): FileProgress | undefined {
  const p = (event as CustomEvent<Partial<FileProgress> | null>).detail;
  if (!p || typeof p !== 'object') return undefined;
  const { id, direction, name, done, total, phase, error } = p;
  if (typeof id !== 'number' || (direction !== 'upload' && direction !== 'download')) return undefined;
  if (typeof phase !== 'string' || !PHASES.has(phase)) return undefined;
  const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0);
  return {
    id,
    direction,
    name: typeof name === 'string' ? name.slice(0, 500) : '',
    done: count(done),
    total: count(total),
    phase,
    ...(typeof error === 'string' ? { error: error.slice(0, 500) } : {}),
  };
}

/** Why `reach` is not enough to download, or undefined if it is. */
export function shortOfShares(reach: FileReach): string | undefined {
  if (reach.reachable >= reach.k) return undefined;
  return `Only ${reach.reachable} of the ${reach.k} shares needed are in reach: the members holding the others are offline.`;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class FilesController implements ReactiveController {
  /** Newest last. */
  transfers: FileProgress[] = [];
  notices: Notice[] = [];
  link: LinkState | undefined;
  private seq = 0;
  private locating = false;
  private nextTryAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly follow: Follow<FilesApi>;
  private readonly save: SaveFile;
  private readonly maxTransfers: number;
  private readonly maxNotices: number;
  private readonly retryMs: number;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly grid: GridController,
    options: FilesControllerOptions = {},
  ) {
    this.save = options.save ?? saveFile;
    this.maxTransfers = options.maxTransfers ?? 20;
    this.maxNotices = options.maxNotices ?? 5;
    this.retryMs = options.retryMs ?? 3000;
    this.follow = new Follow(() => this.files, {
      progress: (event) => this.onProgress(event),
      change: () => host.requestUpdate(),
    });
    host.addController(this);
  }

  hostConnected(): void {
    this.follow.sync();
  }

  hostUpdate(): void {
    this.follow.sync();
    this.tryLink();
  }

  hostDisconnected(): void {
    this.follow.off();
    clearTimeout(this.retryTimer);
  }

  get files(): FilesApi | undefined {
    return this.grid.node?.files;
  }

  /** What this node uploaded, newest first, with where its shares are now. */
  get rows(): FileRow[] {
    const files = this.files;
    if (!files) return [];
    return files.list().map((entry) => ({ ...entry, reach: files.reachability(entry.cap) }));
  }

  /** Storage clubs announced in the grid, for the panel's choice. */
  get clubs(): { id: string; name: string; owner: string }[] {
    return this.grid.node?.clubs?.list() ?? [];
  }

  async upload(items: readonly File[], convergent = false, club?: string): Promise<void> {
    const files = this.files;
    if (!files) return this.notice('This node has no files service.');
    await Promise.all(
      items.map((file) =>
        files.upload(file, { name: file.name, convergent, ...(club ? { club } : {}) }).then(
          () => undefined,
          (error) => this.notice(`Upload of ${file.name} failed: ${messageOf(error)}`),
        ),
      ),
    );
  }

  /** Downloads and saves `cap`, unless fewer than k of its shares are in reach (then says so); true if saved. */
  async download(cap: string, name: string): Promise<boolean> {
    const files = this.files;
    if (!files) {
      this.notice('This node has no files service.');
      return false;
    }
    try {
      const reach = isLiteral(cap) ? undefined : (files.reachability(cap) ?? (await files.locate(cap)));
      const short = reach && shortOfShares(reach);
      if (short) {
        this.notice(`${name}: ${short}`);
        return false;
      }
      this.save(await files.download(cap, { name }), name);
      return true;
    } catch (error) {
      this.notice(`Download of ${name} failed: ${messageOf(error)}`);
      return false;
    }
  }

  async remove(cap: string): Promise<void> {
    try {
      await this.files?.remove(cap);
    } catch (error) {
      this.notice(`Could not forget the file: ${messageOf(error)}`);
    }
    this.host.requestUpdate();
  }

  /** Follows a share link: downloads it once the node is up and linked and enough shares are in reach. */
  openLink(link: FileLink): void {
    this.link = { ...link, state: 'waiting' };
    this.nextTryAt = 0;
    this.host.requestUpdate();
  }

  cancelLink(): void {
    this.link = undefined;
    clearTimeout(this.retryTimer);
    this.host.requestUpdate();
  }

  /** Drops the finished transfers from `transfers`. */
  clearFinished(): void {
    this.transfers = this.transfers.filter((t) => !FINISHED.has(t.phase));
    this.host.requestUpdate();
  }

  dismissNotice(seq: number): void {
    this.notices = this.notices.filter((n) => n.seq !== seq);
    this.host.requestUpdate();
  }

  private tryLink(): void {
    const link = this.link;
    const node = this.grid.node;
    const files = this.files;
    if (!link || link.state !== 'waiting' || this.locating || !node || !files) return;
    if (node.role !== 'leader' || !node.grid || node.status !== 'online') return;
    if (Date.now() < this.nextTryAt) return;
    this.locating = true;
    void this.followLink(files, link).finally(() => {
      this.locating = false;
      this.host.requestUpdate();
    });
  }

  private async followLink(files: FilesApi, link: LinkState): Promise<void> {
    const update = (fields: Partial<LinkState>) => {
      if (this.link === link) this.link = link = { ...link, ...fields };
    };
    try {
      const reach = await files.locate(link.cap);
      if (this.link !== link) return;
      const short = shortOfShares(reach);
      if (short) {
        update({ reach, message: short });
        this.nextTryAt = Date.now() + this.retryMs;
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.host.requestUpdate(), this.retryMs);
        return;
      }
      update({ reach, state: 'downloading', message: undefined });
      this.host.requestUpdate();
      const bytes = await files.download(link.cap, { name: link.name });
      if (this.link !== link) return;
      this.save(bytes, link.name);
      update({ state: 'saved' });
    } catch (error) {
      update({ state: 'failed', message: messageOf(error) });
    }
  }

  private onProgress(event: Event): void {
    const progress = progressOf(event);
    if (!progress) return;
    const others = this.transfers.filter((t) => t.id !== progress.id);
    const next = [...others, progress].sort((a, b) => a.id - b.id);
    // Over the bound: drop the oldest finished transfers first, then the oldest of all.
    while (next.length > this.maxTransfers) {
      const finished = next.findIndex((t) => FINISHED.has(t.phase));
      next.splice(finished === -1 ? 0 : finished, 1);
    }
    this.transfers = next;
    this.host.requestUpdate();
  }

  private notice(text: string): void {
    this.notices = [...this.notices, { seq: ++this.seq, text }].slice(-this.maxNotices);
    this.host.requestUpdate();
  }
}
