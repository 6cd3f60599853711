/**
 * Immutable-file caps as Tahoe-LAFS spells them (allmydata/uri.py, docs/specifications/uri.rst):
 *
 * - `URI:CHK:<key>:<UEB hash>:<k>:<N>:<size>` reads the file: the 16-byte AES key (26 base32 characters)
 *   and the 32-byte UEB hash (52 characters);
 * - `URI:CHK-Verifier:<storage index>:<UEB hash>:<k>:<N>:<size>` checks and repairs, cannot decrypt;
 * - `URI:LIT:<data>` holds a file of at most 55 bytes itself (empty data for the empty file).
 *
 * Base32 is RFC 4648's alphabet lowercased, unpadded, and canonical (the unused low bits of the last
 * character are zero, as Tahoe's `BASE32STR_128bits` regexes demand). Numbers are decimal without
 * leading zeros; 1 ≤ k ≤ N ≤ 256; the size is a safe integer ≥ 1. Caps carry no location.
 * `parseCap` takes any string and never throws.
 */
import { HASH_SIZE, KEY_SIZE } from './hashes.ts';
import { LIT_THRESHOLD, MAX_SHARES } from './params.ts';
import { fail, ok, type Result } from './result.ts';

export type Cap =
  | { kind: 'chk'; key: Uint8Array; uebHash: Uint8Array; k: number; n: number; size: number }
  | {
      kind: 'chk-verifier';
      storageIndex: Uint8Array;
      uebHash: Uint8Array;
      k: number;
      n: number;
      size: number;
    }
  | { kind: 'lit'; data: Uint8Array };

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const MAX_CAP_LENGTH = 256;

export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Canonical unpadded lowercase base32, or undefined. */
export function unbase32(text: string): Uint8Array | undefined {
  const rem = text.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const value = ALPHABET.indexOf(text[i]!);
    if (value < 0) return undefined;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

export function formatCap(cap: Cap): string {
  switch (cap.kind) {
    case 'lit':
      return `URI:LIT:${base32(cap.data)}`;
    case 'chk':
      return `URI:CHK:${base32(cap.key)}:${base32(cap.uebHash)}:${cap.k}:${cap.n}:${cap.size}`;
    case 'chk-verifier':
      return `URI:CHK-Verifier:${base32(cap.storageIndex)}:${base32(cap.uebHash)}:${cap.k}:${cap.n}:${cap.size}`;
  }
}

const NUMBER_RE = /^(0|[1-9][0-9]{0,15})$/;

function number(text: string | undefined): number | undefined {
  if (text === undefined || !NUMBER_RE.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parseCap(text: unknown): Result<Cap> {
  if (typeof text !== 'string') return fail('bad-cap: not a string');
  if (text.length > MAX_CAP_LENGTH) return fail('bad-cap: too long');
  if (text.startsWith('URI:LIT:')) {
    const data = unbase32(text.slice(8));
    if (data === undefined) return fail('bad-cap: literal data');
    if (data.length > LIT_THRESHOLD) return fail('bad-cap: literal too long');
    return ok({ kind: 'lit', data });
  }
  const parts = text.split(':');
  if (parts.length !== 7 || parts[0] !== 'URI') return fail('bad-cap: shape');
  const kind = parts[1] === 'CHK' ? 'chk' : parts[1] === 'CHK-Verifier' ? 'chk-verifier' : undefined;
  if (kind === undefined) return fail('bad-cap: unknown kind');
  const first = unbase32(parts[2]!);
  const uebHash = unbase32(parts[3]!);
  if (first?.length !== KEY_SIZE) return fail('bad-cap: key or storage index');
  if (uebHash?.length !== HASH_SIZE) return fail('bad-cap: ueb hash');
  const k = number(parts[4]);
  const n = number(parts[5]);
  const size = number(parts[6]);
  if (k === undefined || n === undefined || k < 1 || n < k || n > MAX_SHARES) return fail('bad-cap: k or n');
  if (size === undefined || size < 1) return fail('bad-cap: size');
  return ok(
    kind === 'chk'
      ? { kind, key: first, uebHash, k, n, size }
      : { kind, storageIndex: first, uebHash, k, n, size },
  );
}
