/**
 * `GridNode`: the one public API of a node, used by the dashboard, the widget and embedding pages.
 *
 * It is the composition root. The pure core (`src/core`) decides; this file gives it time (a timer at
 * `nextDeadline()`), bytes (the mesh of WebRTC links), signatures (WebCrypto, cached verification) and
 * memory (IndexedDB), and turns its outputs into sends, writes and DOM events.
 *
 * Invariants:
 * - Every input to the core runs in one promise queue, so the asynchronous steps around it (verifying news,
 *   signing, the durable counter write) never interleave with another input.
 * - The counter is written durably before an announcement with that seqnum is signed, so a crash never
 *   leaves the counter behind a published seqnum.
 * - One browser profile runs one node: the tab holding the Web Lock `gridnode:<db>` is the leader and runs
 *   it; other tabs are followers that mirror its state over a BroadcastChannel and forward calls to it.
 *   When the leader tab closes, its lock is released and a waiting follower takes over at once.
 *
 * Grids: a node is in at most one grid at a time (it may be a member of several; the others are kept
 * in IndexedDB). `createGrid` founds one, `acceptInvite` joins one, `leave` says goodbye. Membership is
 * checked on every announcement by the rules of `core/membership.ts`.
 *
 * Events (all `CustomEvent`): `change` (anything shown may have changed), `peer-up` / `peer-down`
 * (`detail: { id, reason? }`), `announcement` (`detail: { id, seqnum }`), `role` (`detail: { role }`),
 * `activity` (`detail: { kind: 'join' | 'leave' | 'rejected' | 'reconnect' | 'revoked' | 'status', id?,
 * reason?, at }`), `flagged` (`detail: { id, reason }`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type CoreConfig,
  GossipNode,
  type NodeId,
  type Output,
  type PeerInfo,
  type Random,
  type Role,
  type ServiceParams,
  type Services,
  decodeMessage,
  encodeEnvelope,
  MessageType,
  nodeIdString,
  servicesForRole,
  toHex,
  utf8,
} from './core/index.ts';
import {
  GridMembership,
  type MemberRole,
  type Revocation,
  decodeMembership,
  encodeMembership,
  equalBytes,
  gridIdOf,
  parseNodeId,
  revocationMessage,
  signedRevocation,
} from './core/index.ts';
import { defaultVerifier, type Signer } from './crypto/ed25519.ts';
import {
  type ActiveGrid,
  type GridInfo,
  foundGrid,
  gridFromStored,
  gridInfo,
  gridToStored,
  issueInvite,
  membershipFor,
  completeRedemption,
  prepareRedemption,
  readInvite,
  redemptionRequest,
  witnessRedemption,
  type StoredGrid,
} from './grids.ts';
import { VerificationCache } from './crypto/verify-cache.ts';
import { Mesh } from './net/mesh.ts';
import { SignalingClient } from './net/signaling.ts';
import { base64urlDecode, base64urlEncode } from './net/seal.ts';
import { InviteError } from './core/index.ts';
import { type NodeStore, openStore } from './store/index.ts';

export interface GridNodeOptions {
  /** Signaling relays (y-webrtc protocol). */
  relays: string[];
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
export type { GridInfo } from './grids.ts';

export type NodeRole = 'starting' | 'leader' | 'follower' | 'stopped';

export interface NodeStats {
  role: NodeRole;
  core?: ReturnType<GossipNode['stats']>;
  mesh?: ReturnType<Mesh['status']>;
  store?: ReturnType<NodeStore['stats']>;
  verification?: { cached: number; hits: number; misses: number };
  /** Membership refusals beyond the core's drops (witness requests, links from revoked members). */
  refused?: Record<string, number>;
  /** The latest dials of this node's reconnect order (rule 2), oldest first. */
  dials?: DialRecord[];
}

/** One dial of the reconnect order, and how it ended. */
export interface DialRecord {
  id: NodeId;
  at: number;
  /** Links up when the dial was made. */
  links: number;
  outcome: 'pending' | 'linked' | 'failed' | 'timeout';
}

const MAX_DIAL_RECORDS = 64;

interface Snapshot {
  id: NodeId;
  nickname: string;
  peers: Peer[];
  stats: NodeStats;
  grid: GridInfo | undefined;
  status: NodeStatus;
}

/** What the node knows of another member from its latest admitted announcement. */
interface MemberFacts {
  role: MemberRole;
  invitedBy: NodeId | undefined;
  leaving: boolean;
}

type Command =
  | { op: 'publish'; service: string; params: Record<string, string> }
  | { op: 'unpublish'; service: string }
  | { op: 'nickname'; nickname: string }
  | { op: 'policy'; id: string; policy: Policy | undefined };

type ChannelMessage =
  { kind: 'snapshot'; snapshot: Snapshot } | { kind: 'command'; command: Command } | { kind: 'hello' };

