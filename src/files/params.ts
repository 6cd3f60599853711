/**
 * Encoding parameters: how a file of a given size is cut, and how many shares to make for the servers in
 * reach.
 *
 * Segmenting (Tahoe-LAFS upload.py `get_all_encoding_parameters`, encode.py):
 * - segment size = next multiple of k of min(max segment size, file size), so small files are not padded
 *   to a whole segment; every segment but the last has this size;
 * - segments = ⌈size / segment size⌉; the tail segment (size mod segment size, or a whole segment) is
 *   zero-padded to a multiple of k before coding; block size = segment size / k;
 * - share data size = ⌈size / k⌉ (the blocks of one share, tail block included).
 *
 * Shares for S servers in reach (`shareCountsFor`). P(readable) = P(at least k of the holders are online);
 * with each browser online half the time and shares spread over distinct servers:
 *
 * | servers S | k | happy | N  | why                                                                   |
 * | --------- | - | ----- | -- | --------------------------------------------------------------------- |
 * | ≥ 10      | 3 | 7     | 10 | Tahoe's defaults: 3-of-10 is readable 94.5 % of the time at p = 0.5   |
 * | 6 – 9     | 2 | 5     | S  | one share per server; 2-of-6 gives 0.89, 2-of-9 0.98                  |
 * | 3 – 5     | 2 | S-1   | S  | 2-of-5 gives 0.81, 2-of-3 0.5; happy S-1 lets one server be away      |
 * | 2         | 1 | 2     | 2  | plain replication: either copy reads                                  |
 * | 1         | 1 | 1     | 1  | a single copy (the only server); better than refusing to store        |
 * | 0         | — | —     | —  | no upload (`TooFewServersError` from the placement)                   |
 *
 * Happy 5 for 6–9 servers lets up to S-5 servers be away during the upload and still spreads the
 * file over at least five distinct servers. k stays 2 below ten servers: k = 3 on five servers would leave
 * a file unreadable as soon as three of them are offline (P = 0.5 at p = 0.5).
 */
import { FileParamsError } from './result.ts';

export const LIT_THRESHOLD = 55;
export const MAX_SHARES = 256;

export function nextMultiple(x: number, k: number): number {
  return Math.ceil(x / k) * k;
}

export interface Segmenting {
  size: number;
  k: number;
  n: number;
  segmentSize: number;
  numSegments: number;
  blockSize: number;
  /** Unpadded bytes of the last segment. */
  tailSize: number;
  /** Bytes of the last segment once padded to a multiple of k. */
  paddedTailSize: number;
  tailBlockSize: number;
  shareDataSize: number;
}

/** The cut of a file of `size` bytes (> 0) coded k-of-n with at most `maxSegmentSize` per segment. */
export function segmenting(size: number, k: number, n: number, maxSegmentSize: number): Segmenting {
  if (!Number.isSafeInteger(size) || size < 1) throw new FileParamsError(`bad size ${size}`);
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 1 || n < k || n > MAX_SHARES) {
    throw new FileParamsError(`need 1 <= k <= n <= 256, got ${k}/${n}`);
  }
  if (!Number.isSafeInteger(maxSegmentSize) || maxSegmentSize < 1) {
    throw new FileParamsError(`bad segment size ${maxSegmentSize}`);
  }
  const segmentSize = nextMultiple(Math.min(maxSegmentSize, size), k);
  return fromSegmentSize(size, k, n, segmentSize);
}

/** The cut when the segment size is already known (from a UEB); caller checks segmentSize % k === 0. */
export function fromSegmentSize(size: number, k: number, n: number, segmentSize: number): Segmenting {
  const numSegments = Math.ceil(size / segmentSize);
  const tailSize = size % segmentSize || segmentSize;
  const paddedTailSize = nextMultiple(tailSize, k);
  return {
    size,
    k,
    n,
    segmentSize,
    numSegments,
    blockSize: segmentSize / k,
    tailSize,
    paddedTailSize,
    tailBlockSize: paddedTailSize / k,
    shareDataSize: Math.ceil(size / k),
  };
}

export interface ShareCounts {
  k: number;
  happy: number;
  n: number;
}

/** k, happy and N for `servers` storage servers in reach (the table above). */
export function shareCountsFor(servers: number): ShareCounts {
  if (!Number.isInteger(servers) || servers < 1) throw new FileParamsError(`no servers (${servers})`);
  if (servers >= 10) return { k: 3, happy: 7, n: 10 };
  if (servers >= 6) return { k: 2, happy: Math.min(5, servers - 1), n: servers };
  if (servers >= 3) return { k: 2, happy: servers - 1, n: servers };
  return { k: 1, happy: servers, n: servers };
}
