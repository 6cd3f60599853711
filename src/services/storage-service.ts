/**
 * The `storage` service: what GridNode registers and exposes as `gridNode.storage`. On every link it opens
 * the service's own negotiated data channel (label 'storage', id 16), serves the peer's requests through
 * the storage server and offers a `StorageRemote` of the peer for the file layer.
 *
 * Rules:
 * - The caller of a request is the link's authenticated key (`ServiceLink.peer`); the host's `mayUse`
 *   judges it per request (server), so a policy change applies to the next one.
 * - At most `maxPerCaller` requests of one caller are in hand at once over all its links (more are
 *   answered 'busy'); the channel bounds each link on its own.
 * - The offer never exceeds what `navigator.storage.estimate()` leaves this origin (its free quota plus
 *   what our shares already take); offering storage asks `navigator.storage.persist()` and keeps the
 *   answer (`persisted`) for the dashboard, since without it Chromium may evict shares under pressure.
 * - `params()` is what the node publishes as its `storage` service parameters: the space available, so
 *   uploaders can choose.
 *
 * API (names fixed by outside checks): `clients()` returns a plain array (no promise), `usage()` an
 * object; `setOffer`, `setQuota` and `deleteClient` return promises that resolve once durable. Fires
 * 'change' (a plain Event) whenever any of them would answer differently.
 */
import type { ServiceParams } from '../core/announcement.ts';
import type { NodeId } from '../core/identity.ts';
import { type ChannelOptions, ServiceChannel } from './channel.ts';
import type { Batch, ShareStore } from './share-store.ts';
import { StorageClient } from './storage-client.ts';
import { StorageHandler } from './storage-handler.ts';
import { type StorageConfig, StorageServer } from './storage-server.ts';
import {
  type Service,
  type ServiceHost,
  type ServiceLink,
  StorageError,
  type StorageRemote,
} from './types.ts';

export const STORAGE_CHANNEL_LABEL = 'storage';
/** The first id after the 16 a link keeps for itself. */
export const STORAGE_CHANNEL_ID = 17; // 16 is the ping service's

