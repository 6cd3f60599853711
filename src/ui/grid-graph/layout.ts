/**
 * Force-directed layout of the grid picture (d3-force), kept stable across updates: every node keeps its
 * position from the previous picture, newcomers start beside a node they link to, and only a change of
 * members or links runs the simulation again, from a low temperature so the picture settles rather than
 * reshuffles. It runs synchronously to rest (no animation timer), and with seeded randomness and seeded
 * starting points, so the same inputs give the same picture.
 */
import {
  type SimulationLinkDatum,
  type SimulationNodeDatum,
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  forceX,
  forceY,
} from 'd3-force';

export interface Point {
  readonly x: number;
  readonly y: number;
}

export type Edge = readonly [string, string];

interface LayoutNode extends SimulationNodeDatum {
  id: string;
  x: number;
  y: number;
}

/** A first picture cools from 1; an update only warms it to this, so settled nodes move little. */
const UPDATE_ALPHA = 0.3;
/** d3's default point of rest. */
const ALPHA_MIN = 0.001;
/**
 * Node-ticks per layout: a tick costs about n log n, and the whole layout runs on the main thread, so big
 * grids get fewer, coarser ticks (about 0.2 s for 500 members) instead of a frozen tab.
 */
const FIRST_BUDGET = 30_000;
const UPDATE_BUDGET = 12_000;
const LINK_DISTANCE = 90;

const ticksFor = (budget: number, n: number, max: number) =>
  Math.max(30, Math.min(max, Math.ceil(budget / n)));

/** FNV-1a: a stable number per id, for starting angles. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Park–Miller LCG: d3's jiggle for coincident nodes, made repeatable. */
function seededRandom(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

export class GraphLayout {
  private nodes = new Map<string, LayoutNode>();
  private key: string | undefined;

  /**
   * Positions for `ids`, linked by `edges` (edges naming unknown ids are ignored). `center` (this node)
   * stays pinned at the origin.
   */
  update(ids: readonly string[], edges: readonly Edge[], center?: string): ReadonlyMap<string, Point> {
    const known = new Set(ids);
    const links = edges.filter(([a, b]) => a !== b && known.has(a) && known.has(b));
    const key = JSON.stringify([[...known].sort(), links.map((l) => [...l].sort().join(' ')).sort(), center]);
    if (key === this.key) return this.nodes;
    const first = this.key === undefined || this.nodes.size === 0;
    this.key = key;

    const previous = this.nodes;
    const next = new Map<string, LayoutNode>();
    for (const id of ids) {
      const old = previous.get(id);
      next.set(id, old ? { id, x: old.x, y: old.y } : { id, ...this.start(id, links, previous, center) });
    }
    for (const node of next.values()) {
      node.fx = node.id === center ? 0 : undefined;
      node.fy = node.id === center ? 0 : undefined;
      if (node.id === center) node.x = node.y = 0;
    }
    this.nodes = next;
    if (next.size > 1) this.run([...next.values()], links, first);
    return next;
  }

  private start(
    id: string,
    links: readonly Edge[],
    placed: ReadonlyMap<string, LayoutNode>,
    center?: string,
  ) {
    const angle = ((hash(id) % 3600) / 3600) * 2 * Math.PI;
    const neighbour = links
      .map(([a, b]) => (a === id ? b : b === id ? a : undefined))
      .find((n) => n && placed.has(n));
    const anchor = neighbour ? placed.get(neighbour) : center ? { x: 0, y: 0 } : undefined;
    const radius = neighbour ? LINK_DISTANCE * 0.8 : LINK_DISTANCE * 1.6;
    return { x: (anchor?.x ?? 0) + radius * Math.cos(angle), y: (anchor?.y ?? 0) + radius * Math.sin(angle) };
  }

  private run(nodes: LayoutNode[], edges: readonly Edge[], first: boolean): void {
    const links: SimulationLinkDatum<LayoutNode>[] = edges.map(([source, target]) => ({ source, target }));
    const simulation = forceSimulation(nodes)
      .randomSource(seededRandom(hash(nodes.map((n) => n.id).join())))
      .force(
        'link',
        forceLink<LayoutNode, SimulationLinkDatum<LayoutNode>>(links)
          .id((n) => n.id)
          .distance(LINK_DISTANCE),
      )
      .force('charge', forceManyBody<LayoutNode>().strength(-220).distanceMax(600))
      .force('collide', forceCollide<LayoutNode>(28))
      .force('x', forceX<LayoutNode>(0).strength(0.04))
      .force('y', forceY<LayoutNode>(0).strength(0.04))
      // Ticked below by hand: no timer, no frames, done before the element renders.
      .stop();
    const alpha = first ? 1 : UPDATE_ALPHA;
    const ticks = first
      ? ticksFor(FIRST_BUDGET, nodes.length, 300)
      : ticksFor(UPDATE_BUDGET, nodes.length, 120);
    // Cool to rest in exactly `ticks` steps, however many that is.
    simulation.alpha(alpha).alphaDecay(1 - (ALPHA_MIN / alpha) ** (1 / ticks));
    simulation.tick(ticks);
    for (const node of nodes) node.vx = node.vy = 0;
  }
}
