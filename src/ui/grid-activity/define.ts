import { GridActivity } from './grid-activity.ts';

customElements.define('grid-activity', GridActivity);

declare global {
  interface HTMLElementTagNameMap {
    'grid-activity': GridActivity;
  }
}
