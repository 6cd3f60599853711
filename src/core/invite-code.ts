/**
 * Short invitation codes (seed 000: "a single-use invitation code like `d77hbsmkgeufjpwacu3ywkbwem`").
 *
 * A code is 120 random bits written as 24 characters of Tahoe's base32 alphabet, with one check character
 * after each half of 12: 26 characters in all. At 120 bits the code can itself be the secret the grid's
 * pending invitation is sealed with (no PAKE, no key stretching; JOINING.md: don't go below ~80 bits
 * without one).
 *
 * Rules:
 * - Each check character is the Luhn mod 32 check of its half, so any single mistyped character and any
 *   swap of two neighbouring characters within a half (but of 'a' with '7', whose Luhn weights agree) is
 *   caught locally, before anything is sent.
 * - Reading is forgiving, as Syncthing's device ids are: case, spaces, dashes, dots and underscores are
 *   ignored, and the digits that are not in the alphabet are read as the letters they look like
 *   (0 → o, 1 → i, 8 → b). Anything else is an error that says what is wrong.
 * - Writing is canonical: lowercase, no separators; `groupCode` splits it in fours for people to read.
 */
import { base32Decode, base32Encode } from './base32.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const LOOKALIKES: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '8': 'b' };
const SEPARATORS = /[\s\-._]/g;
/** Random bytes in a code (120 bits). */
export const INVITE_CODE_BYTES = 15;
/** Characters in a code: two halves of 12, each followed by its check character. */
export const INVITE_CODE_LENGTH = 26;
const HALF = 12;

export type InviteCodeError = 'length' | 'character' | 'check';

export type ParsedInviteCode =
  { ok: true; code: string; secret: Uint8Array } | { ok: false; error: InviteCodeError; message: string };

/** Luhn mod 32 check character of `text` (every character from ALPHABET). */
function luhn32(text: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    let addend = factor * ALPHABET.indexOf(text[i]!);
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / 32) + (addend % 32);
    sum += addend;
  }
  return ALPHABET[(32 - (sum % 32)) % 32]!;
}

/** The code for 15 secret bytes. */
export function formatInviteCode(secret: Uint8Array): string {
  if (secret.length !== INVITE_CODE_BYTES) {
    throw new RangeError(`an invitation code holds ${INVITE_CODE_BYTES} bytes, not ${secret.length}`);
  }
  const body = base32Encode(secret);
  const a = body.slice(0, HALF);
  const b = body.slice(HALF);
  return a + luhn32(a) + b + luhn32(b);
}

/** The code in groups of four, for people to read and type. */
export function groupCode(code: string): string {
  return code.match(/.{1,4}/g)?.join(' ') ?? '';
}

/** Reads a code as typed or pasted; never throws. */
export function parseInviteCode(input: string): ParsedInviteCode {
  const text = input.toLowerCase().replace(SEPARATORS, '');
  let code = '';
  for (const char of text) {
    const mapped = LOOKALIKES[char] ?? char;
    if (!ALPHABET.includes(mapped)) {
      return { ok: false, error: 'character', message: `“${char}” cannot be part of an invitation code` };
    }
    code += mapped;
  }
  if (code.length !== INVITE_CODE_LENGTH) {
    const message = `an invitation code has ${INVITE_CODE_LENGTH} characters; this one has ${code.length}`;
    return { ok: false, error: 'length', message };
  }
  const a = code.slice(0, HALF);
  const b = code.slice(HALF + 1, HALF * 2 + 1);
  if (luhn32(a) !== code[HALF] || luhn32(b) !== code[HALF * 2 + 1]) {
    const message = 'this invitation code has a typo: check it against the one you were given';
    return { ok: false, error: 'check', message };
  }
  const secret = base32Decode(a + b);
  if (!secret) {
    // 24 characters carry 120 bits exactly, so every spelling decodes; kept for the type.
    return { ok: false, error: 'character', message: 'this is not an invitation code' };
  }
  return { ok: true, code, secret };
}
