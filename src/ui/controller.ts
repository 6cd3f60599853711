/**
 * The bridge between a node and the elements that show it. Elements never call the node (or the network)
 * themselves: the shell owns one `GridController`, reads its state in `render()` and hands intents from
 * element events to its actions. The controller listens to the node's events and asks its host to render
 * again; it also keeps what only the UI needs: a bounded activity log, the last invitation made, which
 * action is running and the last error, and the user's petnames for members.
 *
 * `NodeLike` is the part of `GridNode` the UI uses, written out here so the elements can be tested against
 * a small fake and so a missing or changed method of `GridNode` shows up as one type error at the place
 * where a real node is handed in.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

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
}

export interface Invitation {
  url: string;
  /** The 26-character code (a long one for invitations made before short codes). */
  code: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** How many other members hold it, as far as the inviter heard; undefined if not known. */
  heldBy?: number;
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
}

/** What the UI shows of one member: the node's view of it plus the user's own notes. */
export interface Member {
  id: string;
  /** Chosen by the member itself: untrusted, shown only as text. */
  nickname: string;
  /** Chosen by this user, kept in this browser. */
  petname: string | undefined;
  /** Petname, else nickname, else the start of the id. */
  name: string;
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
  revoked: boolean;
  policy: Policy | undefined;
}

export interface Activity extends ActivityDetail {
  /** Increasing, to key list items. */
  seq: number;
}

/** An action the controller is running, shown as progress by the elements that started it. */
export type Busy =
  | 'create'
  | 'join'
  | 'switch'
  | 'invite'
  | 'nickname'
  | 'services'
  | 'relays'
  | 'ice'
  | 'policy'
  | 'revoke'
  | 'leave';

/** Where petnames are kept: `localStorage` in the page, a fake in tests. */
export type PetnameStorage = Pick<Storage, 'getItem' | 'setItem'>;

export interface GridControllerOptions {
  storage?: PetnameStorage | undefined;
  /** localStorage key of the petnames; the widget uses its own so the two never mix. */
  storageKey?: string;
  /** Activity entries kept; older ones are dropped. */
  maxActivity?: number;
}

export const shortId = (id: string): string => (id.startsWith('v0-') ? id.slice(3, 11) : id.slice(0, 8));

const NODE_EVENTS = ['change', 'peer-up', 'peer-down', 'announcement', 'role', 'status'] as const;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function defaultStorage(): PetnameStorage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    // Opaque origins and some privacy modes throw on access: petnames then last for the page only.
    return undefined;
  }
}

export class GridController implements ReactiveController {
  /** The newest invitation made here, until the grid changes. */
  invite: Invitation | undefined;

  /** The invitation made last, with how many other members hold it now. */
  get inviteNow(): Invitation | undefined {
    const invite = this.invite;
    const heldBy = invite && this.nodeValue?.invitationHeldBy?.(invite.code);
    return invite && heldBy !== undefined ? { ...invite, heldBy } : invite;
  }
  busy: Busy | undefined;
  /** The grids this node belongs to (the active one among them), read again when the active one changes. */
  memberships: GridInfo[] = [];
  /** The last action that failed, and why (cleared when the next action starts). */
  error: { action: Busy; message: string } | undefined;
  private nodeValue: NodeLike | undefined;
  private subscribed: NodeLike | undefined;
  private hostIsConnected = false;
  /** The active grid when `memberships` was last read (`null`: never read). */
  private membershipsOf: string | undefined | null = null;
  private log: Activity[] = [];
  private seq = 0;
  private petnameMap: Record<string, string>;
  private readonly storage: PetnameStorage | undefined;
  private readonly storageKey: string;
  private readonly maxActivity: number;
  private readonly refresh = () => this.host.requestUpdate();
  private readonly onActivity = (event: Event) => {
    const detail = (event as CustomEvent<ActivityDetail>).detail;
    if (!detail || typeof detail.kind !== 'string') return;
    this.record(detail);
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    options: GridControllerOptions = {},
  ) {
    this.storage = 'storage' in options ? options.storage : defaultStorage();
    this.storageKey = options.storageKey ?? 'gridnode:petnames';
    this.maxActivity = options.maxActivity ?? 200;
    this.petnameMap = this.loadPetnames();
    host.addController(this);
  }

