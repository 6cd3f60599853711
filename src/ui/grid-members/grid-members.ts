import { LitElement, type PropertyValues, html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Member } from '../controller.ts';
import { emit } from '../events.ts';
import { formatDuration, formatRelative } from '../format.ts';
import { cleanName, displayName } from '../display-name.ts';
import { LOOKALIKE_TITLE, nameLabel } from '../name-label.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-members.styles.ts';

/**
 * The members of the grid as a table: the user's petname for each (editable, kept only in this browser)
 * over the member's own nickname, services, whether it is linked now or when it was last seen, round-trip
 * time, uptime, failed connection attempts in a row, and who invited it.
 *
 * @fires grid-petname - a petname was edited (committed with Enter or by leaving the field);
 *   `detail: { id, petname }`, an empty petname to remove it.
 *
 * @csspart table - the table.
 *
 * @cssproperty --grid-online - the "connected" status.
 */
export class GridMembers extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    members: { attribute: false },
    selected: {},
    now: { type: Number },
  };

  members: Member[] = [];
  /** Id of the member to highlight (and scroll to). */
  selected: string | undefined;
  /** The time "last seen" is relative to; the render time when unset. */
  now: number | undefined;

  override render() {
    const now = this.now ?? Date.now();
    return html`
      <div class="scroll">
        <table part="table" aria-label="Members">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Services</th>
              <th scope="col">Status</th>
              <th scope="col">RTT</th>
              <th scope="col">Uptime</th>
              <th scope="col">Failures</th>
              <th scope="col">Invited by</th>
            </tr>
          </thead>
          <tbody>
            ${repeat(
              this.members,
              (m) => m.id,
              (m) => this.renderRow(m, now),
            )}
          </tbody>
        </table>
      </div>
      ${this.members.length === 0 ? html`<p class="muted">No members known yet.</p>` : ''}
    `;
  }

  private renderRow(m: Member, now: number) {
    const nickname = cleanName(m.nickname);
    const label = nickname ? `${nickname} (${m.short})` : m.short;
    return html`<tr data-id=${m.id} aria-current=${m.id === this.selected ? 'true' : 'false'}>
      <th scope="row">
        <input
          class="petname"
          type="text"
          maxlength="64"
          placeholder=${label}
          aria-label="Petname for ${label}"
          .value=${m.petname ?? ''}
          @change=${(e: Event) => this.onPetname(e, m.id)}
        />
        <span class="nickname muted">
          ${nameLabel({ id: m.id, short: m.short, name: nickname })}${nickname ? '' : ' (no nickname)'}
          ${m.self ? ' (this node)' : ''} ${m.role === 'admin' ? ' · admin' : ''}
          ${
            m.lookalike
              ? html`<span class="lookalike" title=${LOOKALIKE_TITLE}
                  >⚠ looks like another member’s name</span
                >`
              : ''
          }
        </span>
      </th>
      <td>${m.services.length ? m.services.join(', ') : html`<span class="muted">none</span>`}</td>
      <td>
        ${
          m.revoked
            ? html`<span class="revoked">revoked</span>`
            : m.self
              ? html`<span class="online">this node</span>`
              : m.connected
                ? html`<span class="online">connected</span>`
                : html`<span class="muted">last seen ${formatRelative(m.lastSeen, now)}</span>`
        }
      </td>
      <td class="num">${m.rttMs === undefined ? '—' : `${Math.round(m.rttMs)} ms`}</td>
      <td class="num">${m.uptimeMs === undefined ? '—' : formatDuration(m.uptimeMs)}</td>
      <td class="num">${m.failuresInRow ?? '—'}</td>
      <td>
        ${
          m.invitedBy === undefined
            ? html`<span class="muted">—</span>`
            : nameLabel(m.invitedByWho ?? displayName(m.invitedBy, m.invitedByName))
        }
      </td>
    </tr>`;
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('selected') && this.selected) {
      this.renderRoot.querySelector('tr[aria-current="true"]')?.scrollIntoView?.({ block: 'nearest' });
    }
  }

  private onPetname(event: Event, id: string): void {
    const petname = (event.target as HTMLInputElement).value.trim();
    emit(this, 'grid-petname', { id, petname });
  }
}
