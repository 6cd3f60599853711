/**
 * Checking one share of an immutable file against its cap, the way Tahoe-LAFS's downloader does
 * (immutable/downloader/share.py), over a `ShareSource` that reads byte ranges of untrusted bytes.
 *
 * Opening a share reads its header, then everything from the crypttext hash tree to the end in one read,
 * and accepts it only when:
 * 1. the header is v1 or v2 and its block size gives a segmenting of the cap's size, k and N;
 * 2. every offset equals what the encoder would write for that segmenting (so all later slices are in
 *    bounds);
 * 3. the UEB hashes to the cap's UEB hash and agrees with the cap (k, N, size) and the header;
 * 4. the crypttext hash tree is whole and has the UEB's crypttext root;
 * 5. the block hash tree is whole, and its root hashes up through the share hashes to the UEB's share
 *    root at this share's leaf.
 * Then each block is accepted only when its block hash is the tree's leaf. Every failure is a reason;
 * nothing here throws on bad bytes or rejected reads.
 */
import type { Cap } from './cap.ts';
import type { FileCrypto } from './crypto.ts';
import { HASH_SIZE, blockHash, bytesEqual, uebHash } from './hashes.ts';
import { neededHashes, treeSize, verifyChain, verifyWholeTree } from './hashtree.ts';
import {
  MAX_HEADER,
  computeLayout,
  parseHeader,
  parseShareHashes,
  parseUebLength,
  splitTree,
} from './layout.ts';
import { fromSegmentSize, nextMultiple, type Segmenting } from './params.ts';
import { fail, ok, type Result } from './result.ts';
import { unpackUeb, uebSize, type Ueb } from './ueb.ts';

/** Segments larger than this are refused before any allocation (Tahoe's default is 1 MiB). */
export const MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
/** Hash trees and UEB of one share, read in one piece: 64 MiB covers files of over 2^19 segments. */
export const MAX_METADATA_SIZE = 64 * 1024 * 1024;

