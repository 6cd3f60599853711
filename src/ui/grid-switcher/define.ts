import { GridSwitcher } from './grid-switcher.ts';

customElements.define('grid-switcher', GridSwitcher);

declare global {
  interface HTMLElementTagNameMap {
    'grid-switcher': GridSwitcher;
  }
}
