/**
 * Encode and decode speed of the CHK format, portable: the same function runs in Node (bench/files-codec.ts)
 * and inside Chromium (import it in a page and call `measureCodec()`). Encode = convergence-free random
 * key, AES-CTR, zfec, block and tree hashes, shares assembled; decode = k shares opened, every block and
 * segment verified, zfec inverse, decryption. MB/s are 10^6 bytes of plaintext per second.
 */
import { decodeCHK, encodeCHK, type FileCrypto } from '../src/files/index.ts';

export interface CodecFigures {
  sizeBytes: number;
  k: number;
  n: number;
  segmentSize: number;
  encodeMBps: number;
  decodeMBps: number;
  /** Per CPU second of this process, when a CPU clock is given: the figure that survives a loaded machine. */
  encodeCpuMBps?: number;
  decodeCpuMBps?: number;
}

export async function measureCodec(
  options: {
    sizeBytes?: number;
    k?: number;
    n?: number;
    segmentSize?: number;
    crypto?: FileCrypto;
    /** Milliseconds of CPU used so far (Node: process.cpuUsage); absent in browsers. */
    cpuClockMs?: () => number;
  } = {},
): Promise<CodecFigures> {
  const {
    sizeBytes = 16 * 1024 * 1024,
    k = 3,
    n = 10,
    segmentSize = 128 * 1024,
    crypto,
    cpuClockMs,
  } = options;
  const plaintext = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) plaintext[i] = (i * 2654435761) >>> 24;
  const c0 = cpuClockMs?.();
  const t0 = performance.now();
  const encoded = await encodeCHK(plaintext, { k, n, segmentSize, ...(crypto ? { crypto } : {}) });
  const t1 = performance.now();
  const c1 = cpuClockMs?.();
  // Decode from the last k shares, so k - (N - k) of them, at least, are check shares to invert.
  const decoded = await decodeCHK(encoded.cap, [...encoded.shares].slice(-k), crypto ? { crypto } : {});
  const t2 = performance.now();
  const c2 = cpuClockMs?.();
  if (
    !decoded.ok ||
    decoded.value.length !== sizeBytes ||
    decoded.value[sizeBytes - 1] !== plaintext[sizeBytes - 1]
  ) {
    throw new Error(`decode failed: ${decoded.ok ? 'wrong bytes' : decoded.reason}`);
  }
  const mbps = (ms: number): number => Math.round((sizeBytes / 1e6 / (ms / 1000)) * 10) / 10;
  const figures: CodecFigures = {
    sizeBytes,
    k,
    n,
    segmentSize,
    encodeMBps: mbps(t1 - t0),
    decodeMBps: mbps(t2 - t1),
  };
  if (c0 !== undefined && c1 !== undefined && c2 !== undefined) {
    figures.encodeCpuMBps = mbps(c1 - c0);
    figures.decodeCpuMBps = mbps(c2 - c1);
  }
  return figures;
}