/** Grid id of an open development grid. */
export const devGridId = (name: string): Uint8Array => sha256(utf8(`gridnode/dev-grid/v1\n${name}`));

const cryptoRandom: Random = {
  next: () => crypto.getRandomValues(new Uint32Array(1))[0]! / 4294967296,
  bytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
};

export class GridNode extends EventTarget {
  role: NodeRole = 'starting';
  private store!: NodeStore;
  private signer!: Signer;
  private core: GossipNode | undefined;
  private mesh: Mesh | undefined;
  private cache!: VerificationCache;
  private active: ActiveGrid | undefined;
  private membership: GridMembership | undefined;
  private readonly members = new Map<NodeId, MemberFacts>();
  private policies: Record<string, Policy> = {};
  /** Membership refusals made here, beyond the core's drops: witness requests and links refused. */
  private readonly refused: Record<string, number> = {};
  private leaving = false;
  private restoring = false;
  private joining = false;
  private readonly dbName: string;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private clock = 0;
  private announcing = false;
  private announceAgain = false;
  private releaseLock: (() => void) | undefined;
  private channel: BroadcastChannel | undefined;
  private snapshot: Snapshot | undefined;
  private snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly rtts = new Map<NodeId, number>();
  private readonly dials: DialRecord[] = [];
  private relayList: string[] | undefined;
  private lastStatus: NodeStatus | undefined;
  private iceList: RTCIceServer[] | undefined;
  private publicKey!: Uint8Array;
  private nicknameValue = '';

  private constructor(private readonly options: GridNodeOptions) {
    super();
    this.dbName = options.dbName ?? 'gridnode';
  }

  private get gridId(): Uint8Array {
    return this.active!.id;
  }

  private get gridHex(): string {
    return this.active!.hex;
  }

  /** Opens the node's store and identity; `start()` then joins the grid. */
  static async create(options: GridNodeOptions): Promise<GridNode> {
    const node = new GridNode(options);
    node.store = await openStore(node.dbName);
    const identity = await node.store.loadOrCreateIdentity();
    node.signer = identity.signer;
    node.publicKey = identity.publicKey;
    node.cache = new VerificationCache(await defaultVerifier());
    node.relayList = (await node.store.getSetting('relays')) as string[] | undefined;
    node.iceList = (await node.store.getSetting('iceServers')) as RTCIceServer[] | undefined;
    node.active = await node.loadGrid();
    return node;
  }

  private async loadGrid(): Promise<ActiveGrid | undefined> {
    const name = this.options.gridName;
    if (name !== undefined) {
      const id = devGridId(name);
      return { id, hex: toHex(id), name, open: true, chain: [], role: 'member', canInvite: false };
    }
    const hex = (await this.store.getSetting('activeGrid')) as string | undefined;
    return this.fromRecord(hex ? await this.store.getGrid(hex) : undefined);
  }

  /** A stored membership, checked again (storage is not trusted more than peers). */
  private fromRecord(record: { data?: unknown } | undefined): ActiveGrid | undefined {
    return record?.data ? gridFromStored(record.data as StoredGrid, this.publicKey, Date.now()) : undefined;
  }

  get id(): NodeId {
    return nodeIdString(this.publicKey);
  }

  get nickname(): string {
    return this.core ? this.nicknameValue : (this.snapshot?.nickname ?? '');
  }

  /**
   * Runs the node in this tab if no other tab of this profile does; otherwise follows the one that does,
   * and takes over when it goes. Resolves once this tab is either leader or follower.
   */
  async start(): Promise<void> {
    if (this.role !== 'starting' && this.role !== 'stopped') return;
    this.role = 'starting';
    this.channel = new BroadcastChannel(`gridnode:${this.dbName}`);
    this.channel.onmessage = (e: MessageEvent<ChannelMessage>) => this.onChannel(e.data);
    const lockName = `gridnode:${this.dbName}`;
    let becameLeader!: () => void;
    const leading = new Promise<void>((resolve) => (becameLeader = resolve));
    const held = new Promise<void>((resolve) => (this.releaseLock = resolve));
    const tryLock = (ifAvailable: boolean): Promise<boolean> =>
      navigator.locks.request(lockName, { ifAvailable }, async (lock): Promise<boolean> => {
        if (!lock) return false;
        await this.lead();
        becameLeader();
        await held;
        return true;
        // lib.dom types the result as a promise of the callback’s promise; the browser resolves it to its value.
      }) as unknown as Promise<boolean>;
    const got = tryLock(true);
    const first = await Promise.race([
      got.then((ok) => (ok ? 'leader' : 'follower')),
      leading.then(() => 'leader'),
    ]);
    if (first === 'leader') return;
    this.setRole('follower');
    this.channel.postMessage({ kind: 'hello' } satisfies ChannelMessage);
    // Wait in line: when the leader's tab closes, the browser hands the lock to the next waiter.
    void tryLock(false);
  }