  get node(): NodeLike | undefined {
    return this.nodeValue;
  }

  set node(node: NodeLike | undefined) {
    if (node === this.nodeValue) return;
    this.unsubscribe();
    this.nodeValue = node;
    this.invite = undefined;
    this.error = undefined;
    this.memberships = [];
    this.membershipsOf = null;
    this.subscribe();
    this.host.requestUpdate();
  }

  hostConnected(): void {
    this.hostIsConnected = true;
    this.subscribe();
  }

  hostUpdate(): void {
    const node = this.nodeValue;
    const active = node?.grid?.id;
    if (!node || !this.hostIsConnected || active === this.membershipsOf) return;
    this.membershipsOf = active;
    node.grids().then(
      (grids) => {
        if (node !== this.nodeValue) return;
        this.memberships = grids;
        this.host.requestUpdate();
      },
      // A follower tab or a closing store: the switcher just shows the active grid.
      () => undefined,
    );
  }

  hostDisconnected(): void {
    this.hostIsConnected = false;
    this.unsubscribe();
  }

  // ——— State ———————————————————————————————————————————————————————————————————————————————————————

  /** `'idle'` also stands for "no node yet". */
  get status(): NodeStatus {
    const node = this.nodeValue;
    if (!node || node.role === 'stopped') return node ? 'offline' : 'idle';
    return node.status ?? 'idle';
  }

  get role(): NodeRole {
    return this.nodeValue?.role ?? 'starting';
  }

  get grid(): GridInfo | undefined {
    return this.nodeValue?.grid;
  }

  get selfId(): string | undefined {
    return this.nodeValue?.id;
  }

  get nickname(): string {
    return this.nodeValue?.nickname ?? '';
  }

  /** Newest last. */
  get activity(): readonly Activity[] {
    return this.log;
  }

  get petnames(): Readonly<Record<string, string>> {
    return this.petnameMap;
  }

