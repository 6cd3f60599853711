/**
 * `GridNode`: the one public API of a node, used by the dashboard, the widget and embedding pages
 * (README's `GridNode` section). A thin facade over rooms with one concern each:
 *
 * - `leadership.ts`: one node per browser profile (Web Lock), followers mirror it (BroadcastChannel);
 * - `runtime.ts`: the pure core driven in one input queue, its timer, its outputs applied;
 * - `guard.ts`: membership checks, revocations, expulsion;
 * - `invitations.ts`: issuing, redeeming and witnessing invitations;
 * - `settings.ts`: relays, ICE servers, policy, nickname, services offered;
 * - `../services/`: what the node offers over its links, reached as `gridNode.<name>`.
 *
 * Grids: a node is in at most one grid at a time (it may be a member of several; the others are kept in
 * IndexedDB). `createGrid` founds one, `acceptInvite` joins one, `leave` says goodbye.
 *
 * Events (all `CustomEvent`): `change` (anything shown may have changed), `peer-up` / `peer-down`
 * (`detail: { id, reason? }`), `announcement` (`detail: { id, seqnum }`), `role` (`detail: { role }`),
 * `activity` (`detail: { kind: 'join' | 'leave' | 'rejected' | 'reconnect' | 'revoked' | 'status', id?,
 * reason?, at }`), `flagged` (`detail: { id, reason }`), `membership-lost` (`detail: { grid, reason:
 * 'revoked' | 'invite-used', message }`: this node has left the grid), `invite-joined` (`detail: { code, id,
 * name? }`: a member joined with one of this node's invitations).
 */
import { type NodeId, type ServiceParams, toHex } from '../core/index.ts';
import type { ServiceMap } from '../services/types.ts';
import { foundGrid, type GridInfo, gridInfo } from './grids.ts';
import type { InviteView } from './invite-book.ts';
import type { InviteOptions } from './invitations.ts';
import { join, type JoinTimes, startTimes } from './join.ts';
import { Leadership } from './leadership.ts';
import { linkTo } from './link-to.ts';
import { checkCommand } from './commands.ts';
import { followPeers, type PeerChange } from './follow-peers.ts';
import { GridSession } from './session.ts';
import type { IceTransportPolicy } from './settings.ts';
import {
  type Activity,
  type ActivityKind,
  type Command,
  type GridNodeOptions,
  type NodeRole,
  type NodeStats,
  type NodeStatus,
  NotLeaderError,
  type Peer,
  type Policy,
} from './types.ts';

/** The services of `ServiceMap`, as properties (`gridNode.ping`); defined on each node at `create`. */
export type { PeerChange } from './follow-peers.ts';

export interface GridNode extends Readonly<ServiceMap> {}

export class GridNode extends EventTarget {
  private session!: GridSession;
  private joining = false;
  /** Where the time of the last `acceptInvite` went (join.ts; read by `npm run bench:join`). */
  joinTimes: JoinTimes | undefined;
  private lastStatus: NodeStatus | undefined;
  private readonly leadership: Leadership;

  private constructor(options: GridNodeOptions) {
    super();
    this.leadership = new Leadership(`gridnode:${options.dbName ?? 'gridnode'}`, {
      lead: () => this.lead(),
      role: (role) => {
        this.dispatchEvent(new CustomEvent('role', { detail: { role } }));
        this.changed();
      },
      snapshot: () => ({
        id: this.id,
        nickname: this.nickname,
        peers: this.getPeers(),
        stats: this.stats(),
        grid: this.grid,
        status: this.status,
      }),
      command: (command) => void this.run(command),
      followed: () => this.dispatchEvent(new CustomEvent('change')),
    });
  }

