/**
 * The dashboard page's entry: opens this profile's node and shows it. A first visit offers to start a grid
 * or join one. A link ending in `#invite=…` loses its fragment from the address bar and history before
 * anything else happens; then it joins at once if this node is in no grid, and otherwise only after the
 * person answers the question naming both grids (issue 11, item 6), doing nothing if they stay. A share
 * link `#file=<cap>&name=<name>` loses its fragment the same way (the cap is the key to the file, and a
 * fragment is never sent to a server); the Files panel then downloads it once the node is up and linked.
 *
 * Query parameters (rules and which builds obey which: src/trial-options.ts): `?relay=` (repeatable,
 * this session only), `?db=` the IndexedDB database, `?nick=` a first nickname; in trial builds only
 * (`npm start`, `vite`, the tests) `?grid=NAME` an open development grid and `?config=JSON` protocol
 * settings (PROTOCOL.md §6). The node is exposed as `window.gridNode` for scripting.
 */
import { explainStartFailure, requireSecureContext } from './insecure-context.ts';
import { IdentityDamagedError } from './store/record-checks.ts';
import { GridNode } from './node.ts';
import { previewInvite } from './node/invite-preview.ts';
import { pageOptions } from './trial-options.ts';
import { parseFileLink } from './ui/file-link.ts';
import type { GridApp } from './ui/grid-app/grid-app.ts';
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

// Take the invitation or file link out of the address bar first: each is a bearer secret.
const invite = location.hash.startsWith('#invite=') ? location.hash : undefined;
const fileHash = location.hash.startsWith('#file=') ? location.hash : undefined;
if (invite || fileHash) history.replaceState(history.state, '', location.pathname + location.search);
const fileLink = fileHash === undefined ? undefined : parseFileLink(fileHash);
if (fileHash && !fileLink) console.warn('gridnode: ignored a share link that is not one');

const options = pageOptions(new URLSearchParams(location.search), import.meta.env.MODE);
for (const line of options.ignored) console.warn(`gridnode: ${line}`);
// `npm start` bakes its relay's address into the build; otherwise (`npm run serve`, `npm run dev` with its
// proxy) the relay is this origin's /relay, so a page served under any name finds its relay.
const defaultRelay =
  import.meta.env.VITE_RELAY_URL ??
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/relay`;
const node = await GridNode.create({
  relays: [defaultRelay],
  ...(options.relays ? { sessionRelays: options.relays } : {}),
  ...(options.gridName !== undefined ? { gridName: options.gridName } : {}),
  dbName: options.dbName ?? 'gridnode',
  nickname: options.nickname ?? '',
  ...(options.config ? { config: options.config } : {}),
  ...(options.maxLinks ? { maxLinks: options.maxLinks } : {}),
}).catch((error: unknown) => {
  // A damaged stored identity: say so in place of the page rather than start as someone else.
  if (error instanceof IdentityDamagedError) explainStartFailure('This node cannot start', error.message);
  throw error;
});
window.gridNode = node;
const app = document.querySelector('grid-app') as GridApp | null;
if (app) app.node = node;
if (app && fileLink) app.fileLink = fileLink;
// A share link pasted into this tab's address bar changes only the fragment: take it the same way.
addEventListener('hashchange', () => {
  if (!location.hash.startsWith('#file=')) return;
  const link = parseFileLink(location.hash);
  history.replaceState(history.state, '', location.pathname + location.search);
  if (app && link) app.fileLink = link;
});
// A closing tab says goodbye on its links, so peers (and this profile's next tab) reconnect at once.
addEventListener('pagehide', () => void node.stop());

await node.start();
if (invite && node.role === 'leader') {
  const current = node.grid;
  try {
    // A short code names no grid until the grid hands over its invitation: fetched first, then asked.
    const invitation = current ? await node.resolveInvite(invite) : invite;
    const incoming = previewInvite(invitation);
    if (current && app && incoming.ok && incoming.id !== current.id)
      app.pendingInvite = { invitation, incoming };
    else await node.acceptInvite(invitation);
  } catch (error) {
    window.gridInviteError = (error as Error).message;
    node.dispatchEvent(
      new CustomEvent('activity', {
        detail: { kind: 'rejected', reason: window.gridInviteError, at: Date.now() },
      }),
    );
  }
}
