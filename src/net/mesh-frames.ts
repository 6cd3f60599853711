/**
 * The frames inside a PeerLink message of the mesh (mesh.ts), by their first byte: 0x00 gossip message ·
 * 0x10 challenge(32) · 0x11 proof(64) · membership (mesh-attempt.ts) · 0x20 route frame · 0x21 neighbour
 * list (mesh-signaling.ts) · 0x30–0x3f the node's own. Every frame but the proof exchange is taken only
 * on a proved link; one that comes before is dropped and counted.
 */
import type { NodeId } from '../core/identity.ts';
import { MeshSignaling } from './mesh-signaling.ts';

export const FRAME_GOSSIP = 0x00;
/** Frames the node above the mesh defines (events.frame, sendFrame). */
export const FRAME_NODE_FIRST = 0x30;
export const FRAME_NODE_LAST = 0x3f;

/** Where the frames of a link go. */
export interface FrameSinks {
  gossip(peer: NodeId, body: Uint8Array): void;
  node(peer: NodeId, kind: number, body: Uint8Array): void;
  signaling: MeshSignaling;
  count(reason: string): void;
}

/** `bytes` as a gossip frame. */
export function gossipFrame(bytes: Uint8Array): Uint8Array {
  const frame = new Uint8Array(bytes.length + 1);
  frame[0] = FRAME_GOSSIP;
  frame.set(bytes, 1);
  return frame;
}

export function isNodeFrame(kind: number): boolean {
  return kind >= FRAME_NODE_FIRST && kind <= FRAME_NODE_LAST;
}

/** A frame of kind `kind` from `peer`'s link, `up` (proved and admitted) or not yet. */
export function dispatchFrame(
  sinks: FrameSinks,
  peer: NodeId,
  up: boolean,
  kind: number | undefined,
  body: Uint8Array,
): void {
  if (kind === FRAME_GOSSIP) return up ? sinks.gossip(peer, body) : sinks.count('gossip-before-proof');
  if (kind !== undefined && isNodeFrame(kind))
    return up ? sinks.node(peer, kind, body) : sinks.count('frame-before-proof');
  if (kind === MeshSignaling.FRAME_ROUTE || kind === MeshSignaling.FRAME_NEIGHBOURS) {
    if (!up) return sinks.count('route-before-proof');
    if (kind === MeshSignaling.FRAME_ROUTE) sinks.signaling.receiveRoute(peer, body);
    else sinks.signaling.receiveNeighbours(peer, body);
    return;
  }
  sinks.count('bad-frame');
}

/** Bytes (and frames) by what they carried, for the mesh's status. */
export class ByteCounts {
  private readonly counts = new Map<string, { frames: number; bytes: number }>();

  add(kind: string, bytes: number): void {
    const c = this.counts.get(kind);
    if (c) (c.frames++, (c.bytes += bytes));
    else if (this.counts.size < 64) this.counts.set(kind, { frames: 1, bytes });
  }

  snapshot(): Record<string, { frames: number; bytes: number }> {
    return Object.fromEntries([...this.counts].map(([k, c]) => [k, { ...c }]));
  }
}
