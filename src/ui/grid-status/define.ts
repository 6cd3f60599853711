import { GridStatus } from './grid-status.ts';

customElements.define('grid-status', GridStatus);

declare global {
  interface HTMLElementTagNameMap {
    'grid-status': GridStatus;
  }
}