export interface ShareSource {
  readonly shnum: number;
  /** Bytes [offset, offset+length) of the share; may return fewer at the end, may reject. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface VerifiedShare {
  readonly source: ShareSource;
  readonly seg: Segmenting;
  readonly ueb: Ueb;
  readonly data: number;
  readonly blockLeaves: readonly Uint8Array[];
  readonly crypttextTree: readonly Uint8Array[];
}

export type ChkCap = Extract<Cap, { kind: 'chk' | 'chk-verifier' }>;

async function readExactly(source: ShareSource, offset: number, length: number): Promise<Result<Uint8Array>> {
  let bytes: Uint8Array;
  try {
    bytes = await source.read(offset, length);
  } catch (error) {
    return fail(`read-failed: ${(error as Error)?.message ?? String(error)}`);
  }
  if (!(bytes instanceof Uint8Array)) return fail('read-failed: not bytes');
  if (bytes.length < length) return fail('truncated: short read');
  return ok(bytes.length === length ? bytes : bytes.subarray(0, length));
}

export async function openShare(
  crypto: FileCrypto,
  cap: ChkCap,
  source: ShareSource,
): Promise<Result<VerifiedShare>> {
  const { k, n, size } = cap;
  if (!Number.isInteger(source.shnum) || source.shnum < 0 || source.shnum >= n)
    return fail('bad-share-number');
  let head: Uint8Array;
  try {
    head = await source.read(0, MAX_HEADER);
  } catch (error) {
    return fail(`read-failed: ${(error as Error)?.message ?? String(error)}`);
  }
  if (!(head instanceof Uint8Array)) return fail('read-failed: not bytes');
  const header = parseHeader(head);
  if (!header.ok) return header;
  const h = header.value;
  const segmentSize = h.blockSize * k;
  // Tahoe's cut never makes a segment longer than the file rounded up to a multiple of k.
  if (h.blockSize < 1 || segmentSize > Math.min(MAX_SEGMENT_SIZE, nextMultiple(size, k))) {
    return fail('bad-header: block size');
  }
  const seg = fromSegmentSize(size, k, n, segmentSize);
  const expected = computeLayout(
    seg.blockSize,
    seg.shareDataSize,
    seg.numSegments,
    neededHashes(n, 0, true).length,
    uebSize(seg),
    h.version,
  );
  for (const key of [
    'blockSize',
    'shareDataSize',
    'plaintextHashTree',
    'crypttextHashTree',
    'blockHashes',
    'shareHashes',
    'uebOffset',
  ] as const) {
    if (h[key] !== expected[key]) return fail(`bad-offsets: ${key}`);
  }
  const metaStart = expected.crypttextHashTree;
  if (expected.size - metaStart > MAX_METADATA_SIZE) return fail('too-large: share metadata');
  const meta = await readExactly(source, metaStart, expected.size - metaStart);
  if (!meta.ok) return meta;
  const m = meta.value;
  const at = (offset: number): number => offset - metaStart;
  const uebLength = parseUebLength(m.subarray(at(expected.uebOffset)), expected.fieldSize);
  if (!uebLength.ok) return uebLength;
  if (uebLength.value !== uebSize(seg)) return fail('bad-ueb: length');
  const uebBytes = m.subarray(at(expected.uebOffset) + expected.fieldSize);
  if (!bytesEqual(await uebHash(crypto, uebBytes), cap.uebHash)) return fail('bad-ueb-hash');
  const ueb = unpackUeb(uebBytes);
  if (!ueb.ok) return ueb;
  const u = ueb.value;
  if (u.seg.k !== k || u.seg.n !== n || u.seg.size !== size || u.seg.segmentSize !== segmentSize) {
    return fail('bad-ueb: disagrees with cap or header');
  }
  const segmentHashBytes = treeSize(seg.numSegments) * HASH_SIZE;
  const crypttextTree = splitTree(m.subarray(0, segmentHashBytes), seg.numSegments);
  const blockTree = splitTree(
    m.subarray(at(expected.blockHashes), at(expected.shareHashes)),
    seg.numSegments,
  );
  if (!crypttextTree.ok) return crypttextTree;
  if (!blockTree.ok) return blockTree;
  if (!(await verifyWholeTree(crypto, crypttextTree.value, seg.numSegments, u.crypttextRootHash))) {
    return fail('bad-crypttext-tree');
  }
  const pairs = parseShareHashes(
    m.subarray(at(expected.shareHashes), at(expected.uebOffset)),
    treeSize(n) - 1,
  );
  if (!pairs.ok) return pairs;
  const blockRoot = blockTree.value[0]!;
  if (!(await verifyChain(crypto, n, source.shnum, blockRoot, pairs.value, u.shareRootHash))) {
    return fail('bad-share-hashes');
  }
  if (!(await verifyWholeTree(crypto, blockTree.value, seg.numSegments, blockRoot)))
    return fail('bad-block-tree');
  const firstLeaf = blockTree.value.length >> 1;
  return ok({
    source,
    seg,
    ueb: u,
    data: expected.data,
    blockLeaves: blockTree.value.slice(firstLeaf, firstLeaf + seg.numSegments).map((b) => b.slice()),
    crypttextTree: crypttextTree.value.map((b) => b.slice()),
  });
}

/** Reads and checks block `i` of a verified share. */
export async function readBlock(
  crypto: FileCrypto,
  share: VerifiedShare,
  i: number,
): Promise<Result<Uint8Array>> {
  const { seg } = share;
  if (i < 0 || i >= seg.numSegments) return fail('bad-segment-number');
  const length = i === seg.numSegments - 1 ? seg.tailBlockSize : seg.blockSize;
  const bytes = await readExactly(share.source, share.data + i * seg.blockSize, length);
  if (!bytes.ok) return bytes;
  if (!bytesEqual(await blockHash(crypto, bytes.value), share.blockLeaves[i]!)) return fail('bad-block');
  return bytes;
}
