/**
 * What a signaling relay sees of a grid: a topic name and opaque bytes. The topic is a hash of the grid id
 * and the payload is AES-256-GCM under a key derived from it, so a relay (or anyone watching it) learns
 * neither the grid id nor what nodes tell each other, and cannot forge messages for the grid.
 *
 * Everyone who knows the grid id holds the key: sealing keeps the relay out, not grid members.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex, utf8 } from '../core/bytes.ts';

export const TOPIC_DOMAIN = 'gridnode/topic/v1';
export const SIGNAL_KEY_INFO = 'gridnode/signal/v1';
export const IV_BYTES = 12;
/** AES-GCM authentication tag appended to every ciphertext. */
export const TAG_BYTES = 16;

/** The relay topic for a grid: hex(sha256(utf8(TOPIC_DOMAIN) || gridId)). */
export function gridTopic(gridId: Uint8Array): string {
  return toHex(sha256(concatBytes(utf8(TOPIC_DOMAIN), gridId)));
}

/** HKDF-SHA256(ikm = gridId, salt = empty, info = SIGNAL_KEY_INFO) as a non-extractable AES-256-GCM key. */
export async function deriveSignalKey(gridId: Uint8Array): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', gridId as BufferSource, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8(SIGNAL_KEY_INFO) as BufferSource },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** base64url(iv || AES-GCM(key, iv, plaintext)). The IV must be fresh random bytes for every message. */
export async function seal(key: CryptoKey, plaintext: Uint8Array, iv: Uint8Array): Promise<string> {
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: iv as BufferSource },
    key,
    plaintext as BufferSource,
  );
  return base64urlEncode(concatBytes(iv, new Uint8Array(ciphertext)));
}

export type OpenFailure = 'bad-base64' | 'decrypt-failed';

/** The plaintext of a sealed string, or why it cannot be opened. Never throws: the input is from the network. */
export async function open(key: CryptoKey, data: string): Promise<Uint8Array | OpenFailure> {
  const bytes = base64urlDecode(data);
  if (bytes === undefined) return 'bad-base64';
  if (bytes.length < IV_BYTES + TAG_BYTES) return 'decrypt-failed';
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES) as BufferSource },
      key,
      bytes.subarray(IV_BYTES) as BufferSource,
    );
    return new Uint8Array(plaintext);
  } catch {
    return 'decrypt-failed';
  }
}

/** Unpadded base64url (RFC 4648 §5). */
export function base64urlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Each base64url character's 6 bits, or -1 for anything outside the unpadded alphabet.
const SEXTETS = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/**
 * Strict unpadded base64url decoding; undefined for anything else (a character outside the alphabet,
 * padding, or a length that leaves a lone 6-bit group: length % 4 === 1). Decoded straight into the
 * output, without the copies a regular expression, two replacements and atob make: relay frames are
 * decoded at up to the relay's rate, and those copies were most of a flooded member's signaling cost.
 */
export function base64urlDecode(text: string): Uint8Array | undefined {
  const n = text.length;
  if (n % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let bits = 0;
  let count = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? SEXTETS[c]! : -1;
    if (v < 0) return undefined;
    bits = (bits << 6) | v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[o++] = (bits >> count) & 0xff;
    }
  }
  return out;
}