/** The part of `navigator.storage` the service uses. */
export interface StorageManagerLike {
  estimate(): Promise<{ quota?: number; usage?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

export interface StorageServiceOptions {
  store: ShareStore;
  config?: Partial<StorageConfig>;
  channel?: ChannelOptions;
  /** One caller's requests in hand at once, over all its links. Default 16. */
  maxPerCaller?: number;
  /** How often abandoned uploads and expired leases are freed. Default 60 s. */
  tickIntervalMs?: number;
  /** `navigator.storage` where there is one (the default); undefined in Node. */
  storageManager?: StorageManagerLike | undefined;
  /** A caller's quota where the owner set none (its storage clubs', clubs.ts). */
  quotaFor?: (caller: string) => number | undefined;
}

export interface StorageClientInfo {
  id: string;
  bytes: number;
  shares: number;
  leases: number;
  /** Local clock of its last request here; undefined if it never made one (a quota was set first). */
  lastUsedAt: number | undefined;
  quota: number | undefined;
}

export interface StorageUsage {
  offered: number;
  used: number;
  free: number;
}

export class OfferError extends Error {
  override name = 'OfferError';
}

declare module './types.ts' {
  interface ServiceMap {
    storage: StorageService;
  }
}

export class StorageService extends EventTarget implements Service {
  readonly name = 'storage';
  /** Whether the browser granted persistent storage; undefined until asked (or where it cannot be). */
  persisted: boolean | undefined;
  /** The most this origin may offer, from the last estimate; undefined where there is no estimate. */
  offerLimit: number | undefined;
  private readonly links = new Map<string, { channel: ServiceChannel; client: StorageClient }>();
  private readonly inHand = new Map<string, number>();
  private readonly handler: StorageHandler;
  private readonly maxPerCaller: number;
  private readonly timer: ReturnType<typeof setInterval>;
  private stopped = false;
  private self: StorageClient | undefined;

  /** Loads what the store holds and starts serving; links come through `linkUp`. */
  static async create(host: ServiceHost, options: StorageServiceOptions): Promise<StorageService> {
    const state = await options.store.load();
    const server = new StorageServer(
      (id) => host.mayUse(id as NodeId),
      options.config,
      state,
      options.quotaFor,
    );
    const service = new StorageService(host, server, options);
    await service.refreshEstimate();
    if (server.offer > 0) await service.askPersist();
    await service.tick();
    return service;
  }

  private constructor(
    private readonly host: ServiceHost,
    readonly server: StorageServer,
    private readonly options: StorageServiceOptions,
  ) {
    super();
    this.maxPerCaller = options.maxPerCaller ?? 16;
    const changed = () => this.dispatchEvent(new Event('change'));
    this.handler = new StorageHandler(
      server,
      options.store,
      () => host.now(),
      host.count.bind(host),
      changed,
    );
    this.timer = setInterval(() => void this.tick(), options.tickIntervalMs ?? 60_000);
  }

  // Service

  linkUp(link: ServiceLink): void {
    if (this.stopped) return;
    this.links.get(link.peer)?.channel.close();
    const peer = link.peer;
    const data = link.channel(STORAGE_CHANNEL_LABEL, STORAGE_CHANNEL_ID);
    const channel = new ServiceChannel(data, (payload) => this.serve(peer, payload), {
      ...this.options.channel,
      count: (counter, by) => this.host.count(`storage.${counter}`, by),
    });
    this.links.set(peer, { channel, client: new StorageClient(peer, channel) });
    void this.tick();
  }

  linkDown(peer: NodeId): void {
    this.links.get(peer)?.channel.close();
    this.links.delete(peer);
  }

  policyChanged(): void {
    this.dispatchEvent(new Event('change'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const { channel } of this.links.values()) channel.close();
    this.links.clear();
    // Let queued operations finish before the store goes.
    await this.handler.commitOwner(() => ({}));
  }

  // For the file layer

  /**
   * This node's own server as a `StorageRemote`, for its own uploads: the same requests, checks and
   * accounting as a peer's, without a channel (the caller is this node).
   */
  local(): StorageRemote {
    return (this.self ??= new StorageClient(this.host.self, {
      request: async (payload) => {
        const reply = await this.serve(this.host.self, payload);
        if (reply.ok) return reply.body;
        throw new StorageError(reply.code, reply.message);
      },
    }));
  }

  remote(peer: NodeId): StorageRemote | undefined {
    const entry = this.links.get(peer);
    return entry === undefined || entry.channel.isClosed ? undefined : entry.client;
  }

  // For the owner and the dashboard

  clients(): StorageClientInfo[] {
    return this.server.clientsUsage(this.host.now());
  }

  usage(): StorageUsage {
    const offered = this.server.offer;
    const used = this.server.used();
    return { offered, used, free: Math.max(0, offered - used) };
  }

  async setOffer(bytes: number): Promise<void> {
    if (!Number.isFinite(bytes) || bytes < 0)
      throw new OfferError(`offer must be a byte count, got ${bytes}`);
    await this.refreshEstimate();
    const offer = Math.floor(Math.min(bytes, this.offerLimit ?? Infinity));
    await this.owner(() => this.server.setOffer(offer));
    if (offer > 0) await this.askPersist();
  }

  async setQuota(id: string, bytes: number | undefined): Promise<void> {
    if (bytes !== undefined && (!Number.isFinite(bytes) || bytes < 0)) {
      throw new OfferError(`quota must be a byte count or undefined, got ${bytes}`);
    }
    await this.owner(() => this.server.setQuota(id, bytes, this.host.now()));
  }

  /** Deletes everything `id` stored here (its leases, unfinished uploads, and shares left unleased). */
  async deleteClient(id: string): Promise<void> {
    await this.owner(() => this.server.deleteClient(id, this.host.now()));
  }

  /** The `storage` service parameters to publish. */
  params(): ServiceParams {
    return {
      'available-space': String(this.usage().free),
      'maximum-share-size': String(this.server.config.maxShareSize),
    };
  }

  /** Re-reads `navigator.storage.estimate()`; the offer limit follows it. */
  async refreshEstimate(): Promise<void> {
    const manager = this.manager();
    if (manager === undefined) return;
    try {
      const { quota, usage } = await manager.estimate();
      if (quota !== undefined) this.offerLimit = Math.max(0, quota - (usage ?? 0) + this.server.used());
    } catch {
      this.host.count('storage.estimate-failed');
    }
  }

  private async askPersist(): Promise<void> {
    const manager = this.manager();
    if (manager?.persist === undefined) return;
    try {
      this.persisted = (await manager.persisted?.()) || (await manager.persist());
    } catch {
      this.persisted = false;
    }
    this.dispatchEvent(new Event('change'));
  }

  private manager(): StorageManagerLike | undefined {
    if ('storageManager' in this.options) return this.options.storageManager;
    return typeof navigator === 'undefined' ? undefined : navigator.storage;
  }

  private async owner(make: () => Batch): Promise<void> {
    const result = await this.handler.commitOwner(make);
    if (!result.ok) throw new StorageError(result.code === 'full' ? 'full' : 'closed', result.message);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.handler.commitOwner(() => this.server.tick(this.host.now()));
  }

  private async serve(peer: NodeId, payload: Uint8Array) {
    const held = this.inHand.get(peer) ?? 0;
    if (held >= this.maxPerCaller) {
      this.host.count('storage.busy-caller');
      return { ok: false as const, code: 'busy' as const, message: `${held} of your requests in hand` };
    }
    this.inHand.set(peer, held + 1);
    try {
      return await this.handler.handle(peer, payload);
    } finally {
      const left = (this.inHand.get(peer) ?? 1) - 1;
      if (left === 0) this.inHand.delete(peer);
      else this.inHand.set(peer, left);
    }
  }
}
