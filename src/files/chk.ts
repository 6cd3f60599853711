/**
 * Whole-file CHK encoding in memory: `encodeCHK`, the entry point Tahoe-LAFS's test vectors are checked
 * against (integration/vectors/test_vectors.yaml: same plaintext, convergence secret, k, N and maximum
 * segment size give the same cap).
 *
 * Files of at most 55 bytes become `URI:LIT:` caps and no shares (upload.py `URI_LIT_SIZE_THRESHOLD`).
 * Larger files get a convergent key when a convergence secret is given (Tahoe's default, and what the
 * vectors use), else a random one, and N complete shares as Tahoe's share container holds them.
 */
import { formatCap } from './cap.ts';
import { defaultFileCrypto, type FileCrypto } from './crypto.ts';
import { ChkEncoder } from './encode.ts';
import { convergentKey, randomKey } from './keys.ts';
import { LIT_THRESHOLD, segmenting } from './params.ts';
import { FileParamsError } from './result.ts';

export interface EncodeOptions {
  k: number;
  n: number;
  /** The maximum segment size (Tahoe's `max_segment_size`); small files use a smaller one. */
  segmentSize: number;
  /** The convergence secret; omit (or pass `random: true`) for a random key. */
  convergence?: Uint8Array;
  crypto?: FileCrypto;
}

export interface EncodedFile {
  cap: string;
  /** `URI:CHK-Verifier:` for CHK files, undefined for LIT. */
  verifyCap: string | undefined;
  size: number;
  k: number;
  n: number;
  segmentSize: number;
  storageIndex: Uint8Array | undefined;
  /** Share number → the share's bytes (empty for LIT). */
  shares: Map<number, Uint8Array>;
}

export async function encodeCHK(plaintext: Uint8Array, options: EncodeOptions): Promise<EncodedFile> {
  if (!(plaintext instanceof Uint8Array)) throw new FileParamsError('plaintext must be a Uint8Array');
  const crypto = options.crypto ?? defaultFileCrypto();
  const { k, n } = options;
  if (plaintext.length <= LIT_THRESHOLD) {
    return {
      cap: formatCap({ kind: 'lit', data: plaintext.slice() }),
      verifyCap: undefined,
      size: plaintext.length,
      k,
      n,
      segmentSize: 0,
      storageIndex: undefined,
      shares: new Map(),
    };
  }
  const seg = segmenting(plaintext.length, k, n, options.segmentSize);
  const key =
    options.convergence === undefined
      ? randomKey(crypto)
      : await convergentKey(crypto, seg, options.convergence, plaintext);
  const encoder = await ChkEncoder.create(crypto, key, seg);
  const { layout } = encoder;
  const shares = Array.from({ length: n }, () => new Uint8Array(layout.size));
  const header = encoder.header();
  for (const share of shares) share.set(header, 0);
  for (let i = 0; i < seg.numSegments; i++) {
    const start = i * seg.segmentSize;
    const blocks = await encoder.encodeSegment(plaintext.subarray(start, start + encoder.segmentLength(i)));
    const offset = encoder.blockOffset(i);
    blocks.forEach((block, s) => shares[s]!.set(block, offset));
  }
  const { uebHash, trailers } = await encoder.finish();
  trailers.forEach((trailer, s) => shares[s]!.set(trailer, layout.plaintextHashTree));
  const common = { uebHash, k, n, size: seg.size };
  return {
    cap: formatCap({ kind: 'chk', key, ...common }),
    verifyCap: formatCap({ kind: 'chk-verifier', storageIndex: encoder.storageIndex, ...common }),
    size: seg.size,
    k,
    n,
    segmentSize: seg.segmentSize,
    storageIndex: encoder.storageIndex,
    shares: new Map(shares.map((share, s) => [s, share])),
  };
}
