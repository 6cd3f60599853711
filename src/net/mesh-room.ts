/**
 * Slots: which attempts fit under `maxLinks`, and when a full node makes room (PROTOCOL.md §10). Pure; the
 * caller passes its clock and what it knows of the asker.
 *
 * Rules:
 * - "`maxLinks` holds for every attempt, made or answered": the node's own dials count as much as
 *   the attempts others make with it.
 * - "a slot made for a peer is held for it for `reserveMs`": a full node that lets a neighbour go for a
 *   newcomer (or for a link a person asked for) keeps the slot free of other dialers while the newcomer's
 *   hello and offer are on their way.
 * - A full node makes room (HyParView's rule) for a known member that says it has fewer than
 *   `targetLinks` links (`k`) or that a person asked for this link (`ask`), or for one not known yet that
 *   says it has none (an invitee is unknown until its first announcement arrives over its first link, so a
 *   grid whose members are all full could not be joined otherwise) — at most once every `evictEveryMs`.
 *
 * Invariant: the reservations held are bounded by the evictions and asks allowed per `reserveMs`.
 */
import type { NodeId } from '../core/identity.ts';

export interface RoomOptions {
  maxLinks: number;
  targetLinks: number;
  evictEveryMs: number;
  reserveMs: number;
}

/** What a hello or offer says about its sender's links. */
export interface Asking {
  /** The sender's links now. */
  k?: unknown;
  /** 1: a person asked for this link (`gridNode.link(id)`). */
  ask?: unknown;
}

export class Room {
  private lastEviction = Number.NEGATIVE_INFINITY;
  private readonly reserved = new Map<NodeId, number>();

  constructor(private readonly options: RoomOptions) {}

  /** Whether an attempt with `peer` (or anyone: undefined) fits beside the attempts `held` now. */
  hasRoomFor(peer: NodeId | undefined, held: ReadonlyMap<NodeId, unknown>, now: number): boolean {
    let reservedForOthers = 0;
    for (const [id, until] of this.reserved) {
      if (until <= now || held.has(id)) this.reserved.delete(id);
      else if (id !== peer) reservedForOthers++;
    }
    return held.size + reservedForOthers < this.options.maxLinks;
  }

  /** Holds a slot for `peer` (an asked-for link this node dials). */
  reserve(peer: NodeId, now: number): void {
    this.reserved.set(peer, now + this.options.reserveMs);
  }

  /** Whether a full node lets a neighbour go for `peer`, by what its hello or offer says. */
  mayEvictFor(message: Asking, known: boolean, now: number): boolean {
    const { k } = message;
    const asked = message.ask === 1 && known;
    const needy = typeof k === 'number' && k < this.options.targetLinks && (known || k === 0);
    return (asked || needy) && now - this.lastEviction >= this.options.evictEveryMs;
  }

  /** A neighbour was let go for `peer`: the slot is its own for `reserveMs`. */
  evicted(peer: NodeId, now: number): void {
    this.lastEviction = now;
    this.reserve(peer, now);
  }
}
