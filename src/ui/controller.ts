/**
 * The bridge between a node and the elements that show it. Elements never call the node (or the network)
 * themselves: the shell owns one `GridController`, reads its state in `render()` and hands intents from
 * element events to its actions. The controller listens to the node's events and asks its host to render
 * again; it also keeps what only the UI needs: a bounded activity log, the last invitation made, which
 * action is running and the last error, and the user's petnames for members.
 *
 * The node's shape the UI relies on is `NodeLike` (./node-types.ts, re-exported here with the other
 * shapes). The panels of the node's services have controllers of their own beside this one
 * (./storage-controller.ts, ./files-controller.ts) that run their actions through `run`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  type ActivityLog,
  type ActivityLogOptions,
  activityLogDefaults,
  appendActivity,
  emptyActivityLog,
} from './activity-log.ts';
import type { DisplayName } from './display-name.ts';
import { deriveMembers, memberNames, nameOf, whoOf } from './members.ts';
import type {
  Activity,
  ActivityDetail,
  Busy,
  GridInfo,
  Invitation,
  InviteListItem,
  InviteOptions,
  Member,
  NodeLike,
  NodeRole,
  NodeStatus,
  Policy,
} from './node-types.ts';
import { type PetnameStorage, defaultPetnameStorage, loadPetnames, withPetname } from './petnames.ts';

export type * from './node-types.ts';
export type { PetnameStorage } from './petnames.ts';
export { shortId } from './members.ts';
export type { DisplayName } from './display-name.ts';

export interface GridControllerOptions {
  storage?: PetnameStorage | undefined;
  /** localStorage key of the petnames; the widget uses its own so the two never mix. */
  storageKey?: string;
  /** Activity entries kept; older ones are dropped. */
  maxActivity?: number;
  /** Of those, at most this many refusal lines (default a quarter of `maxActivity`); see ./activity-log.ts. */
  maxRefusals?: number;
  /** Refusals of one peer for one reason this close together share a line (default 5 min). */
  foldWindowMs?: number;
}

