import { LitElement, type PropertyValues, html } from 'lit';
import { emit } from '../events.ts';
import { gridName } from '../display-name.ts';
import { gridFingerprint } from '../format.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-switch-confirm.styles.ts';

/** A grid as the question names it. */
export interface NamedGrid {
  /** Grid id, hex. */
  id: string;
  name: string;
}

/**
 * Asks before a link moves this node into another grid (issue 11, item 6): an `#invite=` link opened by a
 * member of a grid could otherwise move it, with its identity and nickname, into a same-named grid of
 * whoever made the link (SECURITY-REVIEW.md #10). Both grids are named with their short fingerprints,
 * since only those tell same-named grids apart. Staying is the default: it has the focus, and Escape
 * answers it.
 *
 * @fires grid-switch-answer - `detail: { accepted }`; `accepted: false` for "stay" and Escape.
 *
 * @csspart base - the question's box.
 */
export class GridSwitchConfirm extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    current: { attribute: false },
    incoming: { attribute: false },
  };

  /** The grid this node is in now. */
  current: NamedGrid | undefined;
  /** The grid the invitation is for. */
  incoming: NamedGrid | undefined;

  override render() {
    const { current, incoming } = this;
    if (!current || !incoming) return '';
    const [from, to] = [gridName(current.name), gridName(incoming.name)];
    return html`
      <div
        part="base"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="title"
        aria-describedby="what"
        @keydown=${this.onKey}
      >
        <h2 id="title">Switch grids?</h2>
        <p id="what">
          The link you opened invites this node into
          <strong class="incoming name">${to}</strong>
          <code class="incoming-fingerprint">${gridFingerprint(incoming.id)}</code>. It is now a member of
          <strong class="current name">${from}</strong>
          <code class="current-fingerprint">${gridFingerprint(current.id)}</code>. Switch only if you expected
          this invitation; you can switch back from the grid's name.
        </p>
        <div class="actions">
          <button class="stay primary" @click=${() => this.answer(false)}>Stay in ${from}</button>
          <button class="switch" @click=${() => this.answer(true)}>Switch to ${to}</button>
        </div>
      </div>
    `;
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('incoming') && this.incoming)
      this.renderRoot.querySelector<HTMLButtonElement>('.stay')?.focus();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') this.answer(false);
  }

  private answer(accepted: boolean): void {
    emit(this, 'grid-switch-answer', { accepted });
  }
}
