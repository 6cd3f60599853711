import { LitElement, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { type Activity, type ActivityKind, shortId } from '../controller.ts';
import { formatTime, isoTime } from '../format.ts';
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

/**
 * What happened, newest first: members joining and leaving, messages rejected (with the node's reason),
 * reconnects, members forgotten after a long absence, revocations and status changes. A `log` region, so screen readers hear new entries.
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
  };

  /** Oldest first, as the controller keeps them. */
  entries: readonly Activity[] = [];
  /** How to name a member by id (petname or nickname). */
  nameOf: (id: string) => string = shortId;

  override render() {
    if (this.entries.length === 0) return html`<p class="muted">Nothing has happened yet.</p>`;
    return html`<ol part="list" role="log" aria-label="Activity">
      ${repeat(
        [...this.entries].reverse(),
        (e) => e.seq,
        (e) =>
          html`<li class=${e.kind}>
            <time datetime=${isoTime(e.at)}>${formatTime(e.at)}</time>
            <span class="kind">${KINDS[e.kind] ?? e.kind}</span>
            <span
              >${e.id ? html`<span class="name">${this.nameOf(e.id)}</span>` : ''}${
                e.reason ? html`<span class="muted">${e.id ? ': ' : ''}${e.reason}</span>` : ''
              }</span
            >
          </li>`,
      )}
    </ol>`;
  }
}
