import { LitElement, html } from 'lit';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import { SERVICE } from '../../core/roles.ts';
import { checkNickname } from '../../core/inputs.ts';
import type { Busy, IceServer, Member, Policy } from '../controller.ts';
import { emit } from '../events.ts';
import { nameLabel } from '../name-label.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-control-panel.styles.ts';
import { formatIceServers, parseIceServers, parseRelays } from './parse.ts';

/** The services a user can switch on here, in Tahoe-LAFS's terms. */
const SERVICES = [
  { name: SERVICE.storage, label: 'Storage', hint: 'keeps shares for the grid' },
  { name: SERVICE.uploadStorage, label: 'Upload storage', hint: 'accepts new shares' },
  { name: SERVICE.downloadStorage, label: 'Download storage', hint: 'serves stored shares' },
  { name: SERVICE.gridControl, label: 'Grid control', hint: 'helps newcomers find the grid' },
] as const;

/**
 * This node's settings: nickname, services offered, relays and ICE servers; per member, whether it may
 * use this node's services (allow or deny; any "allow" makes the list exclusive) and, for admins, revoke;
 * and leaving the grid. Destructive actions ask for a second press.
 *
 * @fires grid-nickname - `detail: { nickname }`.
 * @fires grid-service - a service was switched on or off; `detail: { service, offered }`.
 * @fires grid-relays - `detail: { relays }`, each a ws:// or wss:// URL.
 * @fires grid-ice-servers - `detail: { iceServers, transportPolicy }`.
 * @fires grid-policy - `detail: { id, policy }`, `policy` undefined for the default.
 * @fires grid-revoke - an admin confirmed revoking a member; `detail: { id }`.
 * @fires grid-leave - leaving the grid was confirmed.
 *
 * @csspart nickname - the nickname section; likewise `services`, `relays`, `ice`, `members`, `leave`.
 *
 * @cssproperty --grid-danger - revoke and leave.
 */
