import { LitElement, html } from 'lit';
import type { GridInfo } from '../controller.ts';
import { emit } from '../events.ts';
import { gridName } from '../display-name.ts';
import { gridFingerprint } from '../format.ts';
import { sharedStyles } from '../shared.styles.ts';
import { styles } from './grid-switcher.styles.ts';

/**
 * The active grid's name with its short fingerprint, and, when this node belongs to more than one grid, a
 * choice among them: so a member moved into another grid (by a link it accepted) can move back. Names are
 * chosen by founders and may repeat, so every name is shown with its fingerprint.
 *
 * @fires grid-use - the person picked another grid; `detail: { id }`.
 *
 * @csspart name - the active grid's name.
 * @csspart fingerprint - its short fingerprint.
 * @csspart select - the choice among grids, present with more than one.
 */
export class GridSwitcher extends LitElement {
  static override styles = [sharedStyles, styles];

  static override properties = {
    grid: { attribute: false },
    grids: { attribute: false },
    busy: { type: Boolean },
  };

  /** The active grid; without one the element shows `Grid node`. */
  grid: GridInfo | undefined;
  /** Every grid this node belongs to. */
  grids: readonly GridInfo[] = [];
  /** A switch is under way. */
  busy = false;

  override render() {
    const grid = this.grid;
    if (!grid) return html`<span part="name" class="name">Grid node</span>`;
    const others = this.grids.filter((g) => g.id !== grid.id);
    return html`
      <span part="name" class="name">${gridName(grid.name)}</span>
      <code part="fingerprint" title="Grid fingerprint: ${grid.id}">${gridFingerprint(grid.id)}</code>
      ${
        others.length === 0
          ? ''
          : html`<label class="switch">
              <span class="visually-hidden">Switch grid</span>
              <select part="select" ?disabled=${this.busy} @change=${this.onChange}>
                <option value=${grid.id} selected>${label(grid)}</option>
                ${others.map((g) => html`<option value=${g.id}>${label(g)}</option>`)}
              </select>
            </label>`
      }
    `;
  }

  private onChange(e: Event): void {
    const select = e.target as HTMLSelectElement;
    const id = select.value;
    // The shown choice follows the node, not the click: it changes once the switch is done.
    select.value = this.grid?.id ?? '';
    if (id && id !== this.grid?.id) emit(this, 'grid-use', { id });
  }
}

const label = (g: GridInfo) => `${gridName(g.name)} · ${gridFingerprint(g.id)}`;
