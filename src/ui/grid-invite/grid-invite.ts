import { LitElement, html, svg } from 'lit';
import type { Invitation, InviteListItem } from '../controller.ts';
import { emit } from '../events.ts';
import { formatDateTime, formatRelative, isoTime } from '../format.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-invite.styles.ts';
import { groupCode } from '../../core/invite-code.ts';
import { qrPath } from './qr.ts';

const HOUR = 3_600_000;
/** Short lives by default: an invitation is a bearer secret until it expires or is used. */
const EXPIRIES = [
  { label: '1 hour', ms: HOUR },
  { label: '1 day', ms: 24 * HOUR },
  { label: '1 week', ms: 7 * 24 * HOUR },
] as const;

/**
 * Invite someone: choose how long the invitation lasts and whether its holder may invite others, then
 * share the result as a link, a QR code, or the code itself, with a copy button and its expiry.
 *
 * Below, the invitations made here (`invites`): for whom (the name given), and pending, joined (by
 * whom), expired or cancelled; a pending one has a Cancel button.
 *
 * @fires grid-invite-create - "Create invitation" was pressed; `detail: { expiresInMs, canInvite, name? }`
 *   (`name`: whom it is for, as typed; the new member is shown under it).
 * @fires grid-invite-cancel - Cancel was pressed on a pending invitation; `detail: { code }`.
 * @fires grid-invite-copy - the link was copied (or copying failed); `detail: { text, copied }`.
 *
 * @csspart form - the options and the create button.
 * @csspart link - the invitation link.
 * @csspart qr - the QR code (an SVG).
 * @csspart held - how many other members hold the invitation (so it works while the inviter is away).
 * @csspart copy - the copy button.
 * @csspart list - the invitations made here.
 * @csspart cancel - each pending invitation's Cancel button.
 *
 * @cssproperty --grid-invite-qr-size - side of the QR code (default 12rem, or the width available).
 * @cssproperty --grid-accent - the link and the create button.
 */
