/**
 * What a mesh (mesh.ts) is given: its options, and the events it reports to the node above it.
 */
import type { NodeId } from '../core/identity.ts';
import type { Signer, Verifier } from '../crypto/ed25519.ts';
import type { SignalingStatus } from './signaling.ts';

export interface MeshOptions {
  selfId: NodeId;
  signer: Signer;
  verifier: Verifier;
  gridId: Uint8Array;
  relays: string[];
  iceServers?: RTCIceServer[];
  /** 'relay' links only through TURN servers among `iceServers` (hides this node's addresses). */
  iceTransportPolicy?: 'relay' | 'all';
  /** Most links at once. A few more than the gossip needs, so churn does not isolate anyone. */
  maxLinks?: number;
  helloIntervalMs?: number;
  /** The links the core dials for: a full node makes room for a member below it (see `makeRoom`). */
  targetLinks?: number;
  evictEveryMs?: number;
  /** How long a dial through the mesh waits for an answer before it also tries the relay. */
  meshFallbackMs?: number;
  maxMessageBytes?: number;
  /** Whether to broadcast hellos now (default: always while there is room for links). */
  wantsDiscovery?: () => boolean;
  /** This node's membership field, presented with its proof on every link (empty in an open grid). */
  membership?: () => Uint8Array;
  /**
   * Whether `peer` is known as a member. Attempts a peer's hello or offer starts are capped at
   * `maxUnknownAttempts` at once for peers not known, so that throwaway keys cannot fill the link slots
   * (an invitee is unknown until its first announcement arrives over its first link).
   */
  known?: (peer: NodeId) => boolean;
  maxUnknownAttempts?: number;
  /**
   * Whether `peer`, a neighbour, stays reachable without this node's link to it, by the links members
   * announce (mesh-upkeep.ts): false keeps it from being let go, undefined if not known.
   */
  keepsWithout?: (peer: NodeId) => boolean | undefined;
  /**
   * Whether `peer` is linked to any member, by the links members announce (mesh-upkeep.ts); undefined if
   * not known. With no relay open, a dial of a member linked to nobody fails at once: no path leads to it.
   */
  linkedInMesh?: (peer: NodeId) => boolean | undefined;
  /** Whether a proved peer, presenting `membership`, may link: undefined if so, else why not. */
  admit?: (peer: NodeId, membership: Uint8Array) => string | undefined | Promise<string | undefined>;
  /**
   * Whether `peer`'s links are refused for now (its last one was closed for flooding): its hellos and
   * offers start no attempt (`refused-peer`) and it is not dialed (`dial-refused`). Refusing only after
   * the proof, as `admit` does, let it make this node build and tear down a whole RTCPeerConnection
   * (ICE, DTLS, SCTP) for every try.
   */
  refused?: (peer: NodeId) => boolean;
}

export interface MeshEvents {
  up(peer: NodeId): void;
  down(peer: NodeId, reason: string): void;
  /** A link attempt ended before the peer proved itself. */
  failed(peer: NodeId, reason: string): void;
  message(peer: NodeId, bytes: Uint8Array): void;
  rtt(peer: NodeId, ms: number): void;
  signaling?(status: SignalingStatus): void;
  /** A frame of the node's own (kind 0x30–0x3f) on a proved link, e.g. pending invitations. */
  frame?(peer: NodeId, kind: number, body: Uint8Array): void;
  /** Any other sealed signaling message (`t` is neither hello nor signal), e.g. redemption requests. */
  request?(from: NodeId, message: { t: string } & Record<string, unknown>, direct: boolean): void;
}
