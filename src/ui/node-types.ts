/**
 * What the dashboard knows of a node: `NodeLike` is the part of `GridNode` the UI uses, written out here so
 * the elements can be tested against a small fake and so a missing or changed method of `GridNode` shows
 * up as one type error at the place where a real node is handed in; the rest are the shapes the
 * controllers derive from it for the elements (a `Member`, an `Activity`, the running action).
 *
 * The node's services are optional here: a fake node may have none, and a build without one still shows
 * the rest of the dashboard. `StorageLike` is `gridNode.storage` as the Storage panel uses it; the files
 * service's contract is `FilesApi` (src/services/files-types.ts) itself.
 */
import type { FilesApi } from '../services/files-types.ts';
import type { DisplayName } from './display-name.ts';

export type NodeStatus = 'idle' | 'joining' | 'connecting' | 'online' | 'offline';
export type NodeRole = 'starting' | 'leader' | 'follower' | 'stopped';
export type Policy = 'allow' | 'deny';
export type IceServer = RTCIceServer;

export interface GridInfo {
  id: string;
  name: string;
  role: 'admin' | 'member';
  canInvite: boolean;
  invitedBy?: string | undefined;
}

export interface InviteOptions {
  expiresInMs?: number;
  canInvite?: boolean;
  /** The inviter's name for whom it invites: the new member is shown under it here. */
  name?: string;
}

/** One invitation this node made, as `gridNode.invites()` lists it. */
export interface InviteListItem {
  code: string;
  url: string;
  expiresAt: number;
  createdAt: number;
  name?: string;
  state: 'pending' | 'joined' | 'expired' | 'cancelled';
  joinedBy?: string;
}

export interface Invitation {
  url: string;
  /** The 26-character code (a long one for invitations made before short codes). */
  code: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** How many other members hold it, as far as the inviter heard; undefined if not known. */
  heldBy?: number;
  /** The name the inviter gave whom it invites. */
  name?: string;
}

export interface PeerLike {
  id: string;
  nickname: string;
  services: Readonly<Record<string, Readonly<Record<string, string>>>>;
  seqnum: number;
  connected: boolean;
  lastSeen: number;
  self: boolean;
  rttMs: number | undefined;
  role?: 'admin' | 'member' | undefined;
  invitedBy?: string | undefined;
  uptimeMs?: number | undefined;
  failuresInRow?: number | undefined;
  revoked?: boolean | undefined;
}

export type ActivityKind = 'join' | 'leave' | 'rejected' | 'reconnect' | 'revoked' | 'forgotten' | 'status';

export interface ActivityDetail {
  kind: ActivityKind;
  id?: string | undefined;
  reason?: string | undefined;
  at: number;
}

export interface NodeLike extends EventTarget {
  readonly id: string;
  readonly nickname: string;
  readonly role: NodeRole;
  readonly status: NodeStatus;
  /** The grid this node is in, if any. */
  readonly grid: GridInfo | undefined;
  setNickname(nickname: string): Promise<void>;
  createGrid(name: string): Promise<GridInfo>;
  createInvite(options?: InviteOptions): Promise<Invitation>;
  acceptInvite(urlOrCode: string): Promise<GridInfo>;
  /** How many other members hold the pending invitation of `code` (one this node made). */
  invitationHeldBy?(code: string): number;
  /** The invitations this node made in the active grid, newest first. */
  invites?(): InviteListItem[];
  /** Cancels one of them (not yet used): its code is answered by nobody from then on. */
  cancelInvite?(code: string): Promise<void>;
  /** Every grid this node is a member of, as stored in this browser. */
  grids(): Promise<GridInfo[]>;
  /** Makes another grid this node belongs to the active one. */
  useGrid(id: string): Promise<GridInfo>;
  revoke(id: string): Promise<void>;
  leave(): Promise<void>;
  setPolicy(id: string, policy: Policy | undefined): Promise<void>;
  policy(): Record<string, Policy>;
  relays(): string[];
  setRelays(urls: string[]): Promise<void>;
  iceServers(): RTCIceServer[];
  iceTransportPolicy(): 'relay' | 'all';
  setIceServers(servers: RTCIceServer[], options?: { transportPolicy?: 'relay' | 'all' }): Promise<void>;
  publish(service: string, params?: Record<string, string>): Promise<void>;
  unpublish(service: string): Promise<void>;
  getPeers(service?: string): PeerLike[];
  /** `gridNode.storage`: this node's storage server. */
  readonly storage?: StorageLike | undefined;
  /** `gridNode.files`: uploads, downloads and the files this node uploaded. */
  readonly files?: FilesApi | undefined;
  /** `gridNode.clubs`: the storage clubs announced in the grid. */
  readonly clubs?: { list(): { id: string; name: string; owner: string }[] } | undefined;
}

/** One client of this node's storage (`gridNode.storage.clients()`). */
export interface StorageClientLike {
  id: string;
  bytes: number;
  shares: number;
  leases?: number;
  lastUsedAt: number | undefined;
  quota: number | undefined;
}

/** `gridNode.storage` as the dashboard uses it; fires 'change' when any answer would differ. */
export interface StorageLike extends EventTarget {
  /** `navigator.storage.persist()`'s answer; undefined until asked. */
  readonly persisted: boolean | undefined;
  /** The most this origin may offer; undefined where there is no estimate. */
  readonly offerLimit: number | undefined;
  clients(): StorageClientLike[];
  usage(): { offered: number; used: number; free: number };
  setOffer(bytes: number): Promise<void>;
  setQuota(id: string, bytes: number | undefined): Promise<void>;
  deleteClient(id: string): Promise<void>;
}

/** What the UI shows of one member: the node's view of it plus the user's own notes. */
export interface Member {
  id: string;
  /** Chosen by the member itself: untrusted, cleaned for display (no bidi or invisible characters). */
  nickname: string;
  /** Chosen by this user, kept in this browser. */
  petname: string | undefined;
  /** Petname, else nickname (both cleaned for display: ./display-name.ts), else the start of the id. */
  name: string;
  /** The first characters of the id, shown beside the name wherever a person decides something. */
  short: string;
  /** `name (short)`, or `short` alone when the member has no name: for labels, options and titles. */
  label: string;
  /** Another member's name looks like this one's: only the id tells them apart. */
  lookalike: boolean;
  self: boolean;
  /** This node itself, or linked to it now (the only liveness this node knows first-hand). */
  online: boolean;
  connected: boolean;
  lastSeen: number;
  rttMs: number | undefined;
  uptimeMs: number | undefined;
  failuresInRow: number | undefined;
  services: string[];
  role: 'admin' | 'member' | undefined;
  invitedBy: string | undefined;
  /** The inviter's name as this node knows it, else the start of its id. */
  invitedByName: string | undefined;
  /** The inviter as shown: name and short id. */
  invitedByWho: DisplayName | undefined;
  revoked: boolean;
  policy: Policy | undefined;
}

export interface Activity extends ActivityDetail {
  /** Increasing, to key list items. */
  seq: number;
  /** How many events this line stands for (refusals of one peer and reason are folded); 1 if absent. */
  count?: number | undefined;
  /** When the first of them happened (`at` is the newest); `at` if absent. */
  firstAt?: number | undefined;
}

/** An action the controller is running, shown as progress by the elements that started it. */
export type Busy =
  | 'create'
  | 'join'
  | 'switch'
  | 'invite'
  | 'cancel-invite'
  | 'nickname'
  | 'services'
  | 'relays'
  | 'ice'
  | 'policy'
  | 'revoke'
  | 'leave'
  | 'storage';
