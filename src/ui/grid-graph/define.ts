import { GridGraph } from './grid-graph.ts';

customElements.define('grid-graph', GridGraph);

declare global {
  interface HTMLElementTagNameMap {
    'grid-graph': GridGraph;
  }
}