  /** Opens the node's store and identity; `start()` then joins the grid. */
  static async create(options: GridNodeOptions): Promise<GridNode> {
    const node = new GridNode(options);
    node.session = await GridSession.open(options, {
      emit: (type, detail) => node.dispatchEvent(new CustomEvent(type, { detail })),
      activity: (kind, id, reason) => node.activity(kind, id, reason),
      changed: () => node.changed(),
    });
    // Each service is reached as `gridNode.<name>` (typed through ServiceMap).
    for (const name of node.session.services.names())
      Object.defineProperty(node, name, { value: node.session.services.get(name), enumerable: true });
    return node;
  }

  get id(): NodeId {
    return this.session.id;
  }

  get role(): NodeRole {
    return this.leadership.role;
  }

  get nickname(): string {
    return this.session.runtime.core ? this.session.nickname : (this.leadership.snapshot?.nickname ?? '');
  }

  /**
   * Runs the node in this tab if no other tab of this profile does; otherwise follows the one that does,
   * and takes over when it goes. Resolves once this tab is either leader or follower.
   */
  async start(): Promise<void> {
    if (this.role !== 'starting' && this.role !== 'stopped') return;
    this.leadership.role = 'starting';
    await this.leadership.start();
  }

  /** Leaves the grid in this tab (links closed, state flushed). The stored identity and peers remain. */
  async stop(): Promise<void> {
    if (this.role === 'stopped') return;
    // Close links at once (peers see them go now, not after an ICE timeout), then drain the queue.
    this.session.runtime.mesh?.stop();
    await this.session.runtime.enqueue(() => this.session.stopRuntime());
    this.leadership.stop();
  }

  private async lead(): Promise<void> {
    await this.session.settings.loadPolicy();
    // A tab that waited as a follower may be behind: the leader it replaces may have joined a grid since.
    this.session.active = await this.session.loadGrid();
    if (this.session.active) await this.session.startRuntime();
    this.leadership.setRole('leader');
  }

  private changed(): void {
    this.dispatchEvent(new CustomEvent('change'));
    const status = this.status;
    if (status !== this.lastStatus) {
      this.lastStatus = status;
      this.activity('status', undefined, status);
    }
    this.leadership.changed();
  }

  private activity(kind: ActivityKind, id?: string, reason?: string): void {
    const detail: Activity = { kind, at: Date.now(), ...(id ? { id } : {}), ...(reason ? { reason } : {}) };
    this.dispatchEvent(new CustomEvent('activity', { detail }));
  }

  private requireLeader(): void {
    if (this.role !== 'leader') throw new NotLeaderError();
  }

  private async run(unchecked: Command): Promise<void> {
    const command = checkCommand(unchecked);
    if (this.role === 'follower') return this.leadership.forward(command);
    const input = this.session.runtime.input.bind(this.session.runtime);
    switch (command.op) {
      case 'publish':
        await input((c) => c.publish(command.service, command.params));
        break;
      case 'unpublish':
        await input((c) => c.unpublish(command.service));
        break;
      case 'policy':
        await this.session.settings.setPolicy(command.id, command.policy);
        this.session.services.policyChanged();
        break;
      case 'nickname':
        await this.session.settings.setNickname(command.nickname);
        this.session.nickname = command.nickname;
        await input((c) => c.setNickname(command.nickname));
        break;
    }
    if (
      (command.op === 'publish' || command.op === 'unpublish') &&
      this.session.runtime.core &&
      this.session.active
    )
      await this.session.settings.setServices(this.session.active.hex, this.session.ownServices());
    this.changed();
  }

  // ——— The public API ——————————————————————————————————————————————————————————————————————————————

  /** The grid this node is in, if any. */
  get grid(): GridInfo | undefined {
    if (this.role === 'follower') return this.leadership.snapshot?.grid;
    return this.session.active ? gridInfo(this.session.active) : undefined;
  }

