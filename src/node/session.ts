/**
 * One node's session: its parts (made once, as it opens, by session-parts.ts) and the run of its active
 * grid: which grid is active, starting and stopping its runtime, the links that come up (admitted by
 * link-admission.ts, then told to the services), and the sealed requests that reach it over signaling.
 * `GridNode` is the facade in front of it.
 *
 * Invariants: grid switches run in the runtime's input queue, so no input sees half a switch; a link
 * reaches the core only after its proof and its membership passed (link-admission.ts), and the services
 * only after the core's `linkUp`; when a run ends, every service hears `linkDown` for every link it was
 * told of.
 */
import {
  type NodeId,
  type PeerInfo,
  type Services,
  nodeIdString,
  servicesForRole,
  toHex,
} from '../core/index.ts';
import type { Signer } from '../crypto/ed25519.ts';
import type { SignatureCache } from '../crypto/signature-cache.ts';
import type { VerificationCache } from '../crypto/verify-cache.ts';
import { base64urlDecode } from '../net/seal.ts';
import type { StorageService } from '../services/index.ts';
import type { ServiceRegistry } from '../services/registry.ts';
import type { NodeStore } from '../store/index.ts';
import type { CodeInvites } from './code-invites.ts';
import { type ActiveGrid, gridFromStored, gridToStored, storedMembership, type StoredGrid } from './grids.ts';
import type { MembershipGuard } from './guard.ts';
import type { Invitations } from './invitations.ts';
import type { LinkAdmission } from './link-admission.ts';
import { MESH_SERVICE, type MeshUpkeep } from './mesh-upkeep.ts';
import type { NodeServices } from './node-services.ts';
import type { Preverifier } from './receive-budgets.ts';
import type { Runtime } from './runtime.ts';
import { assembleParts } from './session-parts.ts';
import type { Settings } from './settings.ts';
import {
  type ActivityKind,
  devGridId,
  type GridNodeOptions,
  type NodeRole,
  type NodeStats,
  type Peer,
} from './types.ts';

export interface SessionHooks {
  emit(type: string, detail?: unknown): void;
  activity(kind: ActivityKind, id?: string, reason?: string): void;
  changed(): void;
}

export class GridSession {
  // The parts, made by `assembleParts` (session-parts.ts) before `open` returns.
  store!: NodeStore;
  signer!: Signer;
  publicKey!: Uint8Array;
  cache!: VerificationCache;
  signatures!: SignatureCache;
  preverifier!: Preverifier;
  settings!: Settings;
  guard!: MembershipGuard;
  admission!: LinkAdmission;
  runtime!: Runtime;
  invitations!: Invitations;
  codes!: CodeInvites;
  upkeep!: MeshUpkeep;
  services!: ServiceRegistry;
  wiring!: NodeServices;
  active: ActiveGrid | undefined;
  nickname = '';

  private constructor(
    private readonly options: GridNodeOptions,
    private readonly hooks: SessionHooks,
  ) {}

  get id(): NodeId {
    return nodeIdString(this.publicKey);
  }

  /** Opens the node's store and identity, and assembles its parts (session-parts.ts). */
  static async open(options: GridNodeOptions, hooks: SessionHooks): Promise<GridSession> {
    const node = new GridSession(options, hooks);
    await assembleParts(node, options, hooks, (reason) => node.expelled(reason));
    node.active = await node.loadGrid();
    return node;
  }

