/**
 * The immutable share container (Tahoe-LAFS immutable/layout.py), as the uploader writes it.
 *
 * v1 (4-byte fields), used while every offset fits in 32 bits:
 *   0x00 version = 1 · 0x04 block size · 0x08 share data size · 0x0c offset of data (= 0x24) ·
 *   0x10 offset of the plaintext hash tree (unused, zero-filled) · 0x14 crypttext hash tree ·
 *   0x18 block hashes · 0x1c share hashes · 0x20 UEB length + UEB · 0x24 data …
 * v2 (8-byte fields, Tahoe ≥ 1.3): 0x00 version = 2 (4 bytes), then the same eight fields as 8-byte
 *   big-endian values, data at 0x44; the UEB length is 8 bytes too.
 *
 * Sections, in order: the blocks (one per segment, the tail block shorter); the unused plaintext hash
 * tree and the crypttext hash tree, each (2P-1)·32 bytes for P = segments rounded up to a power of two;
 * the block hash tree (same size); the share hashes as (2-byte big-endian node index, 32-byte hash)
 * pairs; the UEB length and the UEB. Tahoe writes the share-hash pairs in Python set order; we write
 * them ascending (readers key them by index, Tahoe's included).
 *
 * `parseHeader` checks every offset against the share's real length and the order above, so a reader
 * can then slice without further bounds checks.
 */
import { HASH_SIZE } from './hashes.ts';
import { roundUpPow2, treeSize } from './hashtree.ts';
import { fail, ok, type Result } from './result.ts';
import { MAX_UEB_SIZE } from './ueb.ts';

export interface ShareLayout {
  version: 1 | 2;
  blockSize: number;
  shareDataSize: number;
  data: number;
  plaintextHashTree: number;
  crypttextHashTree: number;
  blockHashes: number;
  shareHashes: number;
  uebOffset: number;
  /** Length of the UEB length field (4 or 8). */
  fieldSize: number;
  /** Total share size. */
  size: number;
}

const V1_HEADER = 0x24;
const V2_HEADER = 0x44;
const U32 = 2 ** 32;

export function computeLayout(
  blockSize: number,
  shareDataSize: number,
  numSegments: number,
  numShareHashes: number,
  uebLength: number,
  forceVersion?: 1 | 2,
): ShareLayout {
  const segmentHashSize = treeSize(numSegments) * HASH_SIZE;
  const build = (version: 1 | 2): ShareLayout => {
    const header = version === 1 ? V1_HEADER : V2_HEADER;
    const fieldSize = version === 1 ? 4 : 8;
    const data = header;
    const plaintextHashTree = data + shareDataSize;
    const crypttextHashTree = plaintextHashTree + segmentHashSize;
    const blockHashes = crypttextHashTree + segmentHashSize;
    const shareHashes = blockHashes + segmentHashSize;
    const uebOffset = shareHashes + numShareHashes * (2 + HASH_SIZE);
    const size = uebOffset + fieldSize + uebLength;
    return {
      version,
      blockSize,
      shareDataSize,
      data,
      plaintextHashTree,
      crypttextHashTree,
      blockHashes,
      shareHashes,
      uebOffset,
      fieldSize,
      size,
    };
  };
  // layout.py: v1 unless block size, data size or the UEB offset reach 2^32.
  if (forceVersion !== undefined) return build(forceVersion);
  const v1 = build(1);
  return blockSize < U32 && shareDataSize < U32 && v1.uebOffset < U32 ? v1 : build(2);
}

function putUint(view: DataView, at: number, value: number, bytes: 4 | 8): void {
  if (bytes === 4) view.setUint32(at, value);
  else view.setBigUint64(at, BigInt(value));
}

export function encodeHeader(l: ShareLayout): Uint8Array {
  const f = l.fieldSize as 4 | 8;
  const out = new Uint8Array(l.data);
  const view = new DataView(out.buffer);
  view.setUint32(0, l.version);
  const fields = [
    l.blockSize,
    l.shareDataSize,
    l.data,
    l.plaintextHashTree,
    l.crypttextHashTree,
    l.blockHashes,
    l.shareHashes,
    l.uebOffset,
  ];
  fields.forEach((value, i) => putUint(view, 4 + i * f, value, f));
  return out;
}

