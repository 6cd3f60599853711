/**
 * The public types of `GridNode` (README's `GridNode` section), and the messages its rooms exchange.
 */
import type { MeshUpkeep } from './mesh-upkeep.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CoreConfig, GossipNode, MemberRole, NodeId, Random, Role, Services } from '../core/index.ts';
import { utf8 } from '../core/index.ts';
import type { SignatureCacheStats } from '../crypto/signature-cache.ts';
import type { Mesh } from '../net/mesh.ts';
import type { ReceiveBudgets } from './receive-budgets.ts';
import type { NodeStore } from '../store/index.ts';
import type { GridInfo } from './grids.ts';

export type { GridInfo } from './grids.ts';

export interface GridNodeOptions {
  /** Signaling relays (y-webrtc protocol). */
  relays: string[];
  /**
   * Relays for this session only (a page's `?relay=`): used while the owner has stored no relay list,
   * never stored, and not merged into an invitation's relays when one is adopted.
   */
  sessionRelays?: string[];
  /**
   * Development and tests only: join the open grid of this name, where no membership is checked. Anyone
   * who knows the name can join it. Without it, the node joins the grid it was last in, or none.
   */
  gridName?: string;
  /** IndexedDB database, and the name of the one-node-per-profile lock. */
  dbName?: string;
  iceServers?: RTCIceServer[];
  /** Used on first start; afterwards the stored nickname wins. */
  nickname?: string;
  /** Services offered on first start; afterwards the stored ones win. */
  role?: Role;
  config?: Partial<CoreConfig>;
  maxLinks?: number;
}

export interface Peer {
  id: NodeId;
  nickname: string;
  services: Services;
  seqnum: number;
  connected: boolean;
  lastSeen: number;
  self: boolean;
  rttMs: number | undefined;
  role?: MemberRole | undefined;
  invitedBy?: string | undefined;
  uptimeMs?: number | undefined;
  failuresInRow?: number | undefined;
}

export type NodeStatus = 'idle' | 'joining' | 'connecting' | 'online' | 'offline';
export type Policy = 'allow' | 'deny';
export type ActivityKind = 'join' | 'leave' | 'rejected' | 'reconnect' | 'revoked' | 'forgotten' | 'status';
export interface Activity {
  kind: ActivityKind;
  id?: string;
  reason?: string;
  at: number;
}

export type NodeRole = 'starting' | 'leader' | 'follower' | 'stopped';

export interface NodeStats {
  role: NodeRole;
  core?: ReturnType<GossipNode['stats']>;
  /** The mesh, and keeping it whole (mesh-upkeep.ts: link lists announced, checks, repair links dialed). */
  mesh?: ReturnType<Mesh['status']> & { upkeep: MeshUpkeep['stats'] };
  store?: ReturnType<NodeStore['stats']>;
  /**
   * Envelope results (`cached`, `hits`, `misses`), other signatures (`signatures`: verified, failed,
   * vouched for by this node as it signed them, and those nothing pre-verified — checked synchronously,
   * never in the browser, or refused unchecked and verified in the background), the receive
   * budgets in force and what went over them (`dropped`, receive-budgets.ts).
   */
  verification?: {
    cached: number;
    hits: number;
    misses: number;
    signatures: SignatureCacheStats;
    budgets: ReceiveBudgets;
    dropped: Record<string, number>;
  };
  /** Membership refusals beyond the core's drops (witness requests, links from revoked members). */
  refused?: Record<string, number>;
  /** How many revocations the grid's set holds here (persisted, reconciled with links). */
  revocations?: number;
  /** The latest dials of this node's reconnect order (rule 2), oldest first. */
  dials?: DialRecord[];
  /** Counters the services record through their host, by service name. */
  services?: Record<string, Record<string, number>>;
  /** Pending invitations held for short codes, rendezvous answers given, records refused. */
  /** Pending invitations held, cancellations kept, rendezvous answers given, what was dropped. */
  invites?: { pending: number; cancelled: number; answered: number; dropped: Record<string, number> };
}

/** One dial of the reconnect order, and how it ended. */
export interface DialRecord {
  id: NodeId;
  at: number;
  /** Links up when the dial was made. */
  links: number;
  outcome: 'pending' | 'linked' | 'failed' | 'timeout';
  /** Why a failed dial failed, as the mesh said (`peer-full`, `no-answer-through-mesh`, a link's end). */
  reason?: string;
}

/** What a follower tab shows: the leader's state, as of its latest broadcast. */
export interface Snapshot {
  id: NodeId;
  nickname: string;
  peers: Peer[];
  stats: NodeStats;
  grid: GridInfo | undefined;
  status: NodeStatus;
}

/** A call a follower tab forwards to the leader. */
export type Command =
  | { op: 'publish'; service: string; params: Record<string, string> }
  | { op: 'unpublish'; service: string }
  | { op: 'nickname'; nickname: string }
  | { op: 'policy'; id: string; policy: Policy | undefined };

/** Grid id of an open development grid. */
export const devGridId = (name: string): Uint8Array => sha256(utf8(`gridnode/dev-grid/v1\n${name}`));

export const cryptoRandom: Random = {
  next: () => crypto.getRandomValues(new Uint32Array(1))[0]! / 4294967296,
  bytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
};

/** A call that only the leader tab may make, made in a follower tab. */
export class NotLeaderError extends Error {
  override name = 'NotLeaderError';
  constructor() {
    super('this tab follows another tab of this browser; use that one');
  }
}
