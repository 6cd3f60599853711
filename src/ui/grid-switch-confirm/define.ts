import { GridSwitchConfirm } from './grid-switch-confirm.ts';

customElements.define('grid-switch-confirm', GridSwitchConfirm);

declare global {
  interface HTMLElementTagNameMap {
    'grid-switch-confirm': GridSwitchConfirm;
  }
}
