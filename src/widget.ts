/**
 * The embeddable widget's entry, built as its own module (`dist/widget.js`). A page embeds a grid node
 * with one script and one tag, from any origin:
 *
 *   <script type="module" src="https://dashboard.example/widget.js"></script>
 *   <grid-node-widget relay="wss://relay.example" invitation="…"></grid-node-widget>
 *
 * This module holds no node: the element frames `widget-frame.html`, served beside this module from the
 * node's own origin, where the node runs (src/widget-frame.ts), and hears from it only through the API of
 * src/ui/grid-node-widget/messages.ts. Modules load cross-origin only with CORS, so the server of
 * `widget.js` and its chunks must send `Access-Control-Allow-Origin`.
 */
import { GridNodeWidget } from './ui/grid-node-widget/grid-node-widget.ts';
import './ui/grid-node-widget/define.ts';

// Built, the frame sits beside widget.js; under the dev server this module is /src/widget.ts. (Not a
// literal inside `new URL(…, import.meta.url)`: Vite would copy the page as an asset instead of building it.)
const FRAME = import.meta.env.DEV ? '../widget-frame.html' : './widget-frame.html';
GridNodeWidget.frameUrl = new URL(FRAME, import.meta.url).href;

export { GridNodeWidget };