  /** Where the node stands, for people: no grid, joining, looking for peers, online, or offline. */
  get status(): NodeStatus {
    if (this.role === 'follower') return this.leadership.snapshot?.status ?? 'idle';
    if (!this.session.active) return 'idle';
    const mesh = this.session.runtime?.mesh?.status();
    if (!mesh) return 'joining';
    if (mesh.up > 0) return 'online';
    if (this.joining) return 'joining';
    return mesh.signaling.relays.some((r) => r.state === 'open') ? 'connecting' : 'offline';
  }

  /** Founds a grid with this node as its first admin, and joins it. */
  async createGrid(name: string): Promise<GridInfo> {
    this.requireLeader();
    const grid = await foundGrid(name, this.session.publicKey, Date.now());
    await this.session.switchGrid(grid);
    return gridInfo(grid);
  }

  /** Every grid this node is a member of (one is active at a time), as stored in this browser. */
  async grids(): Promise<GridInfo[]> {
    const out: GridInfo[] = [];
    for (const record of (await this.session.store.listGrids()).values()) {
      const grid = await this.session.fromRecord(record);
      if (grid) out.push(gridInfo(grid));
    }
    return out;
  }

  /** Makes another grid this node belongs to the active one. */
  async useGrid(id: string): Promise<GridInfo> {
    this.requireLeader();
    const grid = await this.session.fromRecord(await this.session.store.getGrid(id));
    if (!grid) throw new Error('this node is not a member of that grid');
    await this.session.switchGrid(grid);
    return gridInfo(grid);
  }

  /** The grid key, for the founder to keep as a backup (hex of the 32-byte secret). */
  exportGridKey(): string {
    if (!this.session.active?.gridSecret) throw new Error('only the founder holds the grid key');
    return toHex(this.session.active.gridSecret);
  }

  /**
   * The grid key of any grid this node founded, even one it has left or been expelled from: the secret
   * is kept apart from memberships (src/store/membership-records.ts) and only ever read to export it.
   */
  async exportStoredGridKey(gridIdHex: string): Promise<string> {
    const secret = await this.session.store.membership.getGridSecret(gridIdHex);
    if (!secret) throw new Error('this node holds no grid key for that grid');
    return toHex(secret);
  }

  /**
   * Makes a single-use invitation. Its link carries the code in the fragment (`#invite=…`), which
   * browsers never send to a server.
   */
  async createInvite(options: InviteOptions = {}) {
    this.requireLeader();
    if (!this.session.active) throw new Error('join or create a grid first');
    const made = await this.session.invitations.create(this.session.active, options);
    this.changed();
    return made;
  }

  /** The invitations this node made in the active grid, newest first: name, state, who joined with it. */
  invites(): InviteView[] {
    return this.role === 'leader' ? this.session.invitations.list() : [];
  }

  /** Cancels an invitation this node made (not yet used): its code is then answered by nobody. */
  async cancelInvite(code: string): Promise<void> {
    this.requireLeader();
    await this.session.invitations.cancel(code);
    this.changed();
  }

  /** How many other members said they hold the pending invitation of `code` (one this node made). */
  invitationHeldBy(code: string): number {
    return this.session.codes.heldBy(code);
  }

  /** The long invitation a link or code stands for: a short code is fetched from the grid's members. */
  resolveInvite(urlOrCode: string): Promise<string> {
    return this.session.codes.resolve(urlOrCode);
  }

  /** Joins the grid of an invitation (a link, a short code as typed, or a long code); see join.ts. */
  acceptInvite(urlOrCode: string): Promise<GridInfo> {
    this.requireLeader();
    this.joinTimes = startTimes();
    return join(this.session, urlOrCode, this.joinTimes, (flag) => {
      this.joining = flag;
      this.changed();
    });
  }

  /**
   * An admin revokes a member: the signed revocation joins the grid's revocation set, which every node
   * persists and reconciles with its links. Only a founder revokes a founder's node.
   */
  async revoke(id: string): Promise<void> {
    this.requireLeader();
    await this.session.guard.revoke(id, this.id);
  }