  /** Leaves the grid in this tab (links closed, state flushed). The stored identity and peers remain. */
  async stop(): Promise<void> {
    if (this.role === 'stopped') return;
    // Close links at once (peers see them go now, not after an ICE timeout), then drain the queue.
    this.mesh?.stop();
    await this.enqueue(() => this.stopRuntime());
    clearTimeout(this.snapshotTimer);
    this.channel?.close();
    this.releaseLock?.();
    this.setRole('stopped');
  }

  // ——— The leader's node ——————————————————————————————————————————————————————————————————————————

  private async lead(): Promise<void> {
    this.policies = ((await this.store.getSetting('policy')) as Record<string, Policy> | undefined) ?? {};
    // A tab that waited as a follower may be behind: the leader it replaces may have joined a grid since.
    this.active = await this.loadGrid();
    if (this.active) await this.startRuntime();
    this.setRole('leader');
  }

  /** Joins the active grid: the core, its saved state, the mesh, and a first announcement. */
  private async startRuntime(): Promise<void> {
    const store = this.store;
    this.membership = membershipFor(this.active!);
    this.members.clear();
    const nickname =
      ((await store.getSetting('nickname')) as string | undefined) ?? this.options.nickname ?? '';
    const services =
      ((await store.getSetting(`services:${this.gridHex}`)) as Services | undefined) ??
      servicesForRole(this.options.role ?? 'storage');
    const counter = await store.loadCounter(this.gridHex);
    this.nicknameValue = nickname;
    const core = new GossipNode({
      publicKey: this.publicKey,
      gridId: this.gridId,
      random: cryptoRandom,
      counter,
      nickname,
      services,
      membership: this.ownMembership(),
      // Leaves room for the link's frame bytes under the data channel's 256 KiB message limit.
      config: { maxMessageBytes: 250 * 1024, ...this.options.config },
      ...(this.membership ? { admit: (origin, body, now) => this.admit(origin, body.membership, now) } : {}),
    });
    // What this node knew before: verify again (storage is not trusted more than peers), then restore.
    const saved = await store.loadAnnouncements(this.gridHex);
    await this.cache.verifyAll(
      saved.map((s) => s.envelope),
      core.config.maxBodyBytes,
    );
    const now = this.now();
    // Floors first, so that a forgotten announcement still on disk (a lost write) stays forgotten.
    for (const [peer, floor] of await store.loadFloors(this.gridHex)) {
      if (floor.until > now) core.restoreFloor(peer, floor.seqnum, floor.until);
      else store.queueFloorExpired(this.gridHex, peer);
    }
    this.restoring = true;
    for (const s of saved) core.restore(s.envelope, s.receivedAt, this.cache.lookup, now);
    this.restoring = false;
    for (const [peer, history] of await store.loadPeerHistory(this.gridHex)) {
      core.restoreHistory(peer, history);
    }
    this.core = core;
    this.mesh = new Mesh(
      {
        selfId: this.id,
        signer: this.signer,
        verifier: await defaultVerifier(),
        gridId: this.gridId,
        relays: this.relays(),
        iceServers: this.iceServers(),
        ...(this.options.maxLinks ? { maxLinks: this.options.maxLinks } : {}),
        // Broadcast only when the reconnect order has nobody left to try, so the peers seen last come first.
        wantsDiscovery: () => (this.core?.dialsInFlight ?? 0) === 0,
      },
      {
        up: (peer) => {
          if (this.isRevoked(peer)) {
            this.refuse('revoked-link', peer);
            this.tellRevoked(peer);
            return this.mesh?.close(peer);
          }
          const returning = this.core?.historyOf(peer).lastConnectedAt !== undefined;
          void this.input((c, now) => c.linkUp(peer, now)).then(() => {
            this.linkEvent('peer-up', peer);
            if (returning) this.activity('reconnect', peer);
          });
        },
        down: (peer, reason) =>
          void this.input((c, now) => c.linkDown(peer, now)).then(() =>
            this.linkEvent('peer-down', peer, reason),
          ),
        failed: (peer) => {
          this.dialEnded(peer, 'failed');
          void this.input((c, now) => c.linkFailed(peer, now));
        },
        message: (peer, bytes) => void this.receive(peer, bytes),
        request: (from, message) => void this.onRequest(from, message),
        rtt: (peer, ms) => {
          this.rtts.set(peer, ms);
          this.core?.recordRtt(peer, ms);
        },
      },
    );
    this.mesh.start();
    // Not awaited: this may run inside the input queue, where the announcement queues behind it.
    void this.announce();
    // The first tick dials the peers seen last (rule 2).
    void this.input((c, now) => c.tick(now));
    this.changed();
  }

