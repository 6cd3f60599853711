import { LitElement, html } from 'lit';
import { checkGridName } from '../../core/inputs.ts';
import type { Busy } from '../controller.ts';
import { emit } from '../events.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-first-run.styles.ts';

/**
 * What a visitor without a grid sees: start a new grid, or join one with an invitation.
 *
 * @fires grid-create - "Start a grid" was submitted; `detail: { name }`, trimmed and not empty.
 * @fires grid-join - "Join" was submitted; `detail: { invitation }`, the pasted code or link, trimmed.
 *
 * @csspart create - the "Start a grid" form.
 * @csspart join - the "Join with an invitation" form.
 *
 * @cssproperty --grid-accent - colour of the primary buttons (and the other `--grid-*` colours).
 */
export class GridFirstRun extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    busy: { attribute: false },
    error: {},
    invitation: {},
  };

  /** The action running now: its form shows progress and both forms wait. */
  busy: Busy | undefined;
  /** Why the last attempt failed, shown as text. */
  error: string | undefined;
  /** Prefills the invitation field (a code from a link, say). */
  invitation = '';

  override render() {
    const waiting = this.busy === 'create' || this.busy === 'join';
    return html`
      <div class="choices">
        <form part="create" aria-labelledby="create-title" @submit=${this.onCreate}>
          <h2 id="create-title">Start a grid</h2>
          <p class="muted">A new grid with you as its first member and admin.</p>
          <label for="name">Grid name</label>
          <input id="name" name="name" required maxlength="64" autocomplete="off" ?disabled=${waiting} />
          <button class="primary" type="submit" ?disabled=${waiting} aria-busy=${this.busy === 'create'}>
            ${this.busy === 'create' ? 'Starting…' : 'Start a grid'}
          </button>
        </form>
        <form part="join" aria-labelledby="join-title" @submit=${this.onJoin}>
          <h2 id="join-title">Join with an invitation</h2>
          <p class="muted">Paste the invitation code or link a member sent you.</p>
          <label for="invitation">Invitation code or link</label>
          <textarea
            id="invitation"
            name="invitation"
            required
            spellcheck="false"
            autocomplete="off"
            .value=${this.invitation}
            ?disabled=${waiting}
          ></textarea>
          <button class="primary" type="submit" ?disabled=${waiting} aria-busy=${this.busy === 'join'}>
            ${this.busy === 'join' ? 'Joining…' : 'Join'}
          </button>
        </form>
      </div>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
    `;
  }

  private onCreate(event: SubmitEvent): void {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem('name') as HTMLInputElement;
    const name = input.value.trim();
    if (!name) return void input.focus();
    // The node's own rule (bytes, NFC, no control or text-direction characters), said before trying.
    const checked = checkGridName(name);
    if (!checked.ok) {
      this.error = checked.message;
      return void input.focus();
    }
    this.error = undefined;
    emit(this, 'grid-create', { name: checked.value });
  }

  private onJoin(event: SubmitEvent): void {
    event.preventDefault();
    const field = (event.currentTarget as HTMLFormElement).elements.namedItem(
      'invitation',
    ) as HTMLTextAreaElement;
    const invitation = field.value.trim();
    if (!invitation) return void field.focus();
    emit(this, 'grid-join', { invitation });
  }
}
