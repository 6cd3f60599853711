/** `gridNode.subscribe`'s diffing: how the peers offering a service changed since the last call. */
import type { NodeId } from '../core/index.ts';
import type { Peer } from './types.ts';

export type PeerChange = { type: 'added' | 'updated' | 'removed'; peer: Peer };

/** A `change` listener that reports how the peers `list` returns differ from the last call's. */
export function followPeers(list: () => Peer[], callback: (event: PeerChange) => void): () => void {
  let known = new Map<NodeId, Peer>();
  const update = () => {
    const now = new Map(list().map((p) => [p.id, p]));
    for (const [id, peer] of now) {
      const before = known.get(id);
      if (!before) callback({ type: 'added', peer });
      else if (before.seqnum !== peer.seqnum) callback({ type: 'updated', peer });
    }
    for (const [id, peer] of known) if (!now.has(id)) callback({ type: 'removed', peer });
    known = now;
  };
  update();
  return update;
}
