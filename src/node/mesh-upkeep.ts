/**
 * Keeping the mesh whole (PROTOCOL.md §10): this node announces its links, reads everyone else's, and from
 * that picture (mesh-graph.ts) says which neighbour may be let go without splitting the mesh, and makes the
 * link that keeps one member's leaving from splitting it.
 *
 * Its links go out as the `mesh` service (`links`: the node ids, space-separated), at most once every
 * `publishEveryMs` and `settleMs` after the last change (a burst of changes is one announcement; receivers
 * believe one new seqnum a second of an origin after a burst, receive-budgets.ts). A neighbour's list is
 * taken from what it told this node over the link (mesh-signaling.ts) when fresher than its announcement.
 *
 * Every `checkEveryMs` the picture is checked; a repair link is dialed only when two checks in a row name
 * the same member (announcements lag the links they describe by a gossip round), and a member dialed
 * for a repair is not dialed again for `retryAfterMs`.
 */
import type { NodeId, PeerInfo, ServiceParams } from '../core/index.ts';
import { limits } from '../core/announcement.ts';
import { parseNodeId } from '../core/identity.ts';
import { encodeLinkList, type LinkLists, MeshGraph, parseLinkList } from '../net/mesh-graph.ts';
import type { Mesh } from '../net/mesh.ts';

export const MESH_SERVICE = 'mesh';

export const upkeepDefaults = {
  settleMs: 500,
  publishEveryMs: 3_000,
  checkEveryMs: 3_000,
  retryAfterMs: 30_000,
};

export interface UpkeepDeps {
  selfId: NodeId;
  mesh(): Mesh | undefined;
  /** Every member this node holds an announcement of (the core's table). */
  members(): readonly PeerInfo[];
  /** Whether `id` is a member now (not unknown, not revoked). */
  known(id: NodeId): boolean;
  /** Announces this node's `mesh` service. */
  publish(params: ServiceParams): Promise<void>;
}

export class MeshUpkeep {
  private published: string | undefined;
  private lastPublish = Number.NEGATIVE_INFINITY;
  private publishTimer: ReturnType<typeof setTimeout> | undefined;
  private checkTimer: ReturnType<typeof setInterval> | undefined;
  private candidate: NodeId | undefined;
  private readonly dialedAt = new Map<NodeId, number>();
  readonly stats = { published: 0, repairs: 0, checks: 0, lastRepair: undefined as string | undefined };

  constructor(
    private readonly deps: UpkeepDeps,
    private readonly options = upkeepDefaults,
  ) {}

  start(): void {
    clearInterval(this.checkTimer);
    this.checkTimer = setInterval(() => this.check(), this.options.checkEveryMs);
  }

  stop(): void {
    clearInterval(this.checkTimer);
    clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    this.published = undefined;
  }

  /** This node's links changed: announce them soon. */
  linksChanged(): void {
    if (this.publishTimer) return;
    const wait = Math.max(this.options.settleMs, this.lastPublish + this.options.publishEveryMs - Date.now());
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      const links = this.deps.mesh()?.peers();
      if (!links) return;
      const value = encodeLinkList(links, limits.paramValueBytes);
      if (value === this.published) return;
      this.published = value;
      this.lastPublish = Date.now();
      this.stats.published++;
      this.deps.publish({ links: value }).catch(() => (this.published = undefined));
    }, wait);
  }

  /** Whether `peer` stays reachable without this node's link to it (undefined: not known). */
  keepsWithout(peer: NodeId): boolean | undefined {
    return this.graph()?.keepsWithout(peer);
  }

  /** Whether `peer` is linked to any member in the picture (undefined: no picture, or a partial one). */
  linkedInMesh(peer: NodeId): boolean | undefined {
    const graph = this.graph();
    return graph && !graph.partial ? (graph.degree(peer) ?? 0) > 0 : undefined;
  }

  /** The mesh as announced, with this node's links now; undefined without a mesh. */
  graph(): MeshGraph | undefined {
    const mesh = this.deps.mesh();
    if (!mesh) return undefined;
    const links = mesh.peers();
    const lists = new Map<NodeId, readonly NodeId[]>();
    const isId = (id: string) => parseNodeId(id) !== undefined && this.deps.known(id as NodeId);
    for (const member of this.deps.members()) {
      if (member.self || !this.deps.known(member.id)) continue;
      const announced = parseLinkList(member.services[MESH_SERVICE]?.links, isId);
      if (announced) lists.set(member.id, announced);
    }
    // What a neighbour told us over the link is newer than its announcement.
    for (const peer of links) {
      const told = mesh.meshSignaling.router.listOf(peer);
      if (told) lists.set(peer, told);
    }
    return new MeshGraph(this.deps.selfId, links, lists as LinkLists);
  }

  /** Dials the repair link this node is the one to make, once two checks agree on it. */
  check(now = Date.now()): void {
    this.stats.checks++;
    const mesh = this.deps.mesh();
    if (!mesh || !mesh.canSignal()) return void (this.candidate = undefined);
    for (const [id, at] of this.dialedAt) if (now - at >= this.options.retryAfterMs) this.dialedAt.delete(id);
    const target = this.graph()?.repair(mesh.maxLinks, !mesh.full(), new Set(this.dialedAt.keys()));
    if (target === undefined || target !== this.candidate) return void (this.candidate = target);
    this.candidate = undefined;
    this.dialedAt.set(target, now);
    this.stats.repairs++;
    this.stats.lastRepair = `${target} at ${now}`;
    mesh.dial([target]);
  }
}
