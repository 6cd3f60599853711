import { LitElement, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Activity, ActivityKind } from '../controller.ts';
import { type DisplayName, cleanText, displayName } from '../display-name.ts';
import { formatTime, isoTime } from '../format.ts';
import { nameLabel } from '../name-label.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-activity.styles.ts';

const KINDS: Record<ActivityKind, string> = {
  join: 'Joined',
  leave: 'Left',
  rejected: 'Rejected',
  reconnect: 'Reconnected',
  revoked: 'Revoked',
  forgotten: 'Forgotten',
  status: 'Status',
};

const count = new Intl.NumberFormat();

/** A reason code (`bad-certificate-signature`) as words; a sentence as it is; both cleaned. */
function reasonText(reason: string): string {
  const text = cleanText(reason);
  return /^[a-z0-9]+(?:-[a-z0-9]+)+$/.test(text) ? text.replace(/-/g, ' ') : text;
}

/**
 * What happened, newest first: members joining and leaving, messages rejected (with the node's reason),
 * reconnects, members forgotten after a long absence, revocations and status changes. A `log` region, so
 * screen readers hear new entries. Every member is named with its short id; a line standing for many
 * refusals of one peer for one reason (../activity-log.ts) shows how many and since when, and refusals
 * pushed out of the log are counted under it.
 *
 * @csspart list - the list.
 *
 * @cssproperty --grid-activity-height - the list's height before it scrolls (default 16rem).
 */
export class GridActivity extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    entries: { attribute: false },
    nameOf: { attribute: false },
    droppedRefusals: { type: Number },
  };

  /** Oldest first, as the controller keeps them. */
  entries: readonly Activity[] = [];
  /** How to name a member by id: as shown everywhere (a bare string is taken as its name). */
  nameOf: (id: string) => DisplayName | string = (id) => displayName(id);
  /** Refusals no longer listed (pushed out by newer ones). */
  droppedRefusals = 0;

  override render() {
    if (this.entries.length === 0) return html`<p class="muted">Nothing has happened yet.</p>`;
    return html`<ol part="list" role="log" aria-label="Activity">
        ${repeat(
          [...this.entries].reverse(),
          (e) => e.seq,
          (e) => this.renderEntry(e),
        )}
      </ol>
      ${
        this.droppedRefusals > 0
          ? html`<p class="muted dropped">
              ${count.format(this.droppedRefusals)} earlier
              ${this.droppedRefusals === 1 ? 'refusal is' : 'refusals are'} no longer listed.
            </p>`
          : ''
      }`;
  }

  private renderEntry(e: Activity) {
    const times = e.count ?? 1;
    const reason = e.reason ? reasonText(e.reason) : '';
    return html`<li class=${e.kind}>
      <time datetime=${isoTime(e.at)}>${formatTime(e.at)}</time>
      <span class="kind">${KINDS[e.kind] ?? cleanText(e.kind, 20)}</span>
      <span class="what"
        >${e.id ? nameLabel(this.who(e.id)) : ''}${
          reason ? html`<span class="muted">${e.id ? ': ' : ''}${reason}</span>` : ''
        }${
          times > 1
            ? html` <span class="count">×${count.format(times)}</span>
                <span class="muted since"
                  >since
                  <time datetime=${isoTime(e.firstAt ?? e.at)}>${formatTime(e.firstAt ?? e.at)}</time></span
                >`
            : ''
        }</span
      >
    </li>`;
  }

  private who(id: string): DisplayName {
    const named = this.nameOf(id);
    return typeof named === 'string' ? displayName(id, named) : named;
  }
}