const NODE_EVENTS = ['change', 'peer-up', 'peer-down', 'announcement', 'role', 'status'] as const;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
  private log: ActivityLog = emptyActivityLog;
  private petnameMap: Record<string, string>;
  private readonly storage: PetnameStorage | undefined;
  private readonly storageKey: string;
  private readonly logOptions: ActivityLogOptions;
  private readonly refresh = () => this.host.requestUpdate();
  /** A member joined with an invitation we named: it gets that name as its petname, unless it has one. */
  private readonly onInviteJoined = (event: Event) => {
    const { id, name } = ((event as CustomEvent).detail ?? {}) as { id?: unknown; name?: unknown };
    if (typeof id !== 'string' || typeof name !== 'string' || !name.trim() || this.petnameMap[id]) return;
    this.setPetname(id, name.slice(0, 64));
  };
  private readonly onActivity = (event: Event) => {
    const detail = (event as CustomEvent<ActivityDetail>).detail;
    const next = appendActivity(this.log, detail, Date.now(), this.logOptions);
    if (next === this.log) return;
    this.log = next;
    this.host.requestUpdate();
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    options: GridControllerOptions = {},
  ) {
    this.storage = 'storage' in options ? options.storage : defaultPetnameStorage();
    this.storageKey = options.storageKey ?? 'gridnode:petnames';
    const max = options.maxActivity ?? activityLogDefaults.max;
    this.logOptions = {
      max,
      maxRefusals: options.maxRefusals ?? Math.max(1, Math.floor(max / 4)),
      windowMs: options.foldWindowMs ?? activityLogDefaults.windowMs,
    };
    this.petnameMap = loadPetnames(this.storage, this.storageKey);
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

  /** Newest last; refusals of one peer and reason folded into one line with a count. */
  get activity(): readonly Activity[] {
    return this.log.entries;
  }

  /** Refusals no longer in `activity`, pushed out by newer refusal lines (each envelope counted). */
  get droppedRefusals(): number {
    return this.log.droppedRefusals;
  }

  get petnames(): Readonly<Record<string, string>> {
    return this.petnameMap;
  }

  /** Every member this node knows, itself first, then online ones, then by name. */
  get members(): Member[] {
    return this.nodeValue ? deriveMembers(this.nodeValue, this.petnameMap) : [];
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
    return nameOf(this.nodeValue, this.petnameMap, id);
  }

  /**
   * A function naming any id as shown — cleaned name, short id, lookalikes marked — from the members
   * known now (read once: call it again after a change).
   */
  namer(): (id: string) => DisplayName {
    const names = memberNames(this.nodeValue, this.petnameMap);
    return (id) => whoOf(names, id);
  }

  // ——— Actions: each records progress in `busy` and a failure in `error`, and never throws ———————————

  createGrid(name: string): Promise<GridInfo | undefined> {
    return this.run('create', (node) => node.createGrid(name));
  }

  acceptInvite(invitation: string): Promise<GridInfo | undefined> {
    return this.run('join', (node) => node.acceptInvite(invitation));
  }

  useGrid(id: string): Promise<GridInfo | undefined> {
    return this.run('switch', (node) => node.useGrid(id));
  }

  createInvite(options: InviteOptions): Promise<Invitation | undefined> {
    return this.run('invite', async (node) => (this.invite = await node.createInvite(options)));
  }

  /** The invitations this node made, newest first (none in a follower tab). */
  get invites(): InviteListItem[] {
    return this.nodeValue?.invites?.() ?? [];
  }

  cancelInvite(code: string): Promise<void> {
    return this.run('cancel-invite', async (node) => {
      if (!node.cancelInvite) throw new Error('this node cannot cancel invitations');
      await node.cancelInvite(code);
    });
  }

  setNickname(nickname: string): Promise<void> {
    return this.run('nickname', (node) => node.setNickname(nickname));
  }

  setService(service: string, offered: boolean): Promise<void> {
    return this.run('services', (node) => (offered ? node.publish(service) : node.unpublish(service)));
  }

  setRelays(relays: string[]): Promise<void> {
    return this.run('relays', (node) => node.setRelays(relays));
  }

  setIceServers(servers: RTCIceServer[], transportPolicy: 'relay' | 'all' = 'all'): Promise<void> {
    return this.run('ice', (node) => node.setIceServers(servers, { transportPolicy }));
  }

  setPolicy(id: string, policy: Policy | undefined): Promise<void> {
    return this.run('policy', (node) => node.setPolicy(id, policy));
  }

  revoke(id: string): Promise<void> {
    return this.run('revoke', (node) => node.revoke(id));
  }

  leave(): Promise<void> {
    return this.run('leave', async (node) => {
      await node.leave();
      this.invite = undefined;
    });
  }

  setPetname(id: string, petname: string): void {
    this.petnameMap = withPetname(this.petnameMap, id, petname, this.storage, this.storageKey);
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

  /** Runs one action on the node: `busy` while it runs, its failure in `error`; never throws. */
  async run<T>(busy: Busy, action: (node: NodeLike) => Promise<T>): Promise<T | undefined> {
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

  private subscribe(): void {
    const node = this.nodeValue;
    // A host out of the document holds no listeners, so a removed element can be collected.
    if (!node || !this.hostIsConnected || this.subscribed === node) return;
    this.unsubscribe();
    for (const type of NODE_EVENTS) node.addEventListener(type, this.refresh);
    node.addEventListener('activity', this.onActivity);
    node.addEventListener('invite-joined', this.onInviteJoined);
    this.subscribed = node;
  }

  private unsubscribe(): void {
    const node = this.subscribed;
    if (!node) return;
    for (const type of NODE_EVENTS) node.removeEventListener(type, this.refresh);
    node.removeEventListener('activity', this.onActivity);
    node.removeEventListener('invite-joined', this.onInviteJoined);
    this.subscribed = undefined;
  }
}