/** The UEB length field followed by the UEB. */
export function encodeUebField(l: ShareLayout, ueb: Uint8Array): Uint8Array {
  const out = new Uint8Array(l.fieldSize + ueb.length);
  putUint(new DataView(out.buffer), 0, ueb.length, l.fieldSize as 4 | 8);
  out.set(ueb, l.fieldSize);
  return out;
}

function getUint(view: DataView, at: number, bytes: 4 | 8): number | undefined {
  if (bytes === 4) return view.getUint32(at);
  const big = view.getBigUint64(at);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : undefined;
}

export const MAX_HEADER = V2_HEADER;

/**
 * Reads a header from the first bytes of a share. Readers then compare every field with the layout the
 * encoder would have written (`computeLayout`), which is what bounds every later slice.
 */
export function parseHeader(bytes: Uint8Array): Result<Omit<ShareLayout, 'size'>> {
  if (bytes.length < 4) return fail('truncated: no header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(0);
  if (version !== 1 && version !== 2) return fail(`bad-version: ${version}`);
  const header = version === 1 ? V1_HEADER : V2_HEADER;
  const f = version === 1 ? 4 : 8;
  if (bytes.length < header) return fail('truncated: header');
  const fields: number[] = [];
  for (let i = 0; i < 8; i++) {
    const v = getUint(view, 4 + i * f, f);
    if (v === undefined) return fail('bad-offsets: too large');
    fields.push(v);
  }
  const [
    blockSize,
    shareDataSize,
    data,
    plaintextHashTree,
    crypttextHashTree,
    blockHashes,
    shareHashes,
    uebOffset,
  ] = fields as [number, number, number, number, number, number, number, number];
  if (data !== header) return fail('bad-offsets: data');
  const ordered = [data, plaintextHashTree, crypttextHashTree, blockHashes, shareHashes, uebOffset];
  for (let i = 1; i < ordered.length; i++)
    if (ordered[i]! < ordered[i - 1]!) return fail('bad-offsets: order');
  return ok({
    version,
    blockSize,
    shareDataSize,
    data,
    plaintextHashTree,
    crypttextHashTree,
    blockHashes,
    shareHashes,
    uebOffset,
    fieldSize: f,
  });
}

/** The UEB length from the field at the start of `bytes`, bounded by MAX_UEB_SIZE and the bytes after it. */
export function parseUebLength(bytes: Uint8Array, fieldSize: number): Result<number> {
  if (bytes.length < fieldSize) return fail('truncated: ueb length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = getUint(view, 0, fieldSize as 4 | 8);
  if (length === undefined || length > MAX_UEB_SIZE) return fail('ueb-too-large');
  if (length > bytes.length - fieldSize) return fail('truncated: ueb');
  return ok(length);
}

/** Splits the share-hash section into index → hash; bad shapes are a reason. */
export function parseShareHashes(bytes: Uint8Array, maxIndex: number): Result<Map<number, Uint8Array>> {
  if (bytes.length % (2 + HASH_SIZE) !== 0) return fail('bad-share-hashes: length');
  const out = new Map<number, Uint8Array>();
  for (let at = 0; at < bytes.length; at += 2 + HASH_SIZE) {
    const index = (bytes[at]! << 8) | bytes[at + 1]!;
    if (index > maxIndex) return fail('bad-share-hashes: index');
    out.set(index, bytes.slice(at + 2, at + 2 + HASH_SIZE));
  }
  return ok(out);
}

/** Splits a whole-tree section into its nodes (P = next power of two of `leaves`). */
export function splitTree(bytes: Uint8Array, leaves: number): Result<Uint8Array[]> {
  const count = 2 * roundUpPow2(leaves) - 1;
  if (bytes.length < count * HASH_SIZE) return fail('truncated: hash tree');
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return ok(out);
}