  /** Every member this node knows, itself first, then online ones, then by name. */
  get members(): Member[] {
    const node = this.nodeValue;
    if (!node) return [];
    const peers = node.getPeers();
    const policy = node.policy();
    const nicknames = new Map(peers.map((p) => [p.id, p.nickname]));
    const nameOf = (id: string) => this.petnameMap[id] || nicknames.get(id) || shortId(id);
    const members = peers.map((p): Member => {
      const petname = this.petnameMap[p.id] || undefined;
      return {
        id: p.id,
        nickname: p.nickname,
        petname,
        name: petname ?? (p.nickname || shortId(p.id)),
        self: p.self,
        online: p.self || p.connected,
        connected: p.connected,
        lastSeen: p.lastSeen,
        rttMs: p.rttMs,
        uptimeMs: p.uptimeMs,
        failuresInRow: p.failuresInRow,
        services: Object.keys(p.services).sort(),
        role: p.role,
        invitedBy: p.invitedBy,
        invitedByName: p.invitedBy === undefined ? undefined : nameOf(p.invitedBy),
        revoked: p.revoked ?? false,
        policy: policy[p.id],
      };
    });
    const rank = (m: Member) => (m.self ? 0 : m.online ? 1 : 2);
    return members.sort(
      (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
    );
  }

  /** Services this node offers now. */
  get services(): string[] {
    const self = this.nodeValue?.getPeers().find((p) => p.self);
    return self ? Object.keys(self.services).sort() : [];
  }

  get relays(): string[] {
    return this.nodeValue?.relays() ?? [];
  }

  get iceServers(): RTCIceServer[] {
    return this.nodeValue?.iceServers() ?? [];
  }

  get iceTransportPolicy(): 'relay' | 'all' {
    return this.nodeValue?.iceTransportPolicy() ?? 'all';
  }

  /** The display name of `id`: petname, nickname or the start of the id. */
  nameOf(id: string): string {
    const petname = this.petnameMap[id];
    if (petname) return petname;
    return this.nodeValue?.getPeers().find((p) => p.id === id)?.nickname || shortId(id);
  }

  // ——— Actions: each records progress in `busy` and a failure in `error`, and never throws ———————————

  createGrid(name: string): Promise<GridInfo | undefined> {
    return this.act('create', (node) => node.createGrid(name));
  }

  acceptInvite(invitation: string): Promise<GridInfo | undefined> {
    return this.act('join', (node) => node.acceptInvite(invitation));
  }

  useGrid(id: string): Promise<GridInfo | undefined> {
    return this.act('switch', (node) => node.useGrid(id));
  }

  createInvite(options: InviteOptions): Promise<Invitation | undefined> {
    return this.act('invite', async (node) => (this.invite = await node.createInvite(options)));
  }

  setNickname(nickname: string): Promise<void> {
    return this.act('nickname', (node) => node.setNickname(nickname));
  }

  setService(service: string, offered: boolean): Promise<void> {
    return this.act('services', (node) => (offered ? node.publish(service) : node.unpublish(service)));
  }

  setRelays(relays: string[]): Promise<void> {
    return this.act('relays', (node) => node.setRelays(relays));
  }

  setIceServers(servers: RTCIceServer[], transportPolicy: 'relay' | 'all' = 'all'): Promise<void> {
    return this.act('ice', (node) => node.setIceServers(servers, { transportPolicy }));
  }

  setPolicy(id: string, policy: Policy | undefined): Promise<void> {
    return this.act('policy', (node) => node.setPolicy(id, policy));
  }

  revoke(id: string): Promise<void> {
    return this.act('revoke', (node) => node.revoke(id));
  }

  leave(): Promise<void> {
    return this.act('leave', async (node) => {
      await node.leave();
      this.invite = undefined;
    });
  }

  setPetname(id: string, petname: string): void {
    const name = petname.trim();
    if (name) this.petnameMap = { ...this.petnameMap, [id]: name };
    else {
      const { [id]: _, ...rest } = this.petnameMap;
      this.petnameMap = rest;
    }
    try {
      this.storage?.setItem(this.storageKey, JSON.stringify(this.petnameMap));
    } catch {
      // Quota or privacy mode: the name still holds for this page.
    }
    this.host.requestUpdate();
  }

  /** Why the last of `actions` failed, if the last action to fail was one of them. */
  errorOf(...actions: Busy[]): string | undefined {
    return this.error && actions.includes(this.error.action) ? this.error.message : undefined;
  }

  clearError(): void {
    this.error = undefined;
    this.host.requestUpdate();
  }

  // ——— Inside ——————————————————————————————————————————————————————————————————————————————————————

  private async act<T>(busy: Busy, action: (node: NodeLike) => Promise<T>): Promise<T | undefined> {
    const node = this.nodeValue;
    if (!node) return undefined;
    this.busy = busy;
    this.error = undefined;
    this.host.requestUpdate();
    try {
      return await action(node);
    } catch (error) {
      this.error = { action: busy, message: messageOf(error) };
      return undefined;
    } finally {
      this.busy = undefined;
      this.host.requestUpdate();
    }
  }

  private record(detail: ActivityDetail): void {
    const entry: Activity = {
      kind: detail.kind,
      id: typeof detail.id === 'string' ? detail.id : undefined,
      reason: typeof detail.reason === 'string' ? detail.reason : undefined,
      at: Number.isFinite(detail.at) ? detail.at : Date.now(),
      seq: ++this.seq,
    };
    this.log = [...this.log.slice(Math.max(0, this.log.length + 1 - this.maxActivity)), entry];
    this.host.requestUpdate();
  }

  private subscribe(): void {
    const node = this.nodeValue;
    // A host out of the document holds no listeners, so a removed element can be collected.
    if (!node || !this.hostIsConnected || this.subscribed === node) return;
    this.unsubscribe();
    for (const type of NODE_EVENTS) node.addEventListener(type, this.refresh);
    node.addEventListener('activity', this.onActivity);
    this.subscribed = node;
  }

  private unsubscribe(): void {
    const node = this.subscribed;
    if (!node) return;
    for (const type of NODE_EVENTS) node.removeEventListener(type, this.refresh);
    node.removeEventListener('activity', this.onActivity);
    this.subscribed = undefined;
  }

  private loadPetnames(): Record<string, string> {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(this.storageKey) ?? '{}');
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
      // Stored by this page, but another script of this origin could have written anything there.
      return Object.fromEntries(
        Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
      );
    } catch {
      return {};
    }
  }
}
