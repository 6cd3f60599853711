/**
 * The dashboard page's entry: opens this profile's node and shows it. Until invitations exist, the page
 * joins an open development grid named by `?grid=` (default `demo`); `?relay=` (repeatable) picks relays,
 * `?db=` the IndexedDB database (so tests can run several nodes in one profile), `?nick=` a first nickname.
 * The node is exposed as `window.gridNode` for scripting.
 */
import { GridNode } from './node.ts';
import './ui/grid-app.ts';

declare global {
  interface Window {
    gridNode?: GridNode;
  }
}

const params = new URLSearchParams(location.search);
const defaultRelay = import.meta.env.VITE_RELAY_URL ?? `ws://${location.hostname || '127.0.0.1'}:8787`;
const node = await GridNode.create({
  relays: params.getAll('relay').length > 0 ? params.getAll('relay') : [defaultRelay],
  gridName: params.get('grid') ?? 'demo',
  dbName: params.get('db') ?? 'gridnode',
  nickname: params.get('nick') ?? '',
});
window.gridNode = node;
document.querySelector('grid-app')?.setAttribute('ready', '');
(document.querySelector('grid-app') as (HTMLElement & { node?: GridNode }) | null)!.node = node;
// A closing tab says goodbye on its links, so peers (and this profile's next tab) reconnect at once.
addEventListener('pagehide', () => void node.stop());
await node.start();
