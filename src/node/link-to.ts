/**
 * `gridNode.link(id)`: a link to one member now, through the mesh when this node has a link (PROTOCOL.md
 * §10), else through a relay. Resolves once the link is up (proved, admitted, told to the core); rejects
 * at once for what cannot work (no grid, not a node id, itself, not a member, full with no neighbour to
 * let go) and after `timeoutMs` for a member that did not answer, abandoning the attempt. A dial that
 * ends without a link before then is made again every `ASK_AGAIN_MS`.
 */
import { type NodeId, parseNodeId } from '../core/index.ts';
import type { GridSession } from './session.ts';

export const LINK_TIMEOUT_MS = 15_000;
/**
 * A dial that ended without a link before the timeout is made again this often: the member may have been
 * full for a moment (a full node makes room at most once every 2 s), or a frame of it was lost.
 */
const ASK_AGAIN_MS = 3_000;

export class LinkError extends Error {
  override name = 'LinkError';
}

export function linkTo(
  session: GridSession,
  events: EventTarget,
  id: string,
  timeoutMs = LINK_TIMEOUT_MS,
): Promise<void> {
  const mesh = session.runtime.mesh;
  const short = id.slice(0, 12);
  if (!mesh) return Promise.reject(new LinkError('this node is in no grid (or this tab follows another)'));
  if (!parseNodeId(id)) return Promise.reject(new LinkError(`not a node id: ${JSON.stringify(id)}`));
  const peer = id as NodeId;
  if (peer === session.id) return Promise.reject(new LinkError('a node cannot link to itself'));
  if (!session.guard.isMember(peer))
    return Promise.reject(new LinkError(`${short}… is not a known member of this grid (or was revoked)`));
  if (mesh.peers().includes(peer)) return Promise.resolve();
  if (!mesh.canSignal())
    return Promise.reject(
      new LinkError(`no way to reach ${short}…: no link to signal through, no relay open`),
    );
  if (!mesh.ask(peer))
    return Promise.reject(
      new LinkError(
        `this node has its most links (maxLinks) and no neighbour to let go (each would fall below ` +
          `targetLinks); none for ${short}…`,
      ),
    );
  return new Promise<void>((resolve, reject) => {
    const end = (error?: Error) => {
      clearTimeout(timer);
      clearInterval(again);
      events.removeEventListener('peer-up', onUp);
      if (error) reject(error);
      else resolve();
    };
    const onUp = (event: Event) => {
      if ((event as CustomEvent<{ id: string }>).detail?.id === peer) end();
    };
    const timer = setTimeout(() => {
      if (session.runtime.mesh?.peers().includes(peer)) return end();
      session.runtime.mesh?.abandon(peer);
      const relay = mesh.status().signaling.relays.some((r) => r.state === 'open');
      end(
        new LinkError(
          `no link to ${short}… within ${timeoutMs / 1000} s: it did not answer through the mesh` +
            (relay ? ' or the relay' : ', and no relay is open') +
            ' (it may be offline, full, or unreachable from here)',
        ),
      );
    }, timeoutMs);
    // Again (while this is still the node's mesh) without letting another neighbour go: the first ask
    // made the room this link may take.
    const again = setInterval(() => {
      if (session.runtime.mesh === mesh && !mesh.attempting(peer) && mesh.canSignal()) mesh.ask(peer, false);
    }, ASK_AGAIN_MS);
    events.addEventListener('peer-up', onUp);
  });
}
