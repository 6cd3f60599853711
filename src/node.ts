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
 * Events (all `CustomEvent`): `change` (anything shown may have changed), `peer-up` / `peer-down`
 * (`detail: { id, reason? }`), `announcement` (`detail: { id, seqnum }`), `role` (`detail: { role }`).
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
import { defaultVerifier, type Signer } from './crypto/ed25519.ts';
import { VerificationCache } from './crypto/verify-cache.ts';
import { Mesh } from './net/mesh.ts';
import { type NodeStore, openStore } from './store/index.ts';

export interface GridNodeOptions {
  /** Signaling relays (y-webrtc protocol). */
  relays: string[];
  /**
   * Development and tests only, until invitations exist: join the open grid of this name. Anyone who
   * knows the name can join it.
   */
  gridName: string;
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
}

export type NodeRole = 'starting' | 'leader' | 'follower' | 'stopped';

export interface NodeStats {
  role: NodeRole;
  core?: ReturnType<GossipNode['stats']>;
  mesh?: ReturnType<Mesh['status']>;
  store?: ReturnType<NodeStore['stats']>;
  verification?: { cached: number; hits: number; misses: number };
}

interface Snapshot {
  id: NodeId;
  nickname: string;
  peers: Peer[];
  stats: NodeStats;
}

type Command =
  | { op: 'publish'; service: string; params: Record<string, string> }
  | { op: 'unpublish'; service: string }
  | { op: 'nickname'; nickname: string };

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
  private readonly gridId: Uint8Array;
  private readonly gridHex: string;
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
  private publicKey!: Uint8Array;
  private nicknameValue = '';

  private constructor(private readonly options: GridNodeOptions) {
    super();
    this.dbName = options.dbName ?? 'gridnode';
    this.gridId = devGridId(options.gridName);
    this.gridHex = toHex(this.gridId);
  }

  /** Opens the node's store and identity; `start()` then joins the grid. */
  static async create(options: GridNodeOptions): Promise<GridNode> {
    const node = new GridNode(options);
    node.store = await openStore(node.dbName);
    const identity = await node.store.loadOrCreateIdentity();
    node.signer = identity.signer;
    node.publicKey = identity.publicKey;
    node.cache = new VerificationCache(await defaultVerifier());
    return node;
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
    await this.enqueue(async () => {
      clearTimeout(this.timer);
      this.mesh?.stop();
      this.mesh = undefined;
      this.core = undefined;
      await this.store.flush();
    });
    clearTimeout(this.snapshotTimer);
    this.channel?.close();
    this.releaseLock?.();
    this.setRole('stopped');
  }

  // ——— The leader's node ——————————————————————————————————————————————————————————————————————————

  private async lead(): Promise<void> {
    const store = this.store;
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
      // Leaves room for the link's frame bytes under the data channel's 256 KiB message limit.
      config: { maxMessageBytes: 250 * 1024, ...this.options.config },
    });
    // What this node knew before: verify again (storage is not trusted more than peers), then restore.
    const saved = await store.loadAnnouncements(this.gridHex);
    await this.cache.verifyAll(
      saved.map((s) => s.envelope),
      core.config.maxBodyBytes,
    );
    for (const s of saved) core.restore(s.envelope, s.receivedAt, this.cache.lookup);
    for (const [peer, history] of await store.loadPeerHistory(this.gridHex)) {
      core.restoreHistory(peer, { ...history, connectedSince: undefined });
    }
    this.core = core;
    this.mesh = new Mesh(
      {
        selfId: this.id,
        signer: this.signer,
        verifier: await defaultVerifier(),
        gridId: this.gridId,
        relays: this.options.relays,
        ...(this.options.iceServers ? { iceServers: this.options.iceServers } : {}),
        ...(this.options.maxLinks ? { maxLinks: this.options.maxLinks } : {}),
      },
      {
        up: (peer) =>
          void this.input((c, now) => c.linkUp(peer, now)).then(() => this.linkEvent('peer-up', peer)),
        down: (peer, reason) =>
          void this.input((c, now) => c.linkDown(peer, now)).then(() =>
            this.linkEvent('peer-down', peer, reason),
          ),
        failed: (peer) => void this.input((c, now) => (c.linkFailed(peer, now), [])),
        message: (peer, bytes) => void this.receive(peer, bytes),
        rtt: (peer, ms) => {
          this.rtts.set(peer, ms);
          this.core?.recordRtt(peer, ms);
        },
      },
    );
    this.mesh.start();
    this.setRole('leader');
    await this.announce();
    this.mesh.dial(core.reconnectCandidates(this.now(), 8));
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
      const message = decodeMessage(bytes, core.config.maxBodyBytes + 128);
      if (message.ok && message.value.type === MessageType.Announce) {
        await this.cache.verifyAll(message.value.envelopes, core.config.maxBodyBytes);
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
          const seqnum = this.core?.getPeers().find((p) => p.id === id)?.seqnum;
          this.dispatchEvent(new CustomEvent('announcement', { detail: { id, seqnum } }));
          changed = true;
          break;
        }
        case 'forgotten':
          this.store.queueForget(this.gridHex, out.id);
          changed = true;
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
    this.timer = setTimeout(() => {
      void this.input((c, now) => c.tick(now));
      // Reconnect (rule 2): keep asking the most recently seen peers while there is room.
      if (this.mesh && this.core && this.mesh.peers().length < 4) {
        this.mesh.dial(this.core.reconnectCandidates(this.now(), 4));
      }
    }, delay);
  }

  private linkEvent(type: 'peer-up' | 'peer-down', id: NodeId, reason?: string): void {
    if (this.core) this.store.queuePeerHistory(this.gridHex, id, this.core.historyOf(id));
    this.dispatchEvent(new CustomEvent(type, { detail: { id, reason } }));
    this.changed();
  }

  // ——— State out, to the page and to follower tabs ———————————————————————————————————————————

  private changed(): void {
    this.dispatchEvent(new CustomEvent('change'));
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
      case 'nickname':
        await this.store.setSetting('nickname', command.nickname);
        this.nicknameValue = command.nickname;
        await this.input((c) => c.setNickname(command.nickname));
        break;
    }
    if (command.op !== 'nickname' && this.core) {
      await this.store.setSetting(`services:${this.gridHex}`, this.ownServices() as never);
    }
    this.changed();
  }

  private ownServices(): Services {
    return this.core?.getPeers().find((p) => p.self)?.services ?? {};
  }

  // ——— The public API ——————————————————————————————————————————————————————————————————————————————

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
    return this.core.getPeers(service).map((p) => this.toPeer(p));
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
    };
  }
}