export class GridInvite extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    invitation: { attribute: false },
    invites: { attribute: false },
    nameOf: { attribute: false },
    canInvite: { type: Boolean, attribute: 'can-invite' },
    canGrantInvite: { type: Boolean, attribute: 'can-grant-invite' },
    busy: { type: Boolean },
    error: {},
    now: { type: Number },
    copied: { state: true },
  };

  /** The invitation to show, once made. */
  invitation: Invitation | undefined;
  /** The invitations made here, newest first. */
  invites: InviteListItem[] = [];
  /** How a member who joined is named (petname, nickname or short id). */
  nameOf: (id: string) => string = (id) => id.slice(0, 8);
  /** Whether this node may invite at all. */
  canInvite = false;
  /** Whether it may let the invitee invite others too (admins may). */
  canGrantInvite = false;
  busy = false;
  error: string | undefined;
  /** The time expiry is relative to; the render time when unset. */
  now: number | undefined;
  /**
   * Puts text on the clipboard. A slot, so a page (or a test) can supply its own; the default asks the
   * browser, which may refuse without a user gesture or permission.
   */
  copy: (text: string) => Promise<void> = (text) => navigator.clipboard.writeText(text);

  private copied: 'yes' | 'no' | undefined;

  override render() {
    if (!this.canInvite) return html`<p class="muted">This node may not invite new members.</p>`;
    return html`
      <form part="form" @submit=${this.onCreate}>
        <label>
          For (optional)
          <input name="name" maxlength="64" autocomplete="off" placeholder="Their name, for you" />
        </label>
        <label>
          Expires after
          <select name="expires">
            ${EXPIRIES.map((e, i) => html`<option value=${e.ms} ?selected=${i === 1}>${e.label}</option>`)}
          </select>
        </label>
        ${
          this.canGrantInvite
            ? html`<label class="inline"><input type="checkbox" name="canInvite" /> May invite others</label>`
            : ''
        }
        <button class="primary" type="submit" ?disabled=${this.busy} aria-busy=${this.busy}>
          ${this.busy ? 'Creating…' : 'Create invitation'}
        </button>
      </form>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      ${this.invitation ? this.renderInvitation(this.invitation) : ''}
      ${this.invites.length > 0 ? this.renderList() : ''}
    `;
  }

  private renderList() {
    const now = this.now ?? Date.now();
    return html`<ul part="list" class="invites" aria-label="Invitations made here">
      ${this.invites.map(
        (i) =>
          html`<li data-code=${i.code}>
            <span class="for">${i.name ?? 'Anyone'}</span>
            <span class="code">${groupCode(i.code).split(' ')[0]}…</span>
            <span class="state"
              >${
                i.state === 'joined' && i.joinedBy
                  ? `joined as ${this.nameOf(i.joinedBy)}`
                  : i.state === 'pending'
                    ? `pending, expires ${formatRelative(i.expiresAt, now)}`
                    : i.state
              }</span
            >
            ${
              i.state === 'pending'
                ? html`<button
                    part="cancel"
                    type="button"
                    ?disabled=${this.busy}
                    aria-label="Cancel the invitation${i.name ? ` for ${i.name}` : ''}"
                    @click=${() => emit(this, 'grid-invite-cancel', { code: i.code })}
                  >
                    Cancel
                  </button>`
                : ''
            }
          </li>`,
      )}
    </ul>`;
  }

  private renderInvitation(invitation: Invitation) {
    const now = this.now ?? Date.now();
    const qr = qrPath(invitation.url);
    const expired = invitation.expiresAt <= now;
    return html`<div class="result">
      <svg
        part="qr"
        viewBox="0 0 ${qr.size} ${qr.size}"
        role="img"
        aria-label="QR code of the invitation link"
        shape-rendering="crispEdges"
      >
        ${svg`<rect width=${qr.size} height=${qr.size}></rect><path d=${qr.d}></path>`}
      </svg>
      <div class="details">
        ${invitation.name ? html`<p class="for">For ${invitation.name}</p>` : ''}
        <a part="link" href=${invitation.url} target="_blank" rel="noopener noreferrer">${invitation.url}</a>
        <p>
          <button part="copy" type="button" @click=${this.onCopy}>Copy link</button>
          <span role="status" aria-live="polite"
            >${this.copied === 'yes' ? 'Copied.' : this.copied === 'no' ? 'Copy failed: select the link.' : ''}</span
          >
        </p>
        <label>
          Invitation code
          <input
            class="code"
            readonly
            .value=${invitation.code.length <= 32 ? groupCode(invitation.code) : invitation.code}
            @focus=${this.selectAll}
          />
        </label>
        ${
          invitation.heldBy === undefined
            ? ''
            : html`<p part="held" role="status">
                ${
                  invitation.heldBy > 0
                    ? `Held by ${invitation.heldBy} ${invitation.heldBy === 1 ? 'member' : 'members'}: it works while you are away.`
                    : 'Held by no other member yet: keep this tab open until one is online.'
                }
              </p>`
        }
        <p class=${expired ? 'error' : 'muted'}>
          ${expired ? 'Expired' : 'Expires'}
          <time datetime=${isoTime(invitation.expiresAt)}>${formatDateTime(invitation.expiresAt)}</time>
          (${formatRelative(invitation.expiresAt, now)}).
        </p>
      </div>
    </div>`;
  }

  private onCreate(event: SubmitEvent): void {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const expiresInMs = Number((form.elements.namedItem('expires') as HTMLSelectElement).value);
    const canInvite = (form.elements.namedItem('canInvite') as HTMLInputElement | null)?.checked ?? false;
    const input = form.elements.namedItem('name') as HTMLInputElement | null;
    const name = input?.value.trim() ?? '';
    if (input) input.value = '';
    this.copied = undefined;
    emit(this, 'grid-invite-create', { expiresInMs, canInvite, ...(name ? { name } : {}) });
  }

  private async onCopy(): Promise<void> {
    const text = this.invitation?.url;
    if (!text) return;
    let copied = true;
    try {
      await this.copy(text);
    } catch {
      copied = false;
    }
    this.copied = copied ? 'yes' : 'no';
    emit(this, 'grid-invite-copy', { text, copied });
  }

  private selectAll(event: FocusEvent): void {
    (event.target as HTMLInputElement).select();
  }
}
