import { LitElement, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { ref } from 'lit/directives/ref.js';
import { cssProperty } from '../css-property.ts';
import type { Policy } from '../controller.ts';
import { cleanName, shortId } from '../display-name.ts';
import { emit } from '../events.ts';
import { formatRelative } from '../format.ts';
import { nameLabel } from '../name-label.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-storage.styles.ts';
import { MIB, emitStorage, formatBytes } from './storage-events.ts';

/** One client of this node's storage, as the panel shows it (`gridNode.storage.clients()` + names). */
export interface StorageClientRow {
  id: string;
  /** The client's name as the dashboard shows it (petname, else nickname), if this node knows one. */
  nickname?: string | undefined;
  /** Another member's name looks like this one's. */
  lookalike?: boolean | undefined;
  bytes: number;
  shares: number;
  lastUsedAt: number | undefined;
  quota: number | undefined;
  /** The owner's allow/deny for this member; undefined for the grid's default. */
  policy?: Policy | undefined;
  /** This node itself (its own uploads are stored here too). */
  self?: boolean | undefined;
}

export interface StorageUsageView {
  offered: number;
  used: number;
  free: number;
}

/**
 * The Storage panel: the space this node offers its grid and how much of it is used (with a bar), whether
 * the browser granted persistent storage, and who stores what here — per client its nickname and short
 * id, bytes, shares, last use, quota (editable, in MiB; empty for none), allow/deny, and deleting what it
 * stored (asks for a second press). It only shows what it is given and says what the user wants.
 *
 * @fires grid-storage-offer - `detail: { bytes }`.
 * @fires grid-storage-quota - `detail: { id, bytes }`, `bytes` undefined to remove the quota.
 * @fires grid-storage-delete - confirmed; `detail: { id }`.
 * @fires grid-policy - `detail: { id, policy }`: 'allow', 'deny' or undefined (the default).
 *
 * @csspart space - the space section; `table` - the clients table.
 *
 * @cssproperty --grid-storage-used - the bar's used part.
 */
export class GridStorage extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    usage: { attribute: false },
    persisted: { attribute: false },
    clients: { attribute: false },
    offerLimit: { attribute: false },
    error: { attribute: false },
    busy: { type: Boolean },
    now: { type: Number },
    confirming: { state: true },
  };

  usage: StorageUsageView | undefined;
  /** `navigator.storage.persist()`'s answer; undefined if not asked. */
  persisted: boolean | undefined;
  clients: StorageClientRow[] = [];
  /** The most this browser lets the site offer, if known. */
  offerLimit: number | undefined;
  /** Why the last storage action failed. */
  error: string | undefined;
  /** A storage action is running. */
  busy = false;
  /** The time "last use" is relative to; the render time when unset. */
  now: number | undefined;
  /** The client whose delete waits for its confirming second press. */
  confirming: string | undefined;

  override render() {
    const now = this.now ?? Date.now();
    const usage = this.usage;
    const ratio = usage && usage.offered > 0 ? Math.min(1, usage.used / usage.offered) : 0;
    // Some use shows as a sliver, however small against the offer.
    const share = usage && usage.used > 0 ? Math.max(ratio, 0.005) : ratio;
    return html`
      <section class="space" part="space" aria-label="Space">
        ${
          usage === undefined
            ? html`<p class="muted">This node stores nothing for others.</p>`
            : html`
                <div class="summary">
                  <strong class="used">${formatBytes(usage.used)}</strong> used of
                  <strong class="offered">${formatBytes(usage.offered)}</strong> offered (<span class="free"
                    >${formatBytes(usage.free)}</span
                  >
                  free)
                </div>
                <div
                  class="bar"
                  role="meter"
                  aria-label="Storage used"
                  aria-valuemin="0"
                  aria-valuemax=${usage.offered}
                  aria-valuenow=${usage.used}
                >
                  <div ${ref(cssProperty('width', `${(share * 100).toFixed(1)}%`))}></div>
                </div>
                <form class="offer" @submit=${this.onOffer}>
                  <label
                    >Offer
                    <input
                      name="offer"
                      type="number"
                      min="0"
                      step="1"
                      .value=${String(Math.round(usage.offered / MIB))}
                    />
                    MiB</label
                  >
                  <button type="submit" ?disabled=${this.busy}>Set offer</button>
                  ${
                    this.offerLimit === undefined
                      ? ''
                      : html`<span class="muted limit"
                          >This browser allows at most ${formatBytes(this.offerLimit)}.</span
                        >`
                  }
                </form>
              `
        }
        <p class="persisted">
          ${
            this.persisted === true
              ? 'Persistent storage granted: the browser will not evict these shares.'
              : this.persisted === false
                ? html`<span class="denied">Persistent storage not granted</span>: the browser may evict
                    shares under pressure.`
                : html`<span class="muted">Persistent storage not requested.</span>`
          }
        </p>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      </section>
      <div class="scroll">
        <table part="table" aria-label="Storage clients">
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Stored</th>
              <th scope="col">Shares</th>
              <th scope="col">Last use</th>
              <th scope="col">Quota (MiB)</th>
              <th scope="col">Access</th>
              <th scope="col"></th>
            </tr>
          </thead>
          <tbody>
            ${repeat(
              this.clients,
              (c) => c.id,
              (c) => this.renderRow(c, now),
            )}
          </tbody>
        </table>
      </div>
      ${this.clients.length === 0 ? html`<p class="muted">Nobody stores anything here yet.</p>` : ''}
    `;
  }

  private renderRow(c: StorageClientRow, now: number) {
    const who = { id: c.id, short: shortId(c.id), name: cleanName(c.nickname), lookalike: c.lookalike };
    const name = who.name ? `${who.name} (${who.short})` : who.short;
    return html`<tr data-id=${c.id}>
      <th scope="row">
        ${nameLabel(who)} ${c.self ? html`<span class="muted self">(this node)</span>` : ''}
      </th>
      <td class="num bytes">${formatBytes(c.bytes)}</td>
      <td class="num shares">${c.shares}</td>
      <td class="num last">${c.lastUsedAt === undefined ? '—' : formatRelative(c.lastUsedAt, now)}</td>
      <td>
        <input
          class="quota"
          type="number"
          min="0"
          step="1"
          placeholder="none"
          aria-label="Quota for ${name} in MiB"
          .value=${c.quota === undefined ? '' : String(Math.round(c.quota / MIB))}
          @change=${(e: Event) => this.onQuota(e, c.id)}
        />
      </td>
      <td>
        <select
          class="policy"
          aria-label="Access for ${name}"
          .value=${c.policy ?? ''}
          @change=${(e: Event) => this.onPolicy(e, c.id)}
        >
          <option value="" ?selected=${c.policy === undefined}>default</option>
          <option value="allow" ?selected=${c.policy === 'allow'}>allow</option>
          <option value="deny" ?selected=${c.policy === 'deny'}>deny</option>
        </select>
      </td>
      <td>
        <button class="delete danger" type="button" @click=${() => this.onDelete(c.id)}>
          ${this.confirming === c.id ? `Really delete ${formatBytes(c.bytes)}?` : 'Delete'}
        </button>
      </td>
    </tr>`;
  }

  private onOffer(event: Event): void {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).elements.namedItem('offer') as HTMLInputElement;
    const mib = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(mib) || mib < 0) return;
    emitStorage(this, 'grid-storage-offer', { bytes: Math.round(mib * MIB) });
  }

  private onQuota(event: Event, id: string): void {
    const text = (event.target as HTMLInputElement).value.trim();
    const mib = Number(text);
    if (text !== '' && (!Number.isFinite(mib) || mib < 0)) return;
    emitStorage(this, 'grid-storage-quota', { id, bytes: text === '' ? undefined : Math.round(mib * MIB) });
  }

  private onPolicy(event: Event, id: string): void {
    const value = (event.target as HTMLSelectElement).value;
    emit(this, 'grid-policy', { id, policy: value === 'allow' || value === 'deny' ? value : undefined });
  }

  private onDelete(id: string): void {
    if (this.confirming !== id) {
      this.confirming = id;
      return;
    }
    this.confirming = undefined;
    emitStorage(this, 'grid-storage-delete', { id });
  }
}