  private async stopRuntime(): Promise<void> {
    clearTimeout(this.timer);
    this.mesh?.stop();
    this.mesh = undefined;
    this.core = undefined;
    this.membership = undefined;
    this.members.clear();
    await this.store.flush();
  }

  /** Leaves the current grid's runtime (if any) and joins `grid` (if any), in the input queue. */
  private switchGrid(grid: ActiveGrid | undefined): Promise<void> {
    return this.enqueue(async () => {
      await this.stopRuntime();
      this.active = grid;
      if (grid && !grid.open) {
        await this.store.putGrid(grid.hex, {
          name: grid.name,
          joinedAt: Date.now(),
          relays: this.relays(),
          data: gridToStored(grid) as never,
        });
        await this.store.setSetting('activeGrid', grid.hex);
      }
      if (grid) await this.startRuntime();
      this.changed();
    });
  }

  // ——— Membership ———————————————————————————————————————————————————————————————————————————————

  /** This node's own membership field: descriptor, chain, the revocations it knows, and a goodbye flag. */
  private ownMembership(): Uint8Array {
    const grid = this.active;
    if (!grid?.descriptor) return new Uint8Array(0);
    const revocations = this.membership?.knownRevocations().slice(-16) ?? [];
    return encodeMembership({
      descriptor: grid.descriptor,
      chain: grid.chain,
      revocations,
      leaving: this.leaving,
    });
  }

  /** The core's admission rule: membership per `core/membership.ts`, with side effects deferred. */
  private admit(origin: Uint8Array, membershipBytes: Uint8Array, now: number) {
    const id = nodeIdString(origin);
    const result = this.membership!.admit(origin, membershipBytes, now);
    if (!result.ok) {
      queueMicrotask(() => this.activity('rejected', id, result.reason));
      return result.reason;
    }
    const before = this.members.get(id);
    const facts: MemberFacts = {
      role: result.check.role,
      invitedBy: result.check.invitedBy ? nodeIdString(result.check.invitedBy) : undefined,
      leaving: result.membership.leaving,
    };
    this.members.set(id, facts);
    // Members restored from storage at start are not news.
    if (!this.restoring) {
      if (facts.leaving && !before?.leaving) queueMicrotask(() => this.activity('leave', id));
      else if (!before) queueMicrotask(() => this.activity('join', id));
    }
    if (result.learned.length > 0) queueMicrotask(() => void this.onRevocations(result.learned));
    return undefined;
  }

  private isRevoked(id: NodeId): boolean {
    const key = parseNodeId(id);
    return key !== undefined && this.membership?.revokedAt(key) !== undefined;
  }

  /** Newly learned revocations: forget those nodes, cut their links, and repeat the news ourselves. */
  private onRevocations(revocations: readonly Revocation[]): Promise<void> {
    if (revocations.some((v) => equalBytes(v.revoked, this.publicKey))) return this.expelled();
    return this.input((core, now) => {
      const out: Output[] = [];
      for (const v of revocations) {
        const id = nodeIdString(v.revoked);
        out.push(...core.evict(v.revoked, now));
        this.mesh?.close(id);
        this.activity('revoked', id);
      }
      out.push(...core.setMembership(this.ownMembership()));
      return out;
    });
  }

  /** This node was revoked: it leaves the grid (nobody would listen) and says so. */
  private async expelled(): Promise<void> {
    const grid = this.active;
    if (!grid) return;
    this.activity('revoked', this.id);
    await this.switchGrid(undefined);
    await this.store.deleteGrid(grid.hex);
    await this.store.deleteSetting('activeGrid');
  }

  /** Tells a revoked node why it is refused, so it stops trying (and stops witnessing invitations). */
  private tellRevoked(peer: NodeId): void {
    const key = parseNodeId(peer);
    const v = key && this.membership?.knownRevocations().find((r) => equalBytes(r.revoked, key));
    if (!v || !this.active?.descriptor) return;
    const notice = encodeMembership({
      descriptor: this.active.descriptor,
      chain: [],
      revocations: [v],
      leaving: false,
    });
    this.mesh?.sendSignal({ t: 'revoked', notice: base64urlEncode(notice) }, peer);
  }

  /** Local clock for the core: wall time (receipt times are persisted), never going backwards. */
  private now(): number {
    this.clock = Math.max(this.clock, Date.now());
    return this.clock;
  }

  private enqueue<T>(task: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch((error) => console.error('gridnode: input failed', error));
    return run;
  }

  /** Runs one synchronous core input in the queue and applies its outputs. */
  private input(step: (core: GossipNode, now: number) => Output[]): Promise<void> {
    return this.enqueue(() => {
      if (this.core) this.apply(step(this.core, this.now()));
    });
  }