  /** Says a signed goodbye (so others forget this node at once) and leaves the grid. */
  async leave(): Promise<void> {
    this.requireLeader();
    const grid = this.session.active;
    if (!grid) return;
    this.session.guard.leaving = true;
    await this.session.runtime.input((core) => {
      const out = core.setMembership(this.session.guard.ownMembership());
      for (const service of Object.keys(this.session.ownServices())) out.push(...core.unpublish(service));
      return out;
    });
    await this.session.runtime.idle();
    // Give the goodbye a moment to leave on every link before they close.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    this.session.guard.leaving = false;
    await this.session.switchGrid(undefined);
    if (!grid.open) {
      await this.session.store.deleteGrid(grid.hex);
      await this.session.store.deleteSetting('activeGrid');
    }
  }

  /** This node's own allow/deny list for who may use its services (separate from membership). */
  policy(): Record<string, Policy> {
    return this.session.settings.policy();
  }

  setPolicy(id: string, policy: Policy | undefined): Promise<void> {
    return this.run({ op: 'policy', id, policy });
  }

  /** Whether `id` may use this node's services under the local policy: deny wins; an allow list limits. */
  mayUse(id: string): boolean {
    return this.session.settings.mayUse(id);
  }

  relays(): string[] {
    return this.session.settings.relays();
  }

  async setRelays(urls: string[]): Promise<void> {
    await this.session.settings.setRelays(urls);
    if (this.session.active && this.role === 'leader') await this.session.switchGrid(this.session.active);
  }

  iceServers(): RTCIceServer[] {
    return this.session.settings.iceServers();
  }

  iceTransportPolicy(): IceTransportPolicy {
    return this.session.settings.iceTransportPolicy();
  }

  /** ICE servers for new links; `transportPolicy: 'relay'` links only through TURN (needs a TURN server). */
  async setIceServers(servers: RTCIceServer[], options: { transportPolicy?: IceTransportPolicy } = {}) {
    await this.session.settings.setIceServers(servers, options.transportPolicy);
    if (this.session.active && this.role === 'leader') await this.session.switchGrid(this.session.active);
  }

  setNickname(nickname: string): Promise<void> {
    return this.run({ op: 'nickname', nickname });
  }

  /** Offers `service` (with string parameters) to the grid. */
  publish(service: string, params: ServiceParams = {}): Promise<void> {
    return this.run({ op: 'publish', service, params: { ...params } });
  }

  unpublish(service: string): Promise<void> {
    return this.run({ op: 'unpublish', service });
  }

  /**
   * Calls `callback` with each peer offering `service` now and whenever that set changes; returns the
   * function that stops it. In a follower tab, it follows the leader's state.
   */
  subscribe(service: string, callback: (event: PeerChange) => void): () => void {
    const update = followPeers(() => this.getPeers(service), callback);
    this.addEventListener('change', update);
    return () => this.removeEventListener('change', update);
  }

  /** Every known member (this node included), optionally only those offering `service`. */
  getPeers(service?: string): Peer[] {
    const core = this.session.runtime?.core;
    if (!core)
      return (this.leadership.snapshot?.peers ?? []).filter(
        (p) => service === undefined || service in p.services,
      );
    return core
      .getPeers(service)
      .filter((p) => !this.session.guard.members.get(p.id)?.leaving)
      .map((p) => this.session.toPeer(p));
  }

  /** Peers offering `service` in Tahoe-LAFS's permuted order for `storageIndex`. */
  getPermutedPeers(service: string, storageIndex: Uint8Array): Peer[] {
    return (this.session.runtime.core?.getPermutedPeers(service, storageIndex) ?? []).map((p) =>
      this.session.toPeer(p),
    );
  }

  /** Links to member `id` now, through the mesh if need be (link-to.ts); rejects with why not. */
  link(id: string): Promise<void> {
    return linkTo(this.session, this, id);
  }

  stats(): NodeStats {
    return this.session.stats(this.role) ?? { ...this.leadership.snapshot?.stats, role: this.role };
  }
}
