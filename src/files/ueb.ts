/**
 * The URI extension block (UEB): the file's parameters and root hashes, stored in every share, whose
 * tagged hash is in the cap (Tahoe-LAFS uri.py `pack_extension`, encode.py).
 *
 * Encoding: for each key in ascending byte order, `key ":" netstring(value)`; integers as decimal ASCII.
 * Tahoe writes exactly these keys: codec_name ("crs"), codec_params ("segsize-k-n"), crypttext_hash,
 * crypttext_root_hash, needed_shares, num_segments, segment_size, share_root_hash, size,
 * tail_codec_params ("paddedtail-k-n"), total_shares. Plaintext hashes were dropped in Tahoe 1.x.
 *
 * Decoding is defensive: bounded length, keys of `[a-zA-Z_-]`, each key once, every required key
 * present, hashes 32 bytes, numbers canonical decimal, and the numbers consistent with each other
 * (segments, codec parameters, k ≤ n ≤ 256). Unknown keys are kept out of the result but allowed, as
 * Tahoe's reader allows them.
 */
import { HASH_SIZE, concatBytes, netstring } from './hashes.ts';
import { MAX_SHARES, fromSegmentSize, type Segmenting } from './params.ts';
import { fail, ok, type Result } from './result.ts';

export const MAX_UEB_SIZE = 4096;

export interface Ueb {
  seg: Segmenting;
  crypttextHash: Uint8Array;
  crypttextRootHash: Uint8Array;
  shareRootHash: Uint8Array;
}

const ZERO_HASH = new Uint8Array(HASH_SIZE);

export function packUeb(u: Ueb): Uint8Array {
  const { seg } = u;
  const fields: Record<string, string | Uint8Array> = {
    codec_name: 'crs',
    codec_params: `${seg.segmentSize}-${seg.k}-${seg.n}`,
    crypttext_hash: u.crypttextHash,
    crypttext_root_hash: u.crypttextRootHash,
    needed_shares: String(seg.k),
    num_segments: String(seg.numSegments),
    segment_size: String(seg.segmentSize),
    share_root_hash: u.shareRootHash,
    size: String(seg.size),
    tail_codec_params: `${seg.paddedTailSize}-${seg.k}-${seg.n}`,
    total_shares: String(seg.n),
  };
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const key of Object.keys(fields).sort()) {
    parts.push(enc.encode(`${key}:`), netstring(fields[key]!));
  }
  return concatBytes(...parts);
}

/** The UEB's length, known before the hashes are (they have a fixed size). */
export function uebSize(seg: Segmenting): number {
  return packUeb({ seg, crypttextHash: ZERO_HASH, crypttextRootHash: ZERO_HASH, shareRootHash: ZERO_HASH })
    .length;
}

const KEY_RE = /^[a-zA-Z_-]{1,64}$/;
const NUMBER_RE = /^(0|[1-9][0-9]{0,15})$/;

function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined || !NUMBER_RE.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseCodecParams(text: string | undefined): [number, number, number] | undefined {
  const parts = text?.split('-');
  if (parts?.length !== 3) return undefined;
  const nums = parts.map(parseNumber);
  if (nums.some((x) => x === undefined)) return undefined;
  return nums as [number, number, number];
}

export function unpackUeb(bytes: Uint8Array): Result<Ueb> {
  if (bytes.length > MAX_UEB_SIZE) return fail('ueb-too-large');
  const latin = (from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));
  const text = new Map<string, string>();
  const raw = new Map<string, Uint8Array>();
  let at = 0;
  while (at < bytes.length) {
    const colon = bytes.indexOf(0x3a, at);
    if (colon < 0) return fail('ueb-syntax: key without colon');
    const key = latin(at, colon);
    if (!KEY_RE.test(key)) return fail('ueb-syntax: bad key');
    if (raw.has(key)) return fail(`ueb-syntax: repeated key ${key}`);
    const colon2 = bytes.indexOf(0x3a, colon + 1);
    if (colon2 < 0 || colon2 - colon - 1 > 5) return fail('ueb-syntax: bad netstring length');
    const length = parseNumber(latin(colon + 1, colon2));
    if (length === undefined) return fail('ueb-syntax: bad netstring length');
    const end = colon2 + 1 + length;
    if (end >= bytes.length || bytes[end] !== 0x2c) return fail('ueb-syntax: netstring not closed');
    const value = bytes.subarray(colon2 + 1, end);
    raw.set(key, value);
    text.set(key, latin(colon2 + 1, end));
    at = end + 1;
  }
  if (text.get('codec_name') !== 'crs') return fail('ueb-fields: codec is not crs');
  const size = parseNumber(text.get('size'));
  const k = parseNumber(text.get('needed_shares'));
  const n = parseNumber(text.get('total_shares'));
  const segmentSize = parseNumber(text.get('segment_size'));
  const numSegments = parseNumber(text.get('num_segments'));
  if (size === undefined || k === undefined || n === undefined) return fail('ueb-fields: missing numbers');
  if (segmentSize === undefined || numSegments === undefined) return fail('ueb-fields: missing segments');
  if (k < 1 || n < k || n > MAX_SHARES || size < 1) return fail('ueb-fields: bad k, n or size');
  if (segmentSize < k || segmentSize % k !== 0) return fail('ueb-fields: bad segment size');
  const seg = fromSegmentSize(size, k, n, segmentSize);
  if (seg.numSegments !== numSegments) return fail('ueb-fields: segment count disagrees');
  const codec = parseCodecParams(text.get('codec_params'));
  const tail = parseCodecParams(text.get('tail_codec_params'));
  if (codec?.[0] !== segmentSize || codec[1] !== k || codec[2] !== n) return fail('ueb-fields: codec params');
  if (tail?.[0] !== seg.paddedTailSize || tail[1] !== k || tail[2] !== n)
    return fail('ueb-fields: tail params');
  const hashes: Uint8Array[] = [];
  for (const key of ['crypttext_hash', 'crypttext_root_hash', 'share_root_hash']) {
    const h = raw.get(key);
    if (h?.length !== HASH_SIZE) return fail(`ueb-fields: ${key}`);
    hashes.push(h.slice());
  }
  return ok({ seg, crypttextHash: hashes[0]!, crypttextRootHash: hashes[1]!, shareRootHash: hashes[2]! });
}
