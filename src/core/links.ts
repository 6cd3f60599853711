/**
 * The links this node has now, as its driver reported them (`linkUp` / `linkDown`). Every part of the
 * gossip core reads them: dissemination advertises to them, anti-entropy picks one at random, liveness
 * counts the settled ones and keeps their origins fresh, pub/sub reports `connected`.
 *
 * Invariants: a peer is linked at most once; a tag is in `tags` exactly while a link with it is up.
 * Iteration follows link-up order, which the random choice of anti-entropy depends on (same seed, same run).
 */
import type { NodeId, Tag } from './identity.ts';

export interface Link {
  readonly id: NodeId;
  readonly tag: Tag;
  readonly upAt: number;
  /**
   * Dissemination's slot for this link in per-origin trees (eager.ts), `NO_SLOT` until it takes one: kept
   * on the link, not in a map by peer, because every new version looks up every link's slot.
   */
  treeSlot: number;
}

/** `Link.treeSlot` of a link that has no slot (yet). */
export const NO_SLOT = -1;

export class Links {
  private readonly byId = new Map<NodeId, Link>();
  private readonly tags = new Set<Tag>();

  get size(): number {
    return this.byId.size;
  }

  has(peer: NodeId): boolean {
    return this.byId.has(peer);
  }

  /** Whether the origin with this tag is linked to this node now. */
  hasTag(tag: Tag): boolean {
    return this.tags.has(tag);
  }

  get(peer: NodeId): Link | undefined {
    return this.byId.get(peer);
  }

  ids(): IterableIterator<NodeId> {
    return this.byId.keys();
  }

  all(): IterableIterator<Link> {
    return this.byId.values();
  }

  add(link: Link): void {
    this.byId.set(link.id, link);
    this.tags.add(link.tag);
  }

  remove(peer: NodeId): Link | undefined {
    const link = this.byId.get(peer);
    if (!link) return undefined;
    this.byId.delete(peer);
    this.tags.delete(link.tag);
    return link;
  }
}
