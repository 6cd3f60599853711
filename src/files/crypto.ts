/**
 * The effects the file format needs, as slots the caller fills (noble's style): one-shot SHA-256,
 * incremental SHA-256 (whole-file hashes over bounded memory), AES-128-CTR at a byte offset, and random
 * bytes. The default fills them with WebCrypto (`crypto.subtle`, present in Node 20 and Chromium; over
 * 1 GB/s for one-shot digests and AES) and @noble/hashes for the incremental hash, which WebCrypto lacks.
 * Inputs of at most `SMALL_DIGEST_BYTES` are hashed by @noble/hashes at once: every SHA-256d ends with a
 * 32-byte input and every tree node is one, and a WebCrypto call costs tens of microseconds of
 * bookkeeping (far more in Node), more than hashing a few kilobytes.
 *
 * AES-CTR as Tahoe-LAFS uses it (allmydata/crypto/aes.py): a 16-byte key, the IV all zero, and one counter
 * stream over the whole file, the 16-byte counter block incremented as a 128-bit big-endian integer. A
 * segment that starts at a byte offset not divisible by 16 starts inside a counter block: `aesCtr` handles
 * that, so callers speak in file offsets only.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export interface IncrementalHash {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

export interface FileCrypto {
  sha256(data: Uint8Array): Promise<Uint8Array>;
  sha256Incremental(): IncrementalHash;
  /** Encrypts (or decrypts: CTR is its own inverse) `data` found at byte `offset` of the file's stream. */
  aesCtr(key: Uint8Array, offset: number, data: Uint8Array): Promise<Uint8Array>;
  randomBytes(length: number): Uint8Array;
}

const AES_BLOCK = 16;
export const SMALL_DIGEST_BYTES = 4096;

/** The 128-bit big-endian counter block for AES block number `block` (< 2^53). */
export function counterBlock(block: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(AES_BLOCK);
  let value = block;
  for (let i = AES_BLOCK - 1; i >= 0 && value > 0; i--) {
    out[i] = value % 256;
    value = Math.floor(value / 256);
  }
  return out;
}

function copyBuffer(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(data.length);
  out.set(data);
  return out;
}

/** WebCrypto wants ArrayBuffer-backed views; a view over a SharedArrayBuffer or a subarray is copied. */
function asBufferSource(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : copyBuffer(data);
}

export function webCrypto(subtle: SubtleCrypto = globalThis.crypto.subtle): FileCrypto {
  const keys = new Map<string, Promise<CryptoKey>>();
  const importKey = (key: Uint8Array): Promise<CryptoKey> => {
    const id = Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
    let found = keys.get(id);
    if (found === undefined) {
      // A handful of files at a time are in flight; the cache only avoids one import per segment.
      if (keys.size > 64) keys.clear();
      found = subtle.importKey('raw', copyBuffer(key), { name: 'AES-CTR' }, false, ['encrypt']);
      keys.set(id, found);
    }
    return found;
  };
  return {
    async sha256(data) {
      if (data.length <= SMALL_DIGEST_BYTES) return nobleSha256(data);
      return new Uint8Array(await subtle.digest('SHA-256', asBufferSource(data)));
    },
    sha256Incremental() {
      const h = nobleSha256.create();
      return {
        update: (data) => void h.update(data),
        digest: () => h.digest(),
      };
    },
    async aesCtr(key, offset, data) {
      if (data.length === 0) return new Uint8Array(0);
      const skip = offset % AES_BLOCK;
      let input: Uint8Array<ArrayBuffer>;
      if (skip === 0) input = asBufferSource(data);
      else {
        input = new Uint8Array(skip + data.length);
        input.set(data, skip);
      }
      const counter = counterBlock(Math.floor(offset / AES_BLOCK));
      const out = await subtle.encrypt(
        { name: 'AES-CTR', counter, length: 128 },
        await importKey(key),
        input,
      );
      return new Uint8Array(out, skip);
    },
    randomBytes(length) {
      const out = new Uint8Array(length);
      // getRandomValues fills at most 65536 bytes per call.
      for (let at = 0; at < length; at += 65536)
        globalThis.crypto.getRandomValues(out.subarray(at, at + 65536));
      return out;
    },
  };
}

let defaultCrypto: FileCrypto | undefined;
export function defaultFileCrypto(): FileCrypto {
  defaultCrypto ??= webCrypto();
  return defaultCrypto;
}
