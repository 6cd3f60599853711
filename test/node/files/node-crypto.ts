/**
 * The file layer's crypto slots filled by Node's own OpenSSL (node:crypto), synchronously: the same
 * SHA-256 and AES-128-CTR as the WebCrypto default, without WebCrypto's per-call cost in Node, so the
 * 8 MiB Tahoe vectors at 101-of-256 (tens of thousands of block hashes) fit in a test's time.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { counterBlock, type FileCrypto } from '../../../src/files/crypto.ts';

export function nodeCrypto(): FileCrypto {
  return {
    sha256: async (data) => new Uint8Array(createHash('sha256').update(data).digest()),
    sha256Incremental() {
      const h = createHash('sha256');
      return { update: (d) => void h.update(d), digest: () => new Uint8Array(h.digest()) };
    },
    async aesCtr(key, offset, data) {
      const skip = offset % 16;
      const cipher = createCipheriv('aes-128-ctr', key, counterBlock(Math.floor(offset / 16)));
      if (skip) cipher.update(new Uint8Array(skip));
      return new Uint8Array(cipher.update(data));
    },
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
  };
}