export class GridControlPanel extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    nickname: {},
    services: { attribute: false },
    relays: { attribute: false },
    iceServers: { attribute: false },
    relayOnly: { type: Boolean },
    members: { attribute: false },
    admin: { type: Boolean },
    busy: { attribute: false },
    error: {},
    fieldError: { state: true },
    confirming: { state: true },
  };

  nickname = '';
  /** Services this node offers now. */
  services: string[] = [];
  relays: string[] = [];
  iceServers: IceServer[] = [];
  /** Links go only through TURN servers (ICE transport policy 'relay'). */
  relayOnly = false;
  /** Members to set a policy for (this node is left out). */
  members: Member[] = [];
  /** This node is an admin of the grid: it may revoke members. */
  admin = false;
  busy: Busy | undefined;
  error: string | undefined;

  private fieldError: { field: 'nickname' | 'relays' | 'ice'; message: string } | undefined;
  /** What the next press confirms: `leave`, or the id of a member to revoke. */
  private confirming: string | undefined;

  override render() {
    const others = this.members.filter((m) => !m.self);
    return html`
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      <fieldset part="nickname">
        <legend>Nickname</legend>
        <form class="row" @submit=${this.onNickname}>
          <label for="nickname" class="visually-hidden">Nickname</label>
          <input
            id="nickname"
            name="nickname"
            maxlength="64"
            autocomplete="nickname"
            aria-invalid=${this.fieldError?.field === 'nickname'}
            aria-describedby="nickname-error"
            .value=${this.nickname}
          />
          <button type="submit" ?disabled=${this.busy === 'nickname'}>Save</button>
        </form>
        <span id="nickname-error" class="error"
          >${this.fieldError?.field === 'nickname' ? this.fieldError.message : ''}</span
        >
        <p class="muted">Shown to every member of the grid.</p>
      </fieldset>

      <fieldset part="services" class="services">
        <legend>Services I offer</legend>
        ${SERVICES.map(
          (s) =>
            html`<label>
              <input
                type="checkbox"
                name=${s.name}
                .checked=${live(this.services.includes(s.name))}
                ?disabled=${this.busy === 'services'}
                @change=${this.onService}
              />
              ${s.label} <span class="muted">— ${s.hint}</span>
            </label>`,
        )}
        <p class="muted">With none, this node only uses the grid (and still relays what members announce).</p>
      </fieldset>

      <fieldset part="relays">
        <legend>Relays</legend>
        <form @submit=${this.onRelays}>
          <label for="relays">Signaling relays, one ws:// or wss:// URL a line</label>
          <textarea
            id="relays"
            name="relays"
            spellcheck="false"
            aria-invalid=${this.fieldError?.field === 'relays'}
            aria-describedby="relays-error"
            .value=${this.relays.join('\n')}
          ></textarea>
          <span id="relays-error" class="error"
            >${this.fieldError?.field === 'relays' ? this.fieldError.message : ''}</span
          >
          <button type="submit" ?disabled=${this.busy === 'relays'}>Save relays</button>
        </form>
      </fieldset>

      <fieldset part="ice">
        <legend>ICE servers</legend>
        <form @submit=${this.onIce}>
          <label for="ice"
            >STUN or TURN servers, one a line: <code>stun:host:port</code> or
            <code>turn:host:port username credential</code></label
          >
          <textarea
            id="ice"
            name="ice"
            spellcheck="false"
            aria-invalid=${this.fieldError?.field === 'ice'}
            aria-describedby="ice-error"
            .value=${formatIceServers(this.iceServers)}
          ></textarea>
          <span id="ice-error" class="error"
            >${this.fieldError?.field === 'ice' ? this.fieldError.message : ''}</span
          >
          <label class="check"
            ><input type="checkbox" name="relay-only" .checked=${this.relayOnly} /> Link only through TURN
            (hides my addresses; needs a TURN server)</label
          >
          <button type="submit" ?disabled=${this.busy === 'ice'}>Save ICE servers</button>
        </form>
      </fieldset>

      <fieldset part="members">
        <legend>Members</legend>
        ${
          others.length === 0
            ? html`<p class="muted">No other members yet.</p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">Member</th>
                    <th scope="col">May use my services</th>
                    ${this.admin ? html`<th scope="col">Membership</th>` : ''}
                  </tr>
                </thead>
                <tbody>
                  ${repeat(
                    others,
                    (m) => m.id,
                    (m) => this.renderMember(m),
                  )}
                </tbody>
              </table>`
        }
      </fieldset>

      <fieldset part="leave">
        <legend>Leave</legend>
        ${
          this.confirming === 'leave'
            ? html`<p>Leave this grid? You will need a new invitation to come back.</p>
                <button class="danger" type="button" data-action="confirm-leave" @click=${this.onLeave}>
                  Leave the grid
                </button>
                <button type="button" @click=${this.onCancel}>Cancel</button>`
            : html`<button class="danger" type="button" data-action="leave" @click=${this.onAskLeave}>
                Leave grid…
              </button>`
        }
      </fieldset>
    `;
  }

  private renderMember(m: Member) {
    return html`<tr data-id=${m.id}>
      <th scope="row">${nameLabel(m)}</th>
      <td>
        <select
          aria-label="Service policy for ${m.label}"
          ?disabled=${this.busy === 'policy'}
          @change=${(e: Event) => this.onPolicy(e, m.id)}
        >
          <option value="" ?selected=${m.policy === undefined}>Default</option>
          <option value="allow" ?selected=${m.policy === 'allow'}>Allow</option>
          <option value="deny" ?selected=${m.policy === 'deny'}>Deny</option>
        </select>
      </td>
      ${
        this.admin
          ? html`<td>
              ${
                m.revoked
                  ? html`<span class="error">revoked</span>`
                  : this.confirming === m.id
                    ? html`<span class="confirm">Revoke ${nameLabel(m)} for the whole grid?</span>
                        <button
                          class="danger"
                          type="button"
                          data-action="confirm-revoke"
                          aria-label="Confirm revoking ${m.label}"
                          @click=${() => this.onRevoke(m.id)}
                        >
                          Confirm revoke
                        </button>
                        <button type="button" @click=${this.onCancel}>Cancel</button>`
                    : html`<button
                        class="danger"
                        type="button"
                        data-action="revoke"
                        aria-label="Revoke ${m.label}"
                        @click=${() => this.onAskRevoke(m.id)}
                      >
                        Revoke…
                      </button>`
              }
            </td>`
          : ''
      }
    </tr>`;
  }

  private onNickname(event: SubmitEvent): void {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem('nickname') as HTMLInputElement;
    // The protocol's rule (bytes, not characters; no control or bidi characters), before anything is sent.
    const checked = checkNickname(input.value.trim());
    if (!checked.ok) return void (this.fieldError = { field: 'nickname', message: checked.message });
    this.fieldError = undefined;
    emit(this, 'grid-nickname', { nickname: checked.value });
  }

  private onService(event: Event): void {
    const box = event.target as HTMLInputElement;
    emit(this, 'grid-service', { service: box.name, offered: box.checked });
  }

  private onRelays(event: SubmitEvent): void {
    event.preventDefault();
    const parsed = parseRelays(this.field(event, 'relays'));
    if (!parsed.ok) return void (this.fieldError = { field: 'relays', message: parsed.error });
    this.fieldError = undefined;
    emit(this, 'grid-relays', { relays: parsed.value });
  }

  private onIce(event: SubmitEvent): void {
    event.preventDefault();
    const parsed = parseIceServers(this.field(event, 'ice'));
    if (!parsed.ok) return void (this.fieldError = { field: 'ice', message: parsed.error });
    this.fieldError = undefined;
    const form = event.currentTarget as HTMLFormElement;
    const relayOnly = (form.elements.namedItem('relay-only') as HTMLInputElement | null)?.checked ?? false;
    if (relayOnly && !parsed.value.some((s) => [s.urls].flat().some((u) => /^turns?:/i.test(u)))) {
      return void (this.fieldError = {
        field: 'ice',
        message: 'Linking only through TURN needs a TURN server.',
      });
    }
    emit(this, 'grid-ice-servers', {
      iceServers: parsed.value,
      transportPolicy: relayOnly ? 'relay' : 'all',
    });
  }

  private onPolicy(event: Event, id: string): void {
    const value = (event.target as HTMLSelectElement).value;
    const policy: Policy | undefined = value === 'allow' || value === 'deny' ? value : undefined;
    emit(this, 'grid-policy', { id, policy });
  }

  private onAskRevoke(id: string): void {
    this.confirming = id;
  }

  private onRevoke(id: string): void {
    this.confirming = undefined;
    emit(this, 'grid-revoke', { id });
  }

  private onAskLeave(): void {
    this.confirming = 'leave';
  }

  private onLeave(): void {
    this.confirming = undefined;
    emit(this, 'grid-leave', {});
  }

  private onCancel(): void {
    this.confirming = undefined;
  }

  private field(event: SubmitEvent, name: string): string {
    return ((event.currentTarget as HTMLFormElement).elements.namedItem(name) as HTMLTextAreaElement).value;
  }
}
