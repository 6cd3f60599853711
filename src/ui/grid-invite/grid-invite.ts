import { LitElement, html, svg } from 'lit';
import type { Invitation } from '../controller.ts';
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
 * @fires grid-invite-create - "Create invitation" was pressed; `detail: { expiresInMs, canInvite }`.
 * @fires grid-invite-copy - the link was copied (or copying failed); `detail: { text, copied }`.
 *
 * @csspart form - the options and the create button.
 * @csspart link - the invitation link.
 * @csspart qr - the QR code (an SVG).
 * @csspart held - how many other members hold the invitation (so it works while the inviter is away).
 * @csspart copy - the copy button.
 *
 * @cssproperty --grid-invite-qr-size - side of the QR code (default 18rem, or the width available).
 * @cssproperty --grid-accent - the link and the create button.
 */
export class GridInvite extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    invitation: { attribute: false },
    canInvite: { type: Boolean, attribute: 'can-invite' },
    canGrantInvite: { type: Boolean, attribute: 'can-grant-invite' },
    busy: { type: Boolean },
    error: {},
    now: { type: Number },
    copied: { state: true },
  };

  /** The invitation to show, once made. */
  invitation: Invitation | undefined;
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
    `;
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
    this.copied = undefined;
    emit(this, 'grid-invite-create', { expiresInMs, canInvite });
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
