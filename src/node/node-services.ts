/**
 * The services every node runs (`gridNode.ping`, `.storage`, `.clubs`, `.files`), made once at start-up
 * and wired to the node's session. GridNode and the session know the registry only; this file is where
 * the services learn about each other and about membership.
 *
 * Rules:
 * - "May use": this node itself (its own uploads go to its own server); otherwise a member in good
 *   standing that the owner does not deny and, under an allow list, is allowed or on the roster of a
 *   storage club this node joined (src/services/clubs.ts). Deny always wins.
 * - A member admitted through a club (not by the owner's own policy) has the club's quota.
 * - Storage servers are the members in good standing that announce `storage`, in
 *   `getPermutedPeers('storage', SI)` order (this node included when it offers storage).
 */
import type { NodeId, ServiceParams, Services } from '../core/index.ts';
import { ClubService } from '../services/club-service.ts';
import { FilesService } from '../services/files-service.ts';
import { builtinServices, StorageService } from '../services/index.ts';
import { ServiceRegistry } from '../services/registry.ts';
import { openFileList, openShareStore } from '../store/index.ts';
import type { ActiveGrid } from './grids.ts';
import type { MembershipGuard } from './guard.ts';
import type { Runtime } from './runtime.ts';
import type { Settings } from './settings.ts';

/** What the services need of the session. */
export interface ServiceContext {
  readonly id: NodeId;
  readonly runtime: Runtime;
  readonly guard: MembershipGuard;
  readonly settings: Settings;
  readonly active: ActiveGrid | undefined;
  ownServices(): Services;
  storageChanged(storage: StorageService): void;
}

export class NodeServices {
  private constructor(
    private readonly node: ServiceContext,
    readonly registry: ServiceRegistry,
    readonly clubs: ClubService,
    readonly storage: StorageService,
    readonly files: FilesService,
  ) {}

  static async create(node: ServiceContext, dbName: string): Promise<NodeServices> {
    let self: NodeServices | undefined;
    const registry = new ServiceRegistry({
      self: node.id,
      mayUse: (peer) => self?.mayUse(peer) ?? false,
      now: () => node.runtime.now(),
    });
    for (const factory of builtinServices) registry.add(factory);
    const [shares, list] = await Promise.all([openShareStore(dbName), openFileList(dbName)]);
    const clubs = await registry.addAsync((host) =>
      ClubService.create(host, {
        list,
        peers: () => (node.runtime.core?.getPeers() ?? []).filter((p) => p.self || node.guard.isMember(p.id)),
        publish: (service, params) => self!.publish(service, params),
      }),
    );
    const storage = await registry.addAsync((host) =>
      StorageService.create(host, {
        store: shares,
        quotaFor: (caller) => (node.settings.mayUse(caller) ? undefined : clubs.terms(caller).quota),
      }),
    );
    storage.addEventListener('change', () => node.storageChanged(storage));
    const files = await registry.addAsync((host) =>
      FilesService.create(host, {
        storage,
        list,
        offering: () => self!.storageServers(new Uint8Array(16)),
        permuted: (si) => self!.storageServers(si),
        grid: () => node.active?.hex,
        roster: (club) => clubs.roster(club),
      }),
    );
    self = new NodeServices(node, registry, clubs, storage, files);
    return self;
  }

  mayUse(peer: NodeId): boolean {
    const { node } = this;
    if (peer === node.id) return true;
    if (!node.guard.isMember(peer) || node.settings.policy()[peer] === 'deny') return false;
    return node.settings.mayUse(peer) || this.clubs.terms(peer).admitted;
  }

  /** Offers (params) or withdraws (undefined) one of this node's services, and keeps the choice. */
  async publish(service: string, params: ServiceParams | undefined): Promise<void> {
    const { node } = this;
    const grid = node.active;
    if (!grid || !node.runtime.core) throw new Error('this node is in no grid');
    await node.runtime.input((c) => (params ? c.publish(service, params) : c.unpublish(service)));
    await node.settings.setServices(grid.hex, node.ownServices());
  }

  /** Members in good standing that announce `storage`, in permuted order for `storageIndex`. */
  storageServers(storageIndex: Uint8Array): NodeId[] {
    const { node } = this;
    const peers = node.runtime.core?.getPermutedPeers('storage', storageIndex) ?? [];
    return peers
      .map((p) => p.id)
      .filter((id) => id === node.id || (node.guard.isMember(id) && !node.guard.members.get(id)?.leaving));
  }
}
