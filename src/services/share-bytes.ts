/**
 * The bytes of one share as chunks and written ranges: pure functions the storage server uses to apply a
 * write and to serve a read.
 *
 * Rules (Tahoe-LAFS http-storage-node-protocol, "write share chunk"): bytes may be written in any order
 * and more than once; writing the same bytes again over written ones is fine, different bytes over
 * written ones are a conflict and change nothing. A share is complete when its written ranges cover
 * `[0, size)`.
 */
import { CHUNK_BYTES } from './share-store.ts';

export type Range = [start: number, end: number];

/** The chunk indices `[first, last]` that bytes `[offset, offset + length)` touch (length > 0). */
export function chunkSpan(offset: number, length: number): [number, number] {
  return [Math.floor(offset / CHUNK_BYTES), Math.floor((offset + length - 1) / CHUNK_BYTES)];
}

/** `ranges` with `[start, end)` added, still sorted, disjoint and not touching. */
export function addRange(ranges: readonly Range[], start: number, end: number): Range[] {
  const out: Range[] = [];
  let s = start;
  let e = end;
  for (const [rs, re] of ranges) {
    if (re < s || rs > e) out.push([rs, re]);
    else {
      s = Math.min(s, rs);
      e = Math.max(e, re);
    }
  }
  out.push([s, e]);
  return out.sort((a, b) => a[0] - b[0]);
}

export function covers(ranges: readonly Range[], size: number): boolean {
  return size === 0 || (ranges.length === 1 && ranges[0]![0] === 0 && ranges[0]![1] >= size);
}

export function writtenBytes(ranges: readonly Range[]): number {
  return ranges.reduce((sum, [s, e]) => sum + (e - s), 0);
}

/**
 * Lays `bytes` at `offset` over the share's chunks `first..` (as stored; `undefined` for none yet).
 * Returns the new chunks to store, or 'conflict' if a written byte would change.
 */
export function overlay(
  size: number,
  written: readonly Range[],
  stored: readonly (Uint8Array | undefined)[],
  offset: number,
  bytes: Uint8Array,
): { chunks: { index: number; bytes: Uint8Array }[]; written: Range[] } | 'conflict' {
  const end = offset + bytes.length;
  const [first] = chunkSpan(offset, bytes.length);
  for (const [ws, we] of written) {
    const s = Math.max(ws, offset);
    const e = Math.min(we, end);
    for (let at = s; at < e; at++) {
      const chunk = stored[Math.floor(at / CHUNK_BYTES) - first];
      // A written byte the store cannot show cannot be proven equal.
      if (chunk === undefined || chunk[at % CHUNK_BYTES] !== bytes[at - offset]) return 'conflict';
    }
  }
  const chunks: { index: number; bytes: Uint8Array }[] = [];
  for (let i = 0; i < stored.length; i++) {
    const index = first + i;
    const base = index * CHUNK_BYTES;
    const chunk = new Uint8Array(Math.min(CHUNK_BYTES, size - base));
    const old = stored[i];
    if (old !== undefined) chunk.set(old.subarray(0, chunk.length));
    const from = Math.max(offset, base);
    const to = Math.min(end, base + chunk.length);
    chunk.set(bytes.subarray(from - offset, to - offset), from - base);
    chunks.push({ index, bytes: chunk });
  }
  return { chunks, written: addRange(written, offset, end) };
}

/** Bytes `[offset, offset + length)` out of chunks `first..` (a missing chunk reads as zeros). */
export function assemble(
  stored: readonly (Uint8Array | undefined)[],
  first: number,
  offset: number,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < stored.length; i++) {
    const chunk = stored[i];
    if (chunk === undefined) continue;
    const base = (first + i) * CHUNK_BYTES;
    const from = Math.max(offset, base);
    const to = Math.min(offset + length, base + chunk.length);
    if (to > from) out.set(chunk.subarray(from - base, to - base), from - offset);
  }
  return out;
}
