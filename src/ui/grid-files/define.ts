import { GridFiles } from './grid-files.ts';

customElements.define('grid-files', GridFiles);

declare global {
  interface HTMLElementTagNameMap {
    'grid-files': GridFiles;
  }
}
