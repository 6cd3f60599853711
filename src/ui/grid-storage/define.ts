import { GridStorage } from './grid-storage.ts';

customElements.define('grid-storage', GridStorage);

declare global {
  interface HTMLElementTagNameMap {
    'grid-storage': GridStorage;
  }
}
