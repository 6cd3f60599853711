import { GridNodeFrame } from './grid-node-frame.ts';

customElements.define('grid-node-frame', GridNodeFrame);

declare global {
  interface HTMLElementTagNameMap {
    'grid-node-frame': GridNodeFrame;
  }
}
