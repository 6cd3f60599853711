/**
 * The trees of a grid that has run a while, for the simulator's settled start. A real node never persists
 * its trees: after a start every origin's next version spreads by IHAVE and GRAFT builds its tree again
 * (PROTOCOL.md §5), which for every origin of a 10,000-node grid is the cold start's N² · K refs. A grid
 * that has run a while has paid that long ago, and what GRAFT converges to is the tree of first arrivals:
 * each node's parent is the neighbour whose advertisement came first, which on equal link latencies is a
 * neighbour one hop nearer the origin. `plantTrees` sets that tree — breadth first from each origin, in link
 * order — directly in every node's table (`GossipNode.plantTree`): each node's tree links for an origin are
 * its parent and its children. Nothing else is touched, so every rule runs as usual from there.
 *
 * The trees are found origin by origin but planted node by node (each node's table is read in one pass:
 * at 10,000 nodes the tables are gigabytes, and origin by origin every call was a cache miss), through
 * `parentAt`: for node v and origin o, the position in v's link list of v's parent (`ROOT` at the origin,
 * `UNREACHED` where o cannot be reached).
 */
import { type Tag, tagOf } from '../../src/core/index.ts';
import type { Simulation } from './network.ts';

const ROOT = 254;
const UNREACHED = 255;

/** Plants every live origin's breadth-first tree over the live links; returns the tree links set. */
export function plantTrees(sim: Simulation): number {
  const n = sim.nodes.length;
  // The links as one adjacency array (CSR), read once.
  const start = new Int32Array(n + 1);
  const lists = sim.nodes.map((node) => (node.alive ? sim.neighbours(node.index) : []));
  for (let i = 0; i < n; i++) {
    if (lists[i]!.length >= ROOT) throw new Error(`plantTrees: node ${i} has ${lists[i]!.length} links`);
    start[i + 1] = start[i]! + lists[i]!.length;
  }
  const adjacent = new Int32Array(start[n]!);
  for (let i = 0; i < n; i++) adjacent.set(lists[i]!, start[i]!);
  const parentAt = new Uint8Array(n * n).fill(UNREACHED);
  const reached = new Uint8Array(n);
  const queue = new Int32Array(n);
  for (let origin = 0; origin < n; origin++) {
    if (!sim.nodes[origin]!.alive) continue;
    reached.fill(0);
    reached[origin] = 1;
    parentAt[origin * n + origin] = ROOT;
    queue[0] = origin;
    for (let head = 0, tail = 1; head < tail; head++) {
      const v = queue[head]!;
      for (let e = start[v]!; e < start[v + 1]!; e++) {
        const w = adjacent[e]!;
        if (reached[w]) continue;
        reached[w] = 1;
        queue[tail++] = w;
        // v's position in w's list.
        let p = start[w]!;
        while (adjacent[p] !== v) p++;
        parentAt[w * n + origin] = p - start[w]!;
      }
    }
  }
  const tags: Tag[] = sim.nodes.map((node) => tagOf(node.signer.publicKey));
  let planted = 0;
  for (let v = 0; v < n; v++) {
    const node = sim.nodes[v]!;
    if (!node.alive) continue;
    for (let origin = 0; origin < n; origin++) {
      const at = parentAt[v * n + origin]!;
      if (at === UNREACHED) continue;
      const tag = tags[origin]!;
      if (at !== ROOT) node.node.plantTree(tag, sim.nodes[adjacent[start[v]! + at]!]!.id);
      // Children: the neighbours whose parent is v.
      for (let e = start[v]!; e < start[v + 1]!; e++) {
        const w = adjacent[e]!;
        const up = parentAt[w * n + origin]!;
        if (up < ROOT && adjacent[start[w]! + up] === v) {
          node.node.plantTree(tag, sim.nodes[w]!.id);
          planted++;
        }
      }
    }
  }
  return planted;
}
