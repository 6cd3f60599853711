/**
 * Routing signaling through the mesh (PROTOCOL.md §10): how a signed signaling message travels from its
 * origin over the data channels of linked members to a member it has no link with.
 *
 * A route frame is JSON `{ v: 1, id, o, t, e, p, d }`: a random message id, the origin and the target
 * (node ids), the origin's deadline `e` (ms), the path `p` (the origin first, then every forwarder, the
 * sender last) and `d`, the signed signaling message (signed-signaling.ts), which forwarders never open.
 *
 * Each node forwards from its own view, in this order:
 * 1. the target is linked: to it;
 * 2. a route learnt from recent frames (every frame teaches "each node on its path is reachable through
 *    the link it came in on"): to that link;
 * 3. a linked neighbour listed the target among its own links (neighbour lists are exchanged over links):
 *    to that neighbour (two of them, from the origin);
 * 4. otherwise, while the path is shorter than `floodHops`, to every link not on the path (the fallback).
 * A forwarder whose next hop is gone therefore re-routes from its own view.
 *
 * Bounds: `maxFrameBytes` per frame; `maxHops` nodes on a path, none twice, nothing sent back along it;
 * a frame id is handled once within `dedupMs` (bounded count); frames per link and per origin are
 * rate-limited; a frame past its deadline, or with a deadline too far ahead, is dropped; nothing is
 * carried for an origin or target that is not a known member (unknown or revoked). Every drop is counted.
 *
 * Pure: time and randomness are inputs; every table is bounded. Nothing received throws.
 */
import { type NodeId, parseNodeId } from '../core/identity.ts';
import { RateLimit } from './rate-limit.ts';

export const meshRouteDefaults = {
  maxFrameBytes: 16 * 1024,
  maxHops: 6,
  floodHops: 3,
  dedupMs: 60_000,
  maxSeen: 8192,
  maxRoutes: 2048,
  routeTtlMs: 120_000,
  /** A frame's deadline: the origin's clock plus this; a receiver refuses deadlines beyond twice it. */
  deadlineMs: 15_000,
  linkBurst: 64,
  linkPerSecond: 32,
  originBurst: 32,
  originPerSecond: 8,
  maxNeighbours: 64,
} as const;

export type MeshRouteOptions = { -readonly [K in keyof typeof meshRouteDefaults]: number };

export interface RouteView {
  readonly self: NodeId;
  /** The links up now (proved and admitted). */
  links(): readonly NodeId[];
  /** Whether a node is a known member now (not unknown, not revoked). */
  known(id: NodeId): boolean;
}

export interface RouteFrame {
  id: string;
  o: NodeId;
  t: NodeId;
  e: number;
  p: NodeId[];
  d: unknown;
}

/** One frame to hand to a link. */
export interface Send {
  to: NodeId;
  bytes: Uint8Array;
}

export interface Received {
  /** The frame was for this node: its origin and signed message. */
  deliver?: { origin: NodeId; payload: unknown; hops: number };
  sends: Send[];
}

const ID = /^[0-9a-f]{16}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A route frame's bytes parsed and checked for shape, or why not. Pure; never throws. */
export function parseRouteFrame(bytes: Uint8Array, maxBytes: number, maxHops: number): RouteFrame | string {
  if (bytes.length > maxBytes) return 'route-too-large';
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return 'route-bad-json';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'route-bad-shape';
  const { v, id, o, t, e, p } = value as Record<string, unknown>;
  if (v !== 1 || typeof id !== 'string' || !ID.test(id) || !('d' in value)) return 'route-bad-shape';
  if (typeof o !== 'string' || typeof t !== 'string' || !parseNodeId(o) || !parseNodeId(t) || o === t)
    return 'route-bad-shape';
  if (typeof e !== 'number' || !Number.isFinite(e)) return 'route-bad-shape';
  if (!Array.isArray(p) || p.length < 1 || p.length > maxHops) return 'route-bad-path';
  if (p[0] !== o || new Set(p).size !== p.length) return 'route-bad-path';
  for (const hop of p) if (typeof hop !== 'string' || !parseNodeId(hop)) return 'route-bad-path';
  return { id, o: o as NodeId, t: t as NodeId, e, p: p as NodeId[], d: (value as { d: unknown }).d };
}