  private receive(peer: NodeId, bytes: Uint8Array): Promise<void> {
    return this.enqueue(async () => {
      const core = this.core;
      if (!core) return;
      // Verify news with the native engine first; the core then reads the results from the cache.
      // Only ANNOUNCE messages carry signatures: others go straight to the core, decoded once.
      if (bytes[0] === MessageType.Announce) {
        const message = decodeMessage(bytes, core.config.maxBodyBytes + 128);
        if (message.ok && message.value.type === MessageType.Announce) {
          await this.cache.verifyAll(message.value.envelopes, core.config.maxBodyBytes);
        }
      }
      if (this.core === core) this.apply(core.receive(peer, bytes, this.now(), this.cache.lookup));
    });
  }

  private apply(outputs: readonly Output[]): void {
    let changed = false;
    for (const out of outputs) {
      switch (out.type) {
        case 'send':
          this.mesh?.send(out.to, out.bytes);
          break;
        case 'announce-needed':
          void this.announce();
          break;
        case 'stored': {
          const id = nodeIdString(out.origin);
          this.store.queueAnnouncement(this.gridHex, id, out.envelope, out.receivedAt);
          this.dispatchEvent(new CustomEvent('announcement', { detail: { id, seqnum: out.seqnum } }));
          changed = true;
          break;
        }
        case 'forgotten':
          this.store.queueForget(this.gridHex, out.id, out.floor);
          // Rare, and what keeps the forgotten forgotten: written now rather than with the next batch.
          if (out.floor) void this.store.flush().catch(() => undefined);
          this.rtts.delete(out.id);
          if (out.floor) queueMicrotask(() => this.activity('forgotten', out.id));
          changed = true;
          break;
        case 'history':
          this.store.queuePeerHistory(this.gridHex, out.id, out.history);
          break;
        case 'dial':
          this.dials.push({
            id: out.id,
            at: Date.now(),
            links: this.mesh?.peers().length ?? 0,
            outcome: 'pending',
          });
          if (this.dials.length > MAX_DIAL_RECORDS) this.dials.shift();
          this.mesh?.dial([out.id]);
          break;
        case 'dial-timeout':
          this.dialEnded(out.id, 'timeout');
          this.mesh?.abandon(out.id);
          break;
        case 'flagged':
          this.dispatchEvent(new CustomEvent('flagged', { detail: { id: out.id, reason: out.reason } }));
          break;
      }
    }
    this.schedule();
    if (changed) this.changed();
  }

  /** Signs and publishes a new announcement; concurrent requests coalesce into one more. */
  private announce(): Promise<void> {
    if (this.announcing) {
      this.announceAgain = true;
      return Promise.resolve();
    }
    this.announcing = true;
    return this.enqueue(async () => {
      try {
        const core = this.core;
        if (!core) return;
        const prepared = core.prepareAnnouncement();
        await this.store.saveCounter(this.gridHex, prepared.seqnum);
        const signature = await this.signer.sign(prepared.message);
        if (this.core === core)
          this.apply(core.acceptOwn(encodeEnvelope(this.publicKey, prepared.body, signature), this.now()));
      } finally {
        this.announcing = false;
        if (this.announceAgain) {
          this.announceAgain = false;
          void this.announce();
        }
      }
    });
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const core = this.core;
    if (!core) return;
    const delay = Math.min(60_000, Math.max(0, core.nextDeadline() - Date.now()));
    this.timer = setTimeout(() => void this.input((c, now) => c.tick(now)), delay);
  }

  /** Records how the newest pending dial to `id` ended, for `stats().dials`. */
  private dialEnded(id: NodeId, outcome: DialRecord['outcome']): void {
    for (let i = this.dials.length - 1; i >= 0; i--) {
      const dial = this.dials[i]!;
      if (dial.id !== id) continue;
      if (dial.outcome === 'pending') dial.outcome = outcome;
      return;
    }
  }

  private linkEvent(type: 'peer-up' | 'peer-down', id: NodeId, reason?: string): void {
    if (type === 'peer-up') this.dialEnded(id, 'linked');
    this.dispatchEvent(new CustomEvent(type, { detail: { id, reason } }));
    this.changed();
  }

  // ——— State out, to the page and to follower tabs ———————————————————————————————————————————

