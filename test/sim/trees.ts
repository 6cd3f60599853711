/**
 * The trees of a grid that has run a while, for the simulator's settled start. A real node never persists
 * its trees: after a start every origin's next version spreads by IHAVE and GRAFT builds its tree again
 * (PROTOCOL.md §5), which for every origin of a 10,000-node grid is the cold start's N² · K refs. A grid
 * that has run a while has paid that long ago, and what GRAFT converges to is the tree of first arrivals:
 * each node's parent is the neighbour whose advertisement came first, which on equal link latencies is a
 * neighbour one hop nearer the origin. `plantTrees` sets that tree — breadth first from each origin, in link
 * order — directly in every node's table (`GossipNode.plantTree`): each node's tree links for an origin are
 * its parent and its children. Nothing else is touched, so every rule runs as usual from there.
 */
import { type Tag, tagOf } from '../../src/core/index.ts';
import type { Simulation } from './network.ts';

/** Plants every live origin's breadth-first tree over the live links; returns the tree links set. */
export function plantTrees(sim: Simulation): number {
  const n = sim.nodes.length;
  // The links as one adjacency array (CSR), read once.
  const start = new Int32Array(n + 1);
  const lists = sim.nodes.map((node) => (node.alive ? sim.neighbours(node.index) : []));
  for (let i = 0; i < n; i++) start[i + 1] = start[i]! + lists[i]!.length;
  const adjacent = new Int32Array(start[n]!);
  for (let i = 0; i < n; i++) adjacent.set(lists[i]!, start[i]!);
  const tags: Tag[] = sim.nodes.map((node) => tagOf(node.signer.publicKey));
  const parent = new Int32Array(n);
  const queue = new Int32Array(n);
  let planted = 0;
  for (let origin = 0; origin < n; origin++) {
    if (!sim.nodes[origin]!.alive) continue;
    parent.fill(-1);
    parent[origin] = origin;
    queue[0] = origin;
    const tag = tags[origin]!;
    for (let head = 0, tail = 1; head < tail; head++) {
      const v = queue[head]!;
      for (let e = start[v]!; e < start[v + 1]!; e++) {
        const w = adjacent[e]!;
        if (parent[w] !== -1) continue;
        parent[w] = v;
        queue[tail++] = w;
        sim.nodes[w]!.node.plantTree(tag, sim.nodes[v]!.id);
        sim.nodes[v]!.node.plantTree(tag, sim.nodes[w]!.id);
        planted++;
      }
    }
  }
  return planted;
}