export function encodeRouteFrame(frame: RouteFrame): Uint8Array {
  return encoder.encode(JSON.stringify({ v: 1, ...frame }));
}

/** A neighbour list frame's ids, or why not. Pure; never throws. */
export function parseNeighbours(bytes: Uint8Array, max: number): NodeId[] | string {
  if (bytes.length > max * 64 + 16) return 'neighbours-too-large';
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return 'neighbours-bad-json';
  }
  if (!Array.isArray(value) || value.length > max) return 'neighbours-bad-shape';
  for (const id of value) if (typeof id !== 'string' || !parseNodeId(id)) return 'neighbours-bad-shape';
  return value as NodeId[];
}

export function encodeNeighbours(ids: readonly NodeId[]): Uint8Array {
  return encoder.encode(JSON.stringify(ids));
}

interface Route {
  via: NodeId;
  hops: number;
  at: number;
}

export class MeshRouter {
  readonly options: MeshRouteOptions;
  readonly dropped: Record<string, number> = {};
  readonly counts = { originated: 0, forwarded: 0, delivered: 0, flooded: 0 };
  private readonly seen = new Map<string, number>();
  private readonly routes = new Map<NodeId, Route>();
  private readonly lists = new Map<NodeId, Set<NodeId>>();
  private readonly perLink: RateLimit;
  private readonly perOrigin: RateLimit;

  constructor(
    private readonly view: RouteView,
    private readonly random: () => number,
    options: Partial<MeshRouteOptions> = {},
  ) {
    this.options = { ...meshRouteDefaults, ...options };
    this.perLink = new RateLimit(this.options.linkBurst, this.options.linkPerSecond);
    this.perOrigin = new RateLimit(this.options.originBurst, this.options.originPerSecond, 4096);
  }

  /** Frames that carry `payload` from this node towards `to`; none if nothing can take it. */
  originate(to: NodeId, payload: unknown, now: number): Send[] {
    const self = this.view.self;
    if (to === self || !this.view.known(to)) return this.none('route-unknown-target');
    const frame: RouteFrame = {
      id: this.newId(),
      o: self,
      t: to,
      e: now + this.options.deadlineMs,
      p: [self],
      d: payload,
    };
    this.mark(frame.id, now);
    const bytes = encodeRouteFrame(frame);
    if (bytes.length > this.options.maxFrameBytes) return this.none('route-too-large');
    const next = this.nextHops(to, frame.p, now, true);
    if (next.length === 0) return this.none('route-no-way');
    this.counts.originated++;
    return next.map((hop) => ({ to: hop, bytes }));
  }

  /** A route frame from the linked neighbour `from`. */
  receive(from: NodeId, bytes: Uint8Array, now: number): Received {
    const none: Received = { sends: [] };
    if (!this.perLink.take(from, now)) return this.drop(none, 'route-link-rate');
    const frame = parseRouteFrame(bytes, this.options.maxFrameBytes, this.options.maxHops);
    if (typeof frame === 'string') return this.drop(none, frame);
    const self = this.view.self;
    if (frame.p[frame.p.length - 1] !== from) return this.drop(none, 'route-bad-path');
    if (frame.p.includes(self) || frame.o === self) return this.drop(none, 'route-loop');
    // This node is always its own target: in a grid with membership, `known` lists other members only.
    if (!this.view.known(frame.o) || (frame.t !== self && !this.view.known(frame.t)))
      return this.drop(none, 'route-unknown');
    if (now > frame.e) return this.drop(none, 'route-late');
    if (frame.e > now + 2 * this.options.deadlineMs) return this.drop(none, 'route-deadline-far');
    if (this.seen.has(frame.id) && this.seen.get(frame.id)! > now) return this.drop(none, 'route-duplicate');
    this.mark(frame.id, now);
    if (!this.perOrigin.take(frame.o, now)) return this.drop(none, 'route-origin-rate');
    this.learn(from, frame.p, now);
    if (frame.t === self) {
      this.counts.delivered++;
      return { deliver: { origin: frame.o, payload: frame.d, hops: frame.p.length }, sends: [] };
    }
    const path = [...frame.p, self];
    if (path.length > this.options.maxHops) return this.drop(none, 'route-hops');
    const next = this.nextHops(frame.t, path, now, false);
    if (next.length === 0) return this.drop(none, 'route-no-way');
    this.counts.forwarded++;
    const out = encodeRouteFrame({ ...frame, p: path });
    return { sends: next.map((hop) => ({ to: hop, bytes: out })) };
  }

