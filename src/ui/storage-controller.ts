/**
 * The Storage panel's side of the shell: reads `gridNode.storage` (space, persistence, clients) for the
 * panel, names each client as the rest of the dashboard does and adds the owner's allow/deny for it, asks
 * the host to render again on the service's 'change', and carries out the panel's intents through the
 * grid controller's `run` (busy 'storage'; a failure shows in the panel).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { GridController } from './controller.ts';
import { Follow } from './follow.ts';
import type { StorageClientRow, StorageUsageView } from './grid-storage/grid-storage.ts';
import type { StorageLike } from './node-types.ts';

export class StorageController implements ReactiveController {
  private readonly follow: Follow<StorageLike>;

  constructor(
    host: ReactiveControllerHost,
    private readonly grid: GridController,
  ) {
    this.follow = new Follow(() => this.storage, { change: () => host.requestUpdate() });
    host.addController(this);
  }

  hostConnected(): void {
    this.follow.sync();
  }

  hostUpdate(): void {
    this.follow.sync();
  }

  hostDisconnected(): void {
    this.follow.off();
  }

  /** This node's storage service, if the node has one. */
  get storage(): StorageLike | undefined {
    return this.grid.node?.storage;
  }

  get usage(): StorageUsageView | undefined {
    return this.storage?.usage();
  }

  get persisted(): boolean | undefined {
    return this.storage?.persisted;
  }

  get offerLimit(): number | undefined {
    return this.storage?.offerLimit;
  }

  /** Who stores what here, the largest first; named by petname or nickname where this node knows one. */
  get clients(): StorageClientRow[] {
    const node = this.grid.node;
    const storage = this.storage;
    if (!node || !storage) return [];
    const policy = node.policy();
    const known = new Map(this.grid.members.map((m) => [m.id, m]));
    return storage
      .clients()
      .map((c) => {
        const member = known.get(c.id);
        return {
          id: c.id,
          nickname: member && member.name !== member.short ? member.name : undefined,
          lookalike: member?.lookalike ?? false,
          bytes: c.bytes,
          shares: c.shares,
          lastUsedAt: c.lastUsedAt,
          quota: c.quota,
          policy: policy[c.id],
          self: c.id === node.id,
        };
      })
      .sort((a, b) => b.bytes - a.bytes || a.id.localeCompare(b.id));
  }

  get error(): string | undefined {
    return this.grid.errorOf('storage');
  }

  setOffer(bytes: number): Promise<void> {
    return this.act((s) => s.setOffer(bytes));
  }

  setQuota(id: string, bytes: number | undefined): Promise<void> {
    return this.act((s) => s.setQuota(id, bytes));
  }

  deleteClient(id: string): Promise<void> {
    return this.act((s) => s.deleteClient(id));
  }

  private async act(action: (storage: StorageLike) => Promise<void>): Promise<void> {
    await this.grid.run('storage', async (node) => {
      if (!node.storage) throw new Error('this node has no storage service');
      await action(node.storage);
    });
  }
}
