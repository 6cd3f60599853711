/**
 * The dashboard page's entry: opens this profile's node and shows it. A first visit offers to start a grid
 * or join one; a link ending in `#invite=…` joins at once and the fragment is removed from the address
 * bar and history before anything else happens.
 *
 * Query parameters: `?relay=` (repeatable) picks relays (default: the one the build names, else this
 * origin's `/relay`); `?db=` the IndexedDB database (so tests can run several nodes in one profile);
 * `?nick=` a first nickname; `?grid=NAME` joins an open development grid
 * (tests only: no membership); `?config=JSON` overrides protocol settings (PROTOCOL.md §6), e.g. seconds
 * instead of days for forgetting, for trying liveness out and for tests. The node is exposed as
 * `window.gridNode` for scripting.
 */
import { requireSecureContext } from './insecure-context.ts';
import { type CoreConfig, resolveConfig } from './core/config.ts';
import { GridNode } from './node.ts';
import './ui/grid-app.ts';

declare global {
  interface Window {
    gridNode?: GridNode;
    /** The last invitation accepted from the address bar failed with this message. */
    gridInviteError?: string;
  }
}

// Over plain http on a name other than localhost there is no Web Crypto or Web Locks: say so and stop.
requireSecureContext();

// Take the invitation out of the address bar first: it is a bearer secret.
const invite = location.hash.startsWith('#invite=') ? location.hash : undefined;
if (invite) history.replaceState(history.state, '', location.pathname + location.search);

const params = new URLSearchParams(location.search);
// `npm start` bakes its relay's address into the build; otherwise (`npm run serve`, `npm run dev` with its
// proxy) the relay is this origin's /relay, so a page served under any name finds its relay.
const defaultRelay =
  import.meta.env.VITE_RELAY_URL ??
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/relay`;
const gridName = params.get('grid');
const config = configFrom(params.get('config'));
const node = await GridNode.create({
  relays: params.getAll('relay').length > 0 ? params.getAll('relay') : [defaultRelay],
  ...(gridName !== null ? { gridName } : {}),
  dbName: params.get('db') ?? 'gridnode',
  nickname: params.get('nick') ?? '',
  ...(config ? { config } : {}),
});
window.gridNode = node;
const app = document.querySelector('grid-app') as (HTMLElement & { node?: GridNode }) | null;
if (app) app.node = node;
// A closing tab says goodbye on its links, so peers (and this profile's next tab) reconnect at once.
addEventListener('pagehide', () => void node.stop());

/** Protocol settings from `?config=`: checked as the node would check them; refused loudly if wrong. */
function configFrom(text: string | null): Partial<CoreConfig> | undefined {
  if (text === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    resolveConfig(parsed as Partial<CoreConfig>);
    return parsed as Partial<CoreConfig>;
  } catch (error) {
    console.error(`gridnode: ?config= ignored: ${(error as Error).message}`);
    return undefined;
  }
}
await node.start();
if (invite && node.role === 'leader') {
  try {
    await node.acceptInvite(invite);
  } catch (error) {
    window.gridInviteError = (error as Error).message;
    node.dispatchEvent(
      new CustomEvent('activity', {
        detail: { kind: 'rejected', reason: window.gridInviteError, at: Date.now() },
      }),
    );
  }
}
