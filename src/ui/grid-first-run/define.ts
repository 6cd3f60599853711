import { GridFirstRun } from './grid-first-run.ts';

customElements.define('grid-first-run', GridFirstRun);

declare global {
  interface HTMLElementTagNameMap {
    'grid-first-run': GridFirstRun;
  }
}
