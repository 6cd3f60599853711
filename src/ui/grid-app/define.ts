import { GridApp } from './grid-app.ts';

customElements.define('grid-app', GridApp);

declare global {
  interface HTMLElementTagNameMap {
    'grid-app': GridApp;
  }
}