  /** The links `from` says it has now (bounded); replaces what it said before. */
  neighbours(from: NodeId, ids: readonly NodeId[]): void {
    this.lists.set(from, new Set(ids.slice(0, this.options.maxNeighbours)));
  }

  /** Whether `peer`'s last list names `id`. */
  listed(peer: NodeId, id: NodeId): boolean {
    return this.lists.get(peer)?.has(id) ?? false;
  }

  /** The links `peer` listed last, if it has. */
  listOf(peer: NodeId): NodeId[] | undefined {
    const list = this.lists.get(peer);
    return list && [...list];
  }

  /** How many links `peer` listed last, if it has. */
  degree(peer: NodeId): number | undefined {
    return this.lists.get(peer)?.size;
  }

  /** A link went down: its list and the routes through it are forgotten. */
  linkDown(peer: NodeId): void {
    this.lists.delete(peer);
    for (const [target, route] of this.routes) if (route.via === peer) this.routes.delete(target);
  }

  /** Whether any link could carry a frame at all. */
  canRoute(): boolean {
    return this.view.links().length > 0;
  }

  status() {
    return { ...this.counts, routes: this.routes.size, dropped: { ...this.dropped } };
  }

  /** Where a frame for `target`, having come along `path`, goes next (the rules in the header). */
  private nextHops(target: NodeId, path: readonly NodeId[], now: number, origin: boolean): NodeId[] {
    const links = this.view.links();
    if (links.includes(target)) return [target];
    const open = links.filter((l) => !path.includes(l));
    if (open.length === 0) return [];
    // A route that traffic proved lately comes first; neighbour lists may be stale.
    const route = this.routes.get(target);
    if (route && now - route.at <= this.options.routeTtlMs && open.includes(route.via)) return [route.via];
    // Two disjoint first hops from the origin when two neighbours list the target.
    const listing = open.filter((l) => this.lists.get(l)?.has(target));
    if (listing.length > 0) return this.shuffle(listing).slice(0, origin ? 2 : 1);
    if (path.length > this.options.floodHops) return [];
    this.counts.flooded++;
    return open;
  }

  private learn(from: NodeId, path: readonly NodeId[], now: number): void {
    for (let i = 0; i < path.length; i++) {
      const node = path[i]!;
      const hops = path.length - i;
      const old = this.routes.get(node);
      if (old && old.via !== from && now - old.at <= this.options.routeTtlMs && old.hops < hops) continue;
      this.routes.delete(node);
      this.routes.set(node, { via: from, hops, at: now });
    }
    while (this.routes.size > this.options.maxRoutes) this.routes.delete(this.routes.keys().next().value!);
  }

  private mark(id: string, now: number): void {
    this.seen.delete(id);
    this.seen.set(id, now + this.options.dedupMs);
    while (this.seen.size > this.options.maxSeen) this.seen.delete(this.seen.keys().next().value!);
  }

  private newId(): string {
    let id = '';
    for (let i = 0; i < 4; i++)
      id += Math.floor(this.random() * 0x10000)
        .toString(16)
        .padStart(4, '0');
    return id;
  }

  private shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  private none(reason: string): Send[] {
    this.count(reason);
    return [];
  }

  private drop(result: Received, reason: string): Received {
    this.count(reason);
    return result;
  }

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }
}
