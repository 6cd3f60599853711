/**
 * The mesh as the members announce it (PROTOCOL.md §10, "Keeping the mesh whole"): which links let go would
 * split it, and which new link keeps one member's leaving from splitting it.
 *
 * Every member announces its links (the `mesh` service, `links` parameter: node ids, space-separated).
 * A link between two other members counts only when both ends list each other: an announcement can be
 * old, and a link one end has let go must not hold the picture together. This node's own links are what
 * it has now. A member whose list is not known yet counts by what the others list.
 *
 * Pure: the caller passes this node's links and everyone's lists; nothing here keeps state or throws.
 * Searches are breadth-first over at most `maxMembers` members, each repair check at most that many
 * times over. A grid with more members than that has no picture here: nothing is repaired and no link is
 * judged the only way (a cut in a partial picture may be nothing but the part left out).
 */
import type { NodeId } from '../core/identity.ts';

/** Each member's announced links. */
export type LinkLists = ReadonlyMap<NodeId, readonly NodeId[]>;

export class MeshGraph {
  /** Who links to whom, both ways. */
  private readonly adjacent = new Map<NodeId, Set<NodeId>>();
  /** More members than `maxMembers`: the picture is partial. */
  readonly partial: boolean;

  constructor(
    readonly self: NodeId,
    ownLinks: readonly NodeId[],
    lists: LinkLists,
    maxMembers = 256,
  ) {
    let partial = false;
    const within = (id: NodeId) => {
      if (this.adjacent.has(id) || this.adjacent.size < maxMembers) return true;
      partial = true;
      return false;
    };
    this.vertex(self);
    for (const peer of ownLinks) if (within(peer)) this.edge(self, peer);
    for (const [id, links] of lists) {
      if (id === self || !within(id)) continue;
      this.vertex(id);
      for (const other of links) {
        if (other === self || other === id || !within(other)) continue;
        const back = lists.get(other);
        // Both ends must say so; a member not heard from yet is taken at the others' word.
        if (back === undefined || back.includes(id)) this.edge(id, other);
      }
    }
    this.partial = partial;
  }

  /** The members in the picture, this node included. */
  get size(): number {
    return this.adjacent.size;
  }

  /** The announced links of `id` (this node's own: its links now). */
  degree(id: NodeId): number | undefined {
    return this.adjacent.get(id)?.size;
  }

  /**
   * Whether `peer` (a neighbour) stays reachable from this node without their link: true if so, false if
   * that link is the only way (letting it go would split the mesh), undefined if `peer` is not in the
   * picture at all.
   */
  keepsWithout(peer: NodeId): boolean | undefined {
    if (!this.adjacent.get(this.self)?.has(peer)) return undefined;
    const keeps = this.reach(this.self, undefined, [this.self, peer]).has(peer);
    return keeps || (this.partial ? undefined : false);
  }

  /**
   * A link that keeps one member's leaving from splitting the mesh, if this node is the one to make it:
   * for each member whose leaving would cut the part this node is in into pieces, the member with room and
   * the smallest id dials the member with room and the smallest id in another piece; this node answers
   * for the first such member (by id) where it is the one to dial. Room:
   * fewer than `maxLinks` announced links (this node: `hasRoom`). Every member that sees the same picture
   * picks the same pair, so one link is made, not one from each piece. `skip`: members not to dial now.
   */
  repair(maxLinks: number, hasRoom: boolean, skip: ReadonlySet<NodeId> = new Set()): NodeId | undefined {
    if (this.partial) return undefined;
    const part = this.reach(this.self);
    const roomy = (id: NodeId) =>
      id === this.self ? hasRoom : !skip.has(id) && (this.degree(id) ?? maxLinks) < maxLinks;
    for (const cut of [...part].sort()) {
      if (cut === this.self) continue;
      const pieces = this.piecesWithout(cut, part);
      if (pieces.length < 2) continue;
      const firsts = pieces.map((piece) => [...piece].filter(roomy).sort()[0]);
      const open = firsts.flatMap((first, i) => (first === undefined ? [] : [{ first, i }]));
      if (open.length < 2) continue;
      open.sort((a, b) => (a.first < b.first ? -1 : 1));
      const dialer = open[0]!;
      if (dialer.first !== this.self) continue;
      return open[1]!.first;
    }
    return undefined;
  }

  /** The pieces `part` falls into without `cut`. */
  private piecesWithout(cut: NodeId, part: ReadonlySet<NodeId>): Set<NodeId>[] {
    const pieces: Set<NodeId>[] = [];
    const placed = new Set<NodeId>([cut]);
    for (const id of part) {
      if (placed.has(id)) continue;
      const piece = this.reach(id, cut);
      for (const member of piece) placed.add(member);
      pieces.push(piece);
    }
    return pieces;
  }

  /** Everyone reachable from `from`, never through `without`, nor over the link `cutLink`. */
  private reach(from: NodeId, without?: NodeId, cutLink?: readonly [NodeId, NodeId]): Set<NodeId> {
    const seen = new Set<NodeId>([from]);
    const queue = [from];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      for (const next of this.adjacent.get(id) ?? []) {
        if (next === without || seen.has(next)) continue;
        if (
          cutLink &&
          ((id === cutLink[0] && next === cutLink[1]) || (id === cutLink[1] && next === cutLink[0]))
        )
          continue;
        seen.add(next);
        queue.push(next);
      }
    }
    return seen;
  }

  private vertex(id: NodeId): Set<NodeId> {
    let set = this.adjacent.get(id);
    if (!set) this.adjacent.set(id, (set = new Set()));
    return set;
  }

  private edge(a: NodeId, b: NodeId): void {
    this.vertex(a).add(b);
    this.vertex(b).add(a);
  }
}

/** The `links` parameter of a member's `mesh` service: its links, or undefined if it has none that parse. */
export function parseLinkList(
  value: string | undefined,
  isId: (id: string) => boolean,
): NodeId[] | undefined {
  if (value === undefined) return undefined;
  const ids = value.split(' ').filter((id) => id.length > 0);
  return ids.every(isId) ? (ids as NodeId[]) : undefined;
}

/** This node's links as the `links` parameter: sorted, as many as fit in `maxBytes`. */
export function encodeLinkList(links: readonly NodeId[], maxBytes: number): string {
  let out = '';
  for (const id of [...links].sort()) {
    const next = out ? `${out} ${id}` : id;
    if (next.length > maxBytes) break;
    out = next;
  }
  return out;
}
