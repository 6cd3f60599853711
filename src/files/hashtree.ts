/**
 * Merkle trees as Tahoe-LAFS builds them (allmydata/hashtree.py).
 *
 * - A tree over L leaves is a complete binary tree whose bottom row is padded to P = the next power of two
 *   ≥ L (P = 1 for L ≤ 1). Padding leaf at row position i (L ≤ i < P) is
 *   `taggedHash("Merkle tree empty leaf", decimal(i))`.
 * - Nodes are numbered breadth first: 0 is the root, node i has children 2i+1 and 2i+2, the leaves are
 *   P-1 … 2P-2. A parent is `taggedPairHash("Merkle tree internal node", left, right)`.
 * - The block hash tree (leaves: block hashes of one share) and the crypttext hash tree (leaves: segment
 *   hashes) are stored whole in every share; the share hash tree (leaves: the block-tree roots of all N
 *   shares) is stored per share only as the nodes needed to check that share's leaf: the leaf itself and
 *   the sibling of every node on its path to the root (`needed_hashes(i, include_leaf=True)`).
 *
 * Verification never throws: it answers true or false.
 */
import type { FileCrypto } from './crypto.ts';
import { TAGS, bytesEqual, taggedHash, taggedPairHash } from './hashes.ts';

export function roundUpPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** Number of nodes of the tree over `leaves` leaves. */
export function treeSize(leaves: number): number {
  return 2 * roundUpPow2(leaves) - 1;
}

export function emptyLeafHash(crypto: FileCrypto, i: number): Promise<Uint8Array> {
  return taggedHash(crypto, TAGS.merkleEmptyLeaf, new TextEncoder().encode(String(i)));
}

export function pairHash(crypto: FileCrypto, a: Uint8Array, b: Uint8Array): Promise<Uint8Array> {
  return taggedPairHash(crypto, TAGS.merkleNode, a, b);
}

/** Every node of the tree over `leaves` (root first). */
export async function buildHashTree(
  crypto: FileCrypto,
  leaves: readonly Uint8Array[],
): Promise<Uint8Array[]> {
  const p = roundUpPow2(leaves.length);
  const nodes: Uint8Array[] = new Array(2 * p - 1);
  for (let i = 0; i < p; i++) {
    nodes[p - 1 + i] = i < leaves.length ? leaves[i]! : await emptyLeafHash(crypto, i);
  }
  for (let i = p - 2; i >= 0; i--) nodes[i] = await pairHash(crypto, nodes[2 * i + 1]!, nodes[2 * i + 2]!);
  return nodes;
}

/** Indexes of the nodes needed to check leaf `leaf` (its path's siblings, optionally the leaf), ascending. */
export function neededHashes(leaves: number, leaf: number, includeLeaf: boolean): number[] {
  const p = roundUpPow2(leaves);
  let here = p - 1 + leaf;
  const needed = includeLeaf ? [here] : [];
  while (here !== 0) {
    needed.push(here % 2 === 1 ? here + 1 : here - 1);
    here = Math.floor((here - 1) / 2);
  }
  return needed.sort((a, b) => a - b);
}

/**
 * True when `nodes` is exactly the tree over `leaves` leaves with root `root`: every parent is the pair
 * hash of its children and every padding leaf is the empty-leaf hash.
 */
export async function verifyWholeTree(
  crypto: FileCrypto,
  nodes: readonly Uint8Array[],
  leaves: number,
  root: Uint8Array,
): Promise<boolean> {
  const p = roundUpPow2(leaves);
  if (nodes.length !== 2 * p - 1 || !bytesEqual(nodes[0]!, root)) return false;
  for (let i = leaves; i < p; i++) {
    if (!bytesEqual(nodes[p - 1 + i]!, await emptyLeafHash(crypto, i))) return false;
  }
  for (let i = p - 2; i >= 0; i--) {
    if (!bytesEqual(nodes[i]!, await pairHash(crypto, nodes[2 * i + 1]!, nodes[2 * i + 2]!))) return false;
  }
  return true;
}

/**
 * True when `leafHash` at leaf `leaf` of a tree over `leaves` leaves hashes up to `root` through the
 * sibling hashes in `given` (node index → hash; extra entries are ignored, a given leaf must agree).
 */
export async function verifyChain(
  crypto: FileCrypto,
  leaves: number,
  leaf: number,
  leafHash: Uint8Array,
  given: ReadonlyMap<number, Uint8Array>,
  root: Uint8Array,
): Promise<boolean> {
  const p = roundUpPow2(leaves);
  if (leaf < 0 || leaf >= leaves) return false;
  let here = p - 1 + leaf;
  const stated = given.get(here);
  if (stated !== undefined && !bytesEqual(stated, leafHash)) return false;
  let value = leafHash;
  while (here !== 0) {
    const odd = here % 2 === 1;
    const sibling = given.get(odd ? here + 1 : here - 1);
    if (sibling === undefined) return false;
    value = odd ? await pairHash(crypto, value, sibling) : await pairHash(crypto, sibling, value);
    here = Math.floor((here - 1) / 2);
  }
  return bytesEqual(value, root);
}