  private changed(): void {
    this.dispatchEvent(new CustomEvent('change'));
    const status = this.status;
    if (status !== this.lastStatus) {
      this.lastStatus = status;
      this.activity('status', undefined, status);
    }
    if (this.role !== 'leader' || this.snapshotTimer) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      this.broadcastSnapshot();
    }, 100);
  }

  private broadcastSnapshot(): void {
    if (this.role !== 'leader') return;
    const snapshot: Snapshot = {
      id: this.id,
      nickname: this.nickname,
      peers: this.getPeers(),
      stats: this.stats(),
      grid: this.grid,
      status: this.status,
    };
    this.channel?.postMessage({ kind: 'snapshot', snapshot } satisfies ChannelMessage);
  }

  private onChannel(message: ChannelMessage): void {
    if (this.role === 'leader') {
      if (message.kind === 'hello') this.broadcastSnapshot();
      if (message.kind === 'command') void this.run(message.command);
    } else if (this.role === 'follower' && message.kind === 'snapshot') {
      this.snapshot = message.snapshot;
      this.dispatchEvent(new CustomEvent('change'));
    }
  }

  private setRole(role: NodeRole): void {
    this.role = role;
    this.dispatchEvent(new CustomEvent('role', { detail: { role } }));
    this.changed();
  }

  private async run(command: Command): Promise<void> {
    if (this.role === 'follower') {
      this.channel?.postMessage({ kind: 'command', command } satisfies ChannelMessage);
      return;
    }
    switch (command.op) {
      case 'publish':
        await this.input((c) => c.publish(command.service, command.params));
        break;
      case 'unpublish':
        await this.input((c) => c.unpublish(command.service));
        break;
      case 'policy':
        if (command.policy) this.policies[command.id] = command.policy;
        else delete this.policies[command.id];
        await this.store.setSetting('policy', this.policies);
        break;
      case 'nickname':
        await this.store.setSetting('nickname', command.nickname);
        this.nicknameValue = command.nickname;
        await this.input((c) => c.setNickname(command.nickname));
        break;
    }
    if ((command.op === 'publish' || command.op === 'unpublish') && this.core) {
      await this.store.setSetting(`services:${this.gridHex}`, this.ownServices() as never);
    }
    this.changed();
  }

  private ownServices(): Services {
    return this.core?.getPeers().find((p) => p.self)?.services ?? {};
  }

  // ——— The public API ——————————————————————————————————————————————————————————————————————————————

  /** The grid this node is in, if any. */
  get grid(): GridInfo | undefined {
    if (this.role === 'follower') return this.snapshot?.grid;
    return this.active ? gridInfo(this.active) : undefined;
  }

  /** Where the node stands, for people: no grid, joining, looking for peers, online, or offline. */
  get status(): NodeStatus {
    if (this.role === 'follower') return this.snapshot?.status ?? 'idle';
    if (!this.active) return 'idle';
    if (!this.mesh) return 'joining';
    const mesh = this.mesh.status();
    if (mesh.up > 0) return 'online';
    if (this.joining) return 'joining';
    return mesh.signaling.relays.some((r) => r.state === 'open') ? 'connecting' : 'offline';
  }

  /** Founds a grid with this node as its first admin, and joins it. */
  async createGrid(name: string): Promise<GridInfo> {
    this.requireLeader();
    const grid = await foundGrid(name, this.publicKey, Date.now());
    await this.switchGrid(grid);
    return gridInfo(grid);
  }

  /** Every grid this node is a member of (one is active at a time), as stored in this browser. */
  async grids(): Promise<GridInfo[]> {
    const out: GridInfo[] = [];
    for (const record of (await this.store.listGrids()).values()) {
      const grid = this.fromRecord(record);
      if (grid) out.push(gridInfo(grid));
    }
    return out;
  }

  /** Makes another grid this node belongs to the active one. */
  async useGrid(id: string): Promise<GridInfo> {
    this.requireLeader();
    const grid = this.fromRecord(await this.store.getGrid(id));
    if (!grid) throw new Error('this node is not a member of that grid');
    await this.switchGrid(grid);
    return gridInfo(grid);
  }

  /** The grid key, for the founder to keep as a backup (hex of the 32-byte secret). */
  exportGridKey(): string {
    if (!this.active?.gridSecret) throw new Error('only the founder holds the grid key');
    return toHex(this.active.gridSecret);
  }

  /**
   * Makes a single-use invitation. Its link carries the code in the fragment (`#invite=…`), which
   * browsers never send to a server.
   */
  async createInvite(options: { expiresInMs?: number; canInvite?: boolean } = {}) {
    this.requireLeader();
    if (!this.active) throw new Error('join or create a grid first');
    const hints = [this.id, ...(this.mesh?.peers() ?? []).slice(0, 4)];
    const { code, expiresAt } = await issueInvite(this.active, this.signer, Date.now(), {
      ...options,
      relays: this.relays(),
      hints,
    });
    const base = typeof location === 'undefined' ? '' : `${location.origin}${location.pathname}`;
    return { url: `${base}#invite=${code}`, code, expiresAt };
  }

  /** Joins the grid of an invitation (a link or a pasted code). */
  async acceptInvite(urlOrCode: string): Promise<GridInfo> {
    this.requireLeader();
    const invite = readInvite(urlOrCode);
    const redemption = await prepareRedemption(invite, this.publicKey, Date.now());
    this.joining = true;
    this.changed();
    let witness: unknown;
    try {
      witness = await this.askForWitness(invite, redemptionRequest(invite, redemption));
    } finally {
      this.joining = false;
    }
    const grid = completeRedemption(invite, redemption, witness, this.publicKey, Date.now());
    if (invite.relays.length > 0 && !this.relayList) {
      this.relayList = [...new Set([...invite.relays, ...this.options.relays])];
      await this.store.setSetting('relays', this.relayList);
    }
    await this.switchGrid(grid);
    this.mesh?.dial(invite.hints.filter((h) => parseNodeId(h)) as NodeId[]);
    return gridInfo(grid);
  }

  /**
   * Asks the grid, over its relays, for a member to witness our redemption; resolves with the first
   * witness, rejects when a member says the invitation is spent, or when nobody answers.
   */
  private askForWitness(invite: ReturnType<typeof readInvite>, request: string): Promise<unknown> {
    const gridId = gridIdOf(invite.descriptor.gridKey);
    const relays = [...new Set([...invite.relays, ...this.relays()])];
    const session = toHex(crypto.getRandomValues(new Uint8Array(8)));
    return new Promise((resolve, reject) => {
      let retry: ReturnType<typeof setInterval> | undefined;
      let fallback: string | undefined;
      let done = false;
      const finish = (error?: Error, witness?: unknown) => {
        if (done) return;
        done = true;
        clearInterval(retry);
        clearTimeout(deadline);
        client.stop();
        if (error) reject(error);
        else resolve(witness);
      };
      const client = new SignalingClient({
        relays,
        gridId,
        selfId: this.id,
        onMessage: (from, payload) => {
          const reply = payload as { t?: unknown; witness?: unknown; refused?: unknown } | null;
          if (reply?.t !== 'witness') return;
          if (typeof reply.witness === 'string') {
            // Prefer a witness the invitation names (the inviter and its peers: members in good standing
            // as far as the inviter knew); take any other only if none of those answers within a second.
            if (invite.hints.includes(from)) finish(undefined, reply.witness);
            else if (!fallback) {
              fallback = reply.witness;
              setTimeout(() => finish(undefined, fallback), 1_000);
            }
          } else if (reply.refused === 'invite-used')
            finish(new InviteError('this invitation has already been used'));
          else if (reply.refused === 'expired-invitation')
            finish(new InviteError('this invitation has expired'));
        },
      });
      const ask = () => void client.send({ t: 'redeem', s: session, request }).catch(() => undefined);
      const deadline = setTimeout(
        () => finish(new InviteError('no member of the grid answered; try again when one is online')),
        30_000,
      );
      client.start();
      retry = setInterval(ask, 1_500);
      ask();
    });
  }

  /** Sealed requests from the grid's signaling topic: members witness redemptions. */
  private async onRequest(from: NodeId, message: { t: string } & Record<string, unknown>): Promise<void> {
    const grid = this.active;
    if (!grid || !this.membership || !this.mesh) return;
    if (message.t === 'revoked') return this.onRevokedNotice(message.notice);
    if (message.t !== 'redeem') return;
    const answer = await witnessRedemption(grid, this.membership, this.signer, message.request, Date.now());
    // Stay silent on nonsense; answer spent or expired invitations so the invitee can say why.
    if ('witness' in answer || answer.refused === 'invite-used' || answer.refused === 'expired-invitation') {
      this.mesh?.sendSignal({ t: 'witness', ...answer }, from);
    }
    if ('refused' in answer) this.refuse(answer.refused, from);
  }

  /** A member told us of a revocation (ours, presumably): believe it only if an admin signed it. */
  private async onRevokedNotice(notice: unknown): Promise<void> {
    const bytes = typeof notice === 'string' ? base64urlDecode(notice) : undefined;
    const decoded = bytes && decodeMembership(bytes);
    if (!decoded || !decoded.ok || !this.membership) return;
    const learned = decoded.value.revocations.filter((v) => this.membership!.addRevocation(v, Date.now()));
    if (learned.length > 0) await this.onRevocations(learned);
  }

  private refuse(reason: string, id: string): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
    this.activity('rejected', id, reason);
  }

  /** An admin revokes a member: the signed revocation spreads like an announcement. */
  async revoke(id: string): Promise<void> {
    this.requireLeader();
    const grid = this.active;
    const key = parseNodeId(id);
    if (!grid || !this.membership || grid.role !== 'admin') throw new Error('only an admin can revoke');
    if (!key || id === this.id) throw new Error('not a member id');
    const now = Date.now();
    const fields = { gridId: grid.id, revoker: this.publicKey, revoked: key, revokedAt: now };
    const signature = await this.signer.sign(revocationMessage(grid.id, this.publicKey, key, now));
    const revocation = signedRevocation(fields, signature, grid.chain);
    if (this.membership.addRevocation(revocation, now)) await this.onRevocations([revocation]);
  }

  /** Says a signed goodbye (so others forget this node at once) and leaves the grid. */
  async leave(): Promise<void> {
    this.requireLeader();
    const grid = this.active;
    if (!grid) return;
    this.leaving = true;
    await this.input((core) => {
      const out = core.setMembership(this.ownMembership());
      for (const service of Object.keys(this.ownServices())) out.push(...core.unpublish(service));
      return out;
    });
    await this.queue;
    // Give the goodbye a moment to leave on every link before they close.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    this.leaving = false;
    await this.switchGrid(undefined);
    if (!grid.open) {
      await this.store.deleteGrid(grid.hex);
      await this.store.deleteSetting('activeGrid');
    }
  }

  /** This node's own allow/deny list for who may use its services (separate from membership). */
  policy(): Record<string, Policy> {
    return { ...this.policies };
  }

  setPolicy(id: string, policy: Policy | undefined): Promise<void> {
    return this.run({ op: 'policy', id, policy });
  }

  /** Whether `id` may use this node's services under the local policy: deny wins; an allow list limits. */
  mayUse(id: string): boolean {
    if (this.policies[id] === 'deny') return false;
    return !Object.values(this.policies).includes('allow') || this.policies[id] === 'allow';
  }

  relays(): string[] {
    return this.relayList ?? this.options.relays;
  }

  async setRelays(urls: string[]): Promise<void> {
    this.relayList = urls.filter((u) => /^wss?:\/\//.test(u));
    await this.store.setSetting('relays', this.relayList);
    if (this.active && this.role === 'leader') await this.switchGrid(this.active);
  }

  iceServers(): RTCIceServer[] {
    return this.iceList ?? this.options.iceServers ?? [];
  }

  async setIceServers(servers: RTCIceServer[]): Promise<void> {
    this.iceList = servers;
    await this.store.setSetting('iceServers', servers as never);
    if (this.active && this.role === 'leader') await this.switchGrid(this.active);
  }

  private requireLeader(): void {
    if (this.role !== 'leader') throw new Error('this tab follows another tab of this browser; use that one');
  }

  private activity(kind: ActivityKind, id?: string, reason?: string): void {
    const detail: Activity = { kind, at: Date.now(), ...(id ? { id } : {}), ...(reason ? { reason } : {}) };
    this.dispatchEvent(new CustomEvent('activity', { detail }));
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
  subscribe(
    service: string,
    callback: (event: { type: 'added' | 'updated' | 'removed'; peer: Peer }) => void,
  ): () => void {
    let known = new Map<NodeId, Peer>();
    const update = () => {
      const now = new Map(this.getPeers(service).map((p) => [p.id, p]));
      for (const [id, peer] of now) {
        const before = known.get(id);
        if (!before) callback({ type: 'added', peer });
        else if (before.seqnum !== peer.seqnum) callback({ type: 'updated', peer });
      }
      for (const [id, peer] of known) if (!now.has(id)) callback({ type: 'removed', peer });
      known = now;
    };
    update();
    this.addEventListener('change', update);
    return () => this.removeEventListener('change', update);
  }

  /** Every known member (this node included), optionally only those offering `service`. */
  getPeers(service?: string): Peer[] {
    if (!this.core)
      return (this.snapshot?.peers ?? []).filter((p) => service === undefined || service in p.services);
    return this.core
      .getPeers(service)
      .filter((p) => !this.members.get(p.id)?.leaving)
      .map((p) => this.toPeer(p));
  }

  /** Peers offering `service` in Tahoe-LAFS's permuted order for `storageIndex`. */
  getPermutedPeers(service: string, storageIndex: Uint8Array): Peer[] {
    return (this.core?.getPermutedPeers(service, storageIndex) ?? []).map((p) => this.toPeer(p));
  }

  private toPeer(p: PeerInfo): Peer {
    return {
      id: p.id,
      nickname: p.nickname,
      services: p.services,
      seqnum: p.seqnum,
      connected: p.connected,
      lastSeen: p.lastSeen,
      self: p.self,
      rttMs: this.rtts.get(p.id),
      ...this.factsOf(p),
    };
  }

  private factsOf(p: PeerInfo): Partial<Peer> {
    const facts = p.self
      ? this.active && { role: this.active.role, invitedBy: this.active.invitedBy }
      : this.members.get(p.id);
    const history = p.self ? undefined : this.core?.historyOf(p.id);
    return {
      ...(facts && !this.active?.open ? { role: facts.role, invitedBy: facts.invitedBy } : {}),
      ...(history ? { uptimeMs: history.uptimeMs, failuresInRow: history.failuresInRow } : {}),
    };
  }

  stats(): NodeStats {
    if (!this.core) return { ...this.snapshot?.stats, role: this.role };
    return {
      role: this.role,
      core: this.core.stats(),
      mesh: this.mesh?.status(),
      store: this.store.stats(),
      verification: { cached: this.cache.size, hits: this.cache.hits, misses: this.cache.misses },
      refused: { ...this.refused },
      dials: this.dials.map((d) => ({ ...d })),
    };
  }
}
