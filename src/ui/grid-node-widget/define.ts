import { GridNodeWidget } from './grid-node-widget.ts';

customElements.define('grid-node-widget', GridNodeWidget);

declare global {
  interface HTMLElementTagNameMap {
    'grid-node-widget': GridNodeWidget;
  }
}
