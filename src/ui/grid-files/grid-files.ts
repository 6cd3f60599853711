import { LitElement, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { FileProgress } from '../../services/files-types.ts';
import { fileLink, isLiteral } from '../file-link.ts';
import { type FileRow, type LinkState, type Notice, shortOfShares } from '../files-controller.ts';
import { formatDateTime, isoTime } from '../format.ts';
import { formatBytes } from '../grid-storage/storage-events.ts';
import { cleanName, cleanText } from '../display-name.ts';
import { sharedStyles } from '../shared.styles.ts';
import { emitFiles } from './files-events.ts';
import { styles } from './grid-files.styles.ts';
import { renderShareMap } from './share-map.ts';

const PHASE_TEXT: Record<FileProgress['phase'], string> = {
  placing: 'finding servers',
  sending: 'sending',
  closing: 'closing shares',
  receiving: 'receiving',
  done: 'done',
  failed: 'failed',
};

/**
 * The Files panel: pick or drop files to upload, a progress bar per upload and download, and the files
 * this node uploaded — name, size, date, a small picture of which members hold its shares (grey when out
 * of reach, with a warning when fewer than k are in reach), download, "copy link" and forget. A share link
 * the page was opened with shows as a card while it waits for shares and downloads. It only shows what it
 * is given and says what the user wants.
 *
 * The share link of a file shows in a read-only field (and is put on the clipboard where the browser
 * allows), also as the row's `data-link` attribute.
 *
 * @fires grid-files-upload - `detail: { files, convergent, club }` (`club`: a storage club's id, or
 *   undefined for every member in reach).
 * @fires grid-files-download - `detail: { cap, name }`.
 * @fires grid-files-link - `detail: { cap, link, copied }`.
 * @fires grid-files-remove - confirmed; `detail: { cap }`.
 * @fires grid-files-link-cancel - stop following the opened share link.
 * @fires grid-files-notice-dismiss - `detail: { seq }`.
 * @fires grid-files-clear - clear the finished transfers.
 *
 * @csspart drop - the drop zone; `transfers` - the progress list; `table` - the files table.
 */
export class GridFiles extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    available: { type: Boolean },
    follower: { type: Boolean },
    files: { attribute: false },
    transfers: { attribute: false },
    notices: { attribute: false },
    link: { attribute: false },
    linkBase: { attribute: false },
    nameOf: { attribute: false },
    clubs: { attribute: false },
    dragging: { state: true },
    shown: { state: true },
    copied: { state: true },
    confirming: { state: true },
  };

  /** Whether this node has a files service at all. */
  available = true;
  /** Another tab of this browser runs the node: transfers happen there. */
  follower = false;
  files: FileRow[] = [];
  transfers: FileProgress[] = [];
  notices: Notice[] = [];
  /** The share link the page was opened with, while it is followed. */
  link: LinkState | undefined;
  /** The page address links are made on: origin and path, no query or fragment. */
  linkBase = `${location.origin}${location.pathname}`;
  nameOf: (id: string) => string = (id) => id.slice(0, 8);
  /** Storage clubs an upload may be for (`gridNode.clubs.list()`). */
  clubs: { id: string; name: string; owner: string }[] = [];
  private dragging = false;
  /** The file whose share link is shown. */
  private shown: string | undefined;
  private copied: boolean | undefined;
  private confirming: string | undefined;

  override render() {
    if (!this.available) return html`<p class="muted">This node has no files service.</p>`;
    return html`
      ${
        this.follower
          ? html`<p class="follower muted">
              Another tab of this browser runs this node: upload and download files there.
            </p>`
          : ''
      }
      ${this.renderLink()}
      <div
        class="drop ${this.dragging ? 'dragging' : ''}"
        part="drop"
        @dragover=${this.onDragOver}
        @dragleave=${() => (this.dragging = false)}
        @drop=${this.onDrop}
      >
        <label class="choose"
          >Choose files…<input class="pick visually-hidden" type="file" multiple @change=${this.onPick}
        /></label>
        <span class="muted">or drop them here to upload them to the grid.</span>
        ${
          this.clubs.length === 0
            ? ''
            : html`<label class="club"
                >For
                <select name="club">
                  <option value="">every member in reach</option>
                  ${this.clubs.map(
                    (c) =>
                      html`<option value=${c.id}>
                        club “${cleanText(c.name, 40)}” of ${this.nameOf(c.owner)}
                      </option>`,
                  )}
                </select></label
              >`
        }
        <label class="convergent"
          ><input type="checkbox" name="convergent" /> Same file, same link (convergent)</label
        >
      </div>
      ${this.notices.map(
        (n) =>
          html`<p class="notice error" role="alert" data-seq=${n.seq}>
            ${n.text}
            <button
              type="button"
              class="dismiss"
              aria-label="Dismiss"
              @click=${() => emitFiles(this, 'grid-files-notice-dismiss', { seq: n.seq })}
            >
              ×
            </button>
          </p>`,
      )}
      ${
        this.transfers.length === 0
          ? ''
          : html`<ul class="transfers" part="transfers" aria-label="Transfers">
                ${repeat(
                  this.transfers,
                  (t) => t.id,
                  (t) => this.renderTransfer(t),
                )}
              </ul>
              ${
                this.transfers.some((t) => t.phase === 'done' || t.phase === 'failed')
                  ? html`<button
                      type="button"
                      class="clear-transfers"
                      @click=${() => emitFiles(this, 'grid-files-clear', {})}
                    >
                      Clear finished
                    </button>`
                  : ''
              }`
      }
      ${
        this.files.length === 0
          ? html`<p class="muted empty">No files uploaded from this node yet.</p>`
          : html`<div class="scroll">
              <table part="table" aria-label="Files">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Size</th>
                    <th scope="col">Uploaded</th>
                    <th scope="col">Shares</th>
                    <th scope="col"></th>
                  </tr>
                </thead>
                <tbody>
                  ${repeat(
                    this.files,
                    (f) => f.cap,
                    (f) => this.renderFile(f),
                  )}
                </tbody>
              </table>
            </div>`
      }
    `;
  }

  private renderLink() {
    const link = this.link;
    if (!link) return '';
    const reach = link.reach;
    const status =
      link.state === 'waiting'
        ? reach
          ? `Waiting for its shares: ${reach.reachable} of the ${reach.k} needed in reach…`
          : this.follower
            ? 'Waiting until this tab runs the node (close the other tab of this browser)…'
            : 'Waiting until this node is linked to its grid…'
        : link.state === 'downloading'
          ? 'Downloading…'
          : link.state === 'saved'
            ? 'Saved.'
            : `Failed: ${link.message ?? 'unknown error'}`;
    return html`<div class="link-card ${link.state}" role="status" data-state=${link.state}>
      <div>
        Shared file <strong class="name">${cleanName(link.name, 120) ?? 'unnamed'}</strong>:
        <span class="link-status">${status}</span>
      </div>
      ${
        link.state === 'saved' || link.state === 'failed'
          ? html`<button type="button" class="close-link" @click=${this.onCancelLink}>Close</button>`
          : html`<button type="button" class="cancel-link" @click=${this.onCancelLink}>Cancel</button>`
      }
    </div>`;
  }

  private renderTransfer(t: FileProgress) {
    const total = Math.max(t.total, t.done);
    const amount = total > 0 ? `${formatBytes(t.done)} of ${formatBytes(total)}` : '';
    return html`<li
      class="transfer ${t.phase}"
      data-id=${t.id}
      data-direction=${t.direction}
      data-phase=${t.phase}
    >
      <span class="direction" aria-label=${t.direction}>${t.direction === 'upload' ? '↑' : '↓'}</span>
      <span class="name" title=${t.name}>${t.name || 'unnamed'}</span>
      <progress max=${total > 0 ? total : 1} value=${t.phase === 'done' ? total || 1 : t.done}></progress>
      <span class="num amount">${amount}</span>
      <span class="phase ${t.phase === 'failed' ? 'error' : 'muted'}"
        >${t.phase === 'failed' && t.error ? `failed: ${t.error}` : PHASE_TEXT[t.phase]}</span
      >
    </li>`;
  }

  private renderFile(f: FileRow) {
    const link = fileLink(this.linkBase, f.cap, f.name);
    const literal = isLiteral(f.cap);
    const short = f.reach && !literal ? shortOfShares(f.reach) : undefined;
    const shown = this.shown === f.cap;
    return html`<tr data-cap=${f.cap} data-link=${link}>
      <th scope="row"><span class="name">${f.name || 'unnamed'}</span></th>
      <td class="num size">${formatBytes(f.size)}</td>
      <td class="num date"><time datetime=${isoTime(f.uploadedAt)}>${formatDateTime(f.uploadedAt)}</time></td>
      <td class="shares">
        ${
          literal
            ? html`<span class="muted literal">Small enough to live in its link: no server needed.</span>`
            : html`${renderShareMap(f.n, f.shares, f.reach, this.nameOf)}
                <div class="reach ${short ? 'error' : 'muted'}">
                  ${
                    f.reach
                      ? short
                        ? html`<span class="short">${short}</span>`
                        : `${f.reach.reachable} of ${f.n} shares in reach, ${f.k} needed`
                      : `${f.k} of ${f.n} shares needed`
                  }
                </div>`
        }
      </td>
      <td class="actions">
        <button type="button" class="download" @click=${() => this.onDownload(f)}>Download</button>
        <button type="button" class="copy-link" @click=${() => this.onCopy(f.cap, link)}>Copy link</button>
        <button type="button" class="remove danger" @click=${() => this.onRemove(f.cap)}>
          ${this.confirming === f.cap ? 'Really forget?' : 'Forget'}
        </button>
        ${
          shown
            ? html`<div class="shared">
                <input
                  class="link"
                  readonly
                  aria-label="Share link for ${f.name}"
                  .value=${link}
                  @focus=${(e: Event) => (e.target as HTMLInputElement).select()}
                />
                <span class="muted copied"
                  >${this.copied ? 'Copied.' : 'Copy it from the box above.'} Anyone in this grid with it can
                  read the file.</span
                >
              </div>`
            : ''
        }
      </td>
    </tr>`;
  }

  private onPick(event: Event): void {
    const input = event.target as HTMLInputElement;
    this.upload([...(input.files ?? [])]);
    input.value = '';
  }

  private onDragOver(event: DragEvent): void {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  }

  private onDrop(event: DragEvent): void {
    event.preventDefault();
    this.dragging = false;
    this.upload([...(event.dataTransfer?.files ?? [])]);
  }

  private upload(files: File[]): void {
    if (files.length === 0) return;
    const box = this.renderRoot.querySelector('input[name=convergent]') as HTMLInputElement | null;
    const club = (this.renderRoot.querySelector('select[name=club]') as HTMLSelectElement | null)?.value;
    emitFiles(this, 'grid-files-upload', {
      files,
      convergent: box?.checked ?? false,
      club: club || undefined,
    });
  }

  private onDownload(f: FileRow): void {
    emitFiles(this, 'grid-files-download', { cap: f.cap, name: f.name });
  }

  private async onCopy(cap: string, link: string): Promise<void> {
    this.shown = cap;
    this.copied = undefined;
    let copied = false;
    try {
      // A browser that asks for permission may never answer: after a second the field is the answer.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(reject, 1_000)));
      await Promise.race([navigator.clipboard.writeText(link), late]).finally(() => clearTimeout(timer));
      copied = true;
    } catch {
      // No permission, no focus or no answer: the link is in the field for the person to copy.
    }
    if (this.shown === cap) this.copied = copied;
    emitFiles(this, 'grid-files-link', { cap, link, copied });
  }

  private onRemove(cap: string): void {
    if (this.confirming !== cap) {
      this.confirming = cap;
      return;
    }
    this.confirming = undefined;
    emitFiles(this, 'grid-files-remove', { cap });
  }

  private onCancelLink(): void {
    emitFiles(this, 'grid-files-link-cancel', {});
  }
}