  async loadGrid(): Promise<ActiveGrid | undefined> {
    const name = this.options.gridName;
    if (name !== undefined) {
      const id = devGridId(name);
      return { id, hex: toHex(id), name, open: true, chain: [], role: 'member', canInvite: false };
    }
    const hex = await this.store.getSetting('activeGrid');
    if (hex === undefined) return undefined;
    if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex)) {
      this.store.reportGarbled('setting:activeGrid');
      return undefined;
    }
    return this.fromRecord(await this.store.getGrid(hex));
  }

  /**
   * A stored membership, checked again (storage is not trusted more than peers), with the grid secret if
   * this node founded it (kept apart, membership-records.ts).
   */
  async fromRecord(record: { data?: unknown } | undefined): Promise<ActiveGrid | undefined> {
    let grid: ActiveGrid | undefined;
    try {
      const data = record?.data as StoredGrid | undefined;
      const bytes = data && storedMembership(data);
      // Its signatures verified asynchronously first: the chain check below only looks them up.
      if (bytes) await this.preverifier.membership(undefined, bytes);
      grid = data ? gridFromStored(data, this.publicKey, Date.now(), this.signatures.check) : undefined;
    } catch {
      // A garbled record (a null field, a grid secret that is not hex): dropped and reported, not thrown.
      this.store.reportGarbled('grid');
      return undefined;
    }
    if (!grid || grid.gridSecret) return grid;
    const gridSecret = await this.store.membership.getGridSecret(grid.hex);
    return gridSecret ? { ...grid, gridSecret } : grid;
  }

  /**
   * Joins the active grid: membership rules, the runtime, its links to the services. `dialFirst` (an
   * invitation's hints) are dialed the moment the mesh exists.
   */
  async startRuntime(dialFirst: readonly NodeId[] = []): Promise<void> {
    const grid = this.active!;
    const revocations = grid.open ? [] : await this.store.membership.loadRevocations(grid.hex);
    await this.preverifier.revocationRecords(undefined, revocations);
    this.guard.reset(grid, revocations);
    // This node's own chain: the revocations and witnesses it signs carry it, and are checked here too.
    await this.preverifier.membership(undefined, this.guard.ownMembership());
    this.admission.clear();
    this.nickname = await this.settings.nickname();
    // A stored `mesh` service lists the links of a run that is over; this run announces its own.
    const { [MESH_SERVICE]: _links, ...services } = await this.settings.services(
      grid.hex,
      servicesForRole(this.options.role ?? 'storage'),
    );
    await this.runtime.start({
      gridId: grid.id,
      gridHex: grid.hex,
      nickname: this.nickname,
      services,
      membership: this.guard.ownMembership(),
      admit: this.guard.membership
        ? (origin, body, now) => this.guard.admit(origin, body.membership, now)
        : undefined,
      revocations: this.guard.membership,
      restoring: (flag) => (this.guard.restoring = flag),
      config: this.options.config,
      relays: this.settings.relays(),
      iceServers: this.settings.iceServers(),
      iceTransportPolicy: this.settings.iceTransportPolicy(),
      maxLinks: this.options.maxLinks,
      linkMembership: () => this.guard.ownMembership(),
      admitLink: (peer, membership) => this.admission.admit(peer, membership),
      knownMember: (peer) => this.knownMember(peer),
      keepsWithout: (peer) => this.upkeep.keepsWithout(peer),
      linkedInMesh: (peer) => this.upkeep.linkedInMesh(peer),
      events: {
        up: (peer) => {
          this.codes.linkUp(peer);
          const returning = this.runtime.core?.historyOf(peer).lastConnectedAt !== undefined;
          void this.runtime
            .input((c, now) => c.linkUp(peer, now))
            .then(() => {
              this.linkEvent('peer-up', peer);
              if (returning) this.hooks.activity('reconnect', peer);
            });
        },
        down: (peer, reason) => {
          this.admission.forget(peer);
          void this.runtime
            .input((c, now) => c.linkDown(peer, now, reason !== 'local close'))
            .then(() => this.linkEvent('peer-down', peer, reason));
        },
        request: (from, message) => void this.onRequest(from, message),
        frame: (peer, kind, body) => void this.codes.frame(peer, kind, body),
      },
    });
    if (dialFirst.length > 0) this.runtime.mesh?.dial(dialFirst);
    this.upkeep.start();
    await Promise.all([
      this.wiring.files.reload(),
      this.codes.start(),
      this.invitations.startBook(grid.open ? undefined : grid.hex),
    ]);
    this.reportGarbled();
    this.hooks.changed();
  }

  private garbledReported = 0;

  /** Stored records dropped because they did not parse: said once in the activity log, counted in stats. */
  reportGarbled(): void {
    const garbled = this.store.stats().garbled;
    const total = Object.values(garbled).reduce((a, b) => a + b, 0);
    if (total <= this.garbledReported) return;
    this.garbledReported = total;
    const kinds = Object.keys(garbled).sort().join(', ');
    this.hooks.activity(
      'status',
      undefined,
      `${total} damaged stored record(s) dropped (${kinds}); the node goes on without them`,
    );
  }

  async stopRuntime(): Promise<void> {
    this.services.allDown();
    this.codes.stop();
    this.upkeep.stop();
    await this.runtime.stop();
    this.guard.reset(undefined);
  }

  /** Leaves the current grid's runtime (if any) and joins `grid` (if any), in the input queue. */
  switchGrid(grid: ActiveGrid | undefined, dialFirst: readonly NodeId[] = []): Promise<void> {
    return this.runtime.enqueue(async () => {
      await this.stopRuntime();
      this.active = grid;
      if (grid && !grid.open) {
        if (grid.gridSecret) await this.store.membership.putGridSecret(grid.hex, grid.gridSecret, Date.now());
        await this.store.putGrid(grid.hex, {
          name: grid.name,
          joinedAt: Date.now(),
          relays: this.settings.relays(),
          data: gridToStored(grid) as never,
        });
        await this.store.setSetting('activeGrid', grid.hex);
      }
      if (grid) await this.startRuntime(dialFirst);
      this.hooks.changed();
    });
  }

  /**
   * This node was revoked, or lost the race for its invitation: it leaves the grid (nobody would listen)
   * and forgets its membership. A founder's grid secret is not a membership record and stays (store).
   */
  private async expelled(reason: 'revoked' | 'invite-used'): Promise<void> {
    const grid = this.active;
    if (!grid) return;
    await this.switchGrid(undefined);
    await this.store.deleteGrid(grid.hex);
    await this.store.deleteSetting('activeGrid');
    const message =
      reason === 'revoked'
        ? `an admin of ${grid.name} revoked this node`
        : `this invitation to ${grid.name} was used by another node first; ask for a new one`;
    this.hooks.activity('status', undefined, message);
    this.hooks.emit('membership-lost', { grid: grid.hex, reason, message });
  }

  /** Sealed requests from the grid's signaling topic: redemptions to witness, revocation notices. */
  private async onRequest(from: NodeId, message: { t: string } & Record<string, unknown>): Promise<void> {
    const grid = this.active;
    if (!grid || !this.guard.membership || !this.runtime.mesh) return;
    // What a request carries is verified first, within the sender's budget; over it, it is dropped.
    const carried =
      message.t === 'revoked'
        ? message.notice
        : message.t === 'invite-used'
          ? message.proof
          : message.request;
    const bytes = typeof carried === 'string' ? base64urlDecode(carried) : undefined;
    if (bytes && !(await this.preverifier.membership(from, bytes))) return;
    if (message.t === 'revoked') return this.guard.onRevokedNotice(message.notice);
    if (message.t === 'invite-used') return this.guard.onInviteUsed(message.proof);
    if (message.t === 'redeem') return this.invitations.witness(grid, from, message.request);
  }

  linkEvent(type: 'peer-up' | 'peer-down', id: NodeId, reason?: string): void {
    if (type === 'peer-up') {
      this.runtime.dialEnded(id, 'linked');
      const mesh = this.runtime.mesh;
      // The link may have gone again while its `linkUp` waited in the queue; its down event follows.
      if (mesh?.peers().includes(id))
        this.services.linkUp({ peer: id, channel: (label, channelId) => mesh.channel(id, label, channelId) });
    } else this.services.linkDown(id);
    this.upkeep.linksChanged();
    this.hooks.emit(type, { id, reason });
    this.hooks.changed();
  }

  private storageTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * The space this node offers changed: its `storage` announcement says so, at most once every 5 s (a
   * burst of writes is one announcement; receivers believe at most one new seqnum a second of an origin
   * after a burst of ten, receive-budgets.ts, so this leaves room for the owner's own changes), and only
   * while it offers storage.
   */
  storageChanged(storage: StorageService): void {
    if (this.storageTimer) return;
    this.storageTimer = setTimeout(() => {
      this.storageTimer = undefined;
      const offered = this.ownServices().storage;
      if (!offered || !this.runtime.core) return;
      const params = { ...offered, ...storage.params() };
      if (Object.entries(params).every(([k, v]) => offered[k] === v)) return;
      void this.runtime.input((c) => c.publish('storage', params)).catch(() => undefined);
    }, 5_000);
  }

  /** Whether `peer` is a member now (in an open grid, anyone; else admitted and not revoked). */
  knownMember(peer: NodeId): boolean {
    return !this.guard.membership || this.guard.members.has(peer);
  }

  ownServices(): Services {
    return this.runtime.core?.getPeers().find((p) => p.self)?.services ?? {};
  }

  toPeer(p: PeerInfo): Peer {
    const facts = p.self
      ? this.active && { role: this.active.role, invitedBy: this.active.invitedBy }
      : this.guard.members.get(p.id);
    const history = p.self ? undefined : this.runtime.core?.historyOf(p.id);
    return {
      id: p.id,
      nickname: p.nickname,
      services: p.services,
      seqnum: p.seqnum,
      connected: p.connected,
      lastSeen: p.lastSeen,
      self: p.self,
      rttMs: this.runtime.rtts.get(p.id),
      ...(facts && !this.active?.open ? { role: facts.role, invitedBy: facts.invitedBy } : {}),
      ...(history ? { uptimeMs: history.uptimeMs, failuresInRow: history.failuresInRow } : {}),
    };
  }

  /** Every counter, while this tab runs the node (undefined in a follower). */
  stats(role: NodeRole): NodeStats | undefined {
    const core = this.runtime?.core;
    if (!core) return undefined;
    return {
      role,
      core: core.stats(),
      mesh: this.runtime.mesh && { ...this.runtime.mesh.status(), upkeep: { ...this.upkeep.stats } },
      store: this.store.stats(),
      verification: {
        cached: this.cache.size,
        hits: this.cache.hits,
        misses: this.cache.misses,
        signatures: this.signatures.stats(),
        ...this.preverifier.stats(),
      },
      refused: { ...this.guard.refused },
      revocations: this.guard.membership?.revocationCount ?? 0,
      dials: this.runtime.dials.map((d) => ({ ...d })),
      services: this.services.stats(),
      invites: this.codes.stats(),
    };
  }
}
