/**
 * The dialer's side of the mesh (mesh.ts): asking peers to link with this node. "A dial goes through the
 * mesh when the node has a link, and through a relay only if the mesh had no way or no answer came within
 * `meshFallbackMs`" (PROTOCOL.md §10). Through the mesh a dial is a directed hello; on a relay the smaller
 * id offers and the larger sends a directed hello. While no relay is open and no link is up, a dial waits
 * for a relay; with links but no relay, a dial of a member that the members' announced links show linked
 * to nobody fails at once (no path through the mesh leads to it). Peers a person asked to link with
 * (`gridNode.link(id)`) are remembered, so this node's hellos and offers to them say `ask`.
 */
import type { NodeId } from '../core/identity.ts';

/** At most this many asked-for links remembered at once. */
const MAX_ASKED = 16;

export interface DialHost {
  readonly selfId: NodeId;
  readonly meshFallbackMs: number;
  /** Whether an attempt with `peer` (made or answered) is under way or up. */
  pending(peer: NodeId): boolean;
  /** Whether `peer`'s links are refused for now (closed for flooding). */
  refused(peer: NodeId): boolean;
  /** Whether an attempt with `peer` fits under `maxLinks`. */
  hasRoomFor(peer: NodeId): boolean;
  relayOpen(): boolean;
  canRoute(): boolean;
  /** Whether `peer` is known to be linked to no member (no path through the mesh leads to it). */
  unlinked(peer: NodeId): boolean;
  /** A directed hello through the mesh; resolves to the links it left on (0: no way). */
  meshHello(peer: NodeId): Promise<number>;
  /** On a relay: an offer (this node's id is the smaller) or a directed hello. */
  relayOffer(peer: NodeId): void;
  relayHello(peer: NodeId): void;
  failed(peer: NodeId, reason: string): void;
  count(reason: string): void;
}

export class MeshDials {
  /** Dials asked for while no relay was open. */
  private readonly held = new Set<NodeId>();
  /** Dials sent through the mesh and not yet answered, with their relay fallback timers. */
  private readonly throughMesh = new Map<NodeId, ReturnType<typeof setTimeout>>();
  private readonly asked = new Set<NodeId>();

  constructor(private readonly host: DialHost) {}

  /**
   * Asks `peers` to link with us. Those already linked or pending are skipped, and so is every dial with
   * no room: attempts others made with us may have filled the slots since the core (which counts links
   * up) chose to dial. `maxLinks` holds for every attempt, made or answered.
   */
  dial(peers: readonly NodeId[], viaRelay = false): void {
    const host = this.host;
    for (const peer of peers) {
      if (host.pending(peer) || peer === host.selfId) continue;
      if (host.refused(peer)) {
        host.count('dial-refused');
        continue;
      }
      if (!host.hasRoomFor(peer)) {
        host.count('dial-while-full');
        continue;
      }
      if (!host.relayOpen() && host.canRoute() && host.unlinked(peer)) {
        host.count('dial-unlinked');
        host.failed(peer, 'linked-to-nobody');
        continue;
      }
      if (!viaRelay && !this.throughMesh.has(peer) && host.canRoute()) {
        this.meshDial(peer);
        continue;
      }
      if (!host.relayOpen()) {
        this.held.add(peer);
        continue;
      }
      if (host.selfId < peer) host.relayOffer(peer);
      else host.relayHello(peer);
    }
  }

  /** A relay opened: the dials held for one go now. */
  relayOpened(): void {
    const held = [...this.held];
    this.held.clear();
    this.dial(held);
  }

  /** A person asked for a link to `peer`: its hellos and offers say so. */
  asking(peer: NodeId): void {
    if (this.asked.size >= MAX_ASKED) this.asked.clear();
    this.asked.add(peer);
  }

  wasAsked(peer: NodeId | undefined): boolean {
    return peer !== undefined && this.asked.has(peer);
  }

  /** Whether a dial of `peer` waits for a relay or for its answer through the mesh. */
  waiting(peer: NodeId): boolean {
    return this.held.has(peer) || this.throughMesh.has(peer);
  }

  /** The peer answered (an attempt started): no relay fallback for this dial. */
  answered(peer: NodeId): void {
    clearTimeout(this.throughMesh.get(peer));
    this.throughMesh.delete(peer);
  }

  /** The link is up: the dial, and the ask, are done. */
  linked(peer: NodeId): void {
    this.answered(peer);
    this.asked.delete(peer);
  }

  /** Given up by the dialer. */
  abandon(peer: NodeId): void {
    this.held.delete(peer);
    this.linked(peer);
  }

  stop(): void {
    for (const timer of this.throughMesh.values()) clearTimeout(timer);
    this.throughMesh.clear();
    this.held.clear();
  }

  /**
   * A directed hello through the mesh; the relay after `meshFallbackMs` without an attempt (or at once if
   * the mesh had no way), and with no relay open, a failure then.
   */
  private meshDial(peer: NodeId): void {
    const host = this.host;
    const fallback = () => {
      this.throughMesh.delete(peer);
      if (host.pending(peer)) return;
      // No relay either: the dial fails now, so the dialer moves on to someone else.
      if (!host.relayOpen()) return host.failed(peer, 'no-answer-through-mesh');
      this.dial([peer], true);
    };
    this.throughMesh.set(peer, setTimeout(fallback, host.meshFallbackMs));
    host
      .meshHello(peer)
      .then((sent) => {
        if (sent > 0) return;
        host.count('mesh-no-way');
        clearTimeout(this.throughMesh.get(peer));
        fallback();
      })
      .catch(() => host.count('hello-not-sent'));
  }
}
