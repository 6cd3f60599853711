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

/** What a sent frame carried: a gossip message (by its type), a frame of the node's or of the mesh's. */
export type FrameSpace = 'gossip' | 'node' | 'mesh';
const SPACES: readonly FrameSpace[] = ['gossip', 'node', 'mesh'];
const SPACE_INDEX: Readonly<Record<FrameSpace, number>> = { gossip: 0, node: 1, mesh: 2 };

/** Frames and bytes by what they carried (space and first byte), for the mesh's status; O(1) to count. */
export class ByteCounts {
  private readonly frames = new Float64Array(SPACES.length * 256);
  private readonly bytes = new Float64Array(SPACES.length * 256);

  add(space: FrameSpace, kind: number, bytes: number): void {
    const i = SPACE_INDEX[space] * 256 + (kind & 0xff);
    this.frames[i]! += 1;
    this.bytes[i]! += bytes;
  }

  /** Each kind sent so far, named `space-0xNN`. */
  snapshot(): Record<string, { frames: number; bytes: number }> {
    const out: Record<string, { frames: number; bytes: number }> = {};
    for (let i = 0; i < this.frames.length; i++)
      if (this.frames[i]! > 0) {
        const name = `${SPACES[i >> 8]}-0x${(i & 0xff).toString(16).padStart(2, '0')}`;
        out[name] = { frames: this.frames[i]!, bytes: this.bytes[i]! };
      }
    return out;
  }
}
