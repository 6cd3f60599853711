/**
 * The embeddable widget's entry, built as its own module (`dist/widget.js`). A page embeds a grid node
 * with one script and one tag, from any origin:
 *
 *   <script type="module" src="https://dashboard.example/widget.js"></script>
 *   <grid-node-widget relay="wss://relay.example" invitation="…"></grid-node-widget>
 *
 * The node lives in the embedding page's origin (its IndexedDB, its Web Lock), under a database name of
 * its own, so it is a separate member from any dashboard node. Modules load cross-origin only with CORS,
 * so the server of `widget.js` and its chunks must send `Access-Control-Allow-Origin`.
 */
import { GridNode } from './node.ts';
import { GridNodeWidget, type WidgetNode } from './ui/grid-node-widget/grid-node-widget.ts';
import './ui/grid-node-widget/define.ts';

GridNodeWidget.openNode = (options): Promise<WidgetNode> => GridNode.create(options);

export { GridNodeWidget };
