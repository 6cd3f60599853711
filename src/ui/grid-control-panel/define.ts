import { GridControlPanel } from './grid-control-panel.ts';

customElements.define('grid-control-panel', GridControlPanel);

declare global {
  interface HTMLElementTagNameMap {
    'grid-control-panel': GridControlPanel;
  }
}
