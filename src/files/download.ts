/**
 * Downloading an immutable file from storage servers (Tahoe-LAFS immutable/downloader/finder.py and
 * fetcher.py, simplified).
 *
 * - `URI:LIT:` caps hold their bytes and need no server; `URI:CHK-Verifier:` caps cannot decrypt.
 * - Finding: servers are asked which shares of the storage index they hold, in the given (permuted)
 *   order, `inFlight` at a time (Tahoe keeps 10 queries out). Answers are used as they arrive, so the
 *   fastest servers are read first; the first share of each server is offered before any second share
 *   of a server already offering one, so k shares come from k distinct servers when they exist.
 * - Fetching: the reader (decode.ts) opens k shares in parallel, checks the UEB against the cap and every
 *   block against the trees, reads each segment's k blocks in parallel, and on a bad or missing block
 *   drops that share for the next one; a share whose bytes were wrong is reported to its server with
 *   `adviseCorrupt`.
 * - Delivery: a ReadableStream of segments, or one Uint8Array; progress after each segment.
 */
import { parseCap, type Cap } from './cap.ts';
import { defaultFileCrypto, type FileCrypto } from './crypto.ts';
import { ChkReader, FileReadError, readAll, readStream } from './decode.ts';
import { storageIndexOf } from './hashes.ts';
import type { ShareSource } from './verify.ts';
import type { StorageRemote } from '../services/types.ts';

export const DEFAULT_IN_FLIGHT = 10;

export interface DownloadOptions {
  /** Storage servers in permuted order for the file's storage index. */
  servers: readonly StorageRemote[];
  inFlight?: number;
  crypto?: FileCrypto;
  onProgress?: (bytesDone: number, size: number) => void;
}

interface RemoteSource extends ShareSource {
  readonly server: StorageRemote;
}

/** A pull function over the shares the servers say they hold, fastest answers first. */
export function findShares(
  storageIndex: Uint8Array,
  servers: readonly StorageRemote[],
  inFlight: number,
): () => Promise<RemoteSource | undefined> {
  const firsts: RemoteSource[] = [];
  const seconds: RemoteSource[] = [];
  let nextServer = 0;
  let pending = 0;
  let wake: (() => void) | undefined;
  const source = (server: StorageRemote, shnum: number): RemoteSource => ({
    server,
    shnum,
    read: (offset, length) => server.read(storageIndex, shnum, offset, length),
  });
  const ask = (): void => {
    while (pending < inFlight && nextServer < servers.length) {
      const server = servers[nextServer++]!;
      pending++;
      server
        .list(storageIndex)
        .then(
          (shares) => {
            const valid = Array.isArray(shares)
              ? [...new Set(shares.filter((s) => Number.isInteger(s) && s >= 0 && s < 256))].slice(0, 256)
              : [];
            valid.forEach((s, i) => (i === 0 ? firsts : seconds).push(source(server, s)));
          },
          () => {},
        )
        .finally(() => {
          pending--;
          wake?.();
        });
    }
  };
  return async () => {
    for (;;) {
      ask();
      if (firsts.length > 0) return firsts.shift();
      if (pending === 0 && nextServer >= servers.length) return seconds.shift();
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  };
}

async function readerFor(cap: string | Cap, options: DownloadOptions): Promise<ChkReader | Uint8Array> {
  const parsed = typeof cap === 'string' ? parseCap(cap) : { ok: true as const, value: cap };
  if (!parsed.ok) throw new FileReadError(parsed.reason);
  const c = parsed.value;
  if (c.kind === 'lit') return c.data.slice();
  if (c.kind !== 'chk') throw new FileReadError('verify-cap-cannot-decrypt');
  const crypto = options.crypto ?? defaultFileCrypto();
  const si = await storageIndexOf(crypto, c.key);
  const next = findShares(si, options.servers, options.inFlight ?? DEFAULT_IN_FLIGHT);
  return new ChkReader(
    c,
    next,
    {
      onBadShare: (source, reason) => {
        const remote = source as RemoteSource;
        remote.server.adviseCorrupt(si, source.shnum, reason).catch(() => {});
      },
      onProgress: options.onProgress,
    },
    crypto,
  );
}

/** The whole file; rejects with a FileReadError naming the reason. */
export async function download(cap: string | Cap, options: DownloadOptions): Promise<Uint8Array> {
  const reader = await readerFor(cap, options);
  if (reader instanceof Uint8Array) {
    options.onProgress?.(reader.length, reader.length);
    return reader;
  }
  const result = await readAll(reader);
  if (!result.ok) throw new FileReadError(result.reason);
  return result.value;
}

/** The file as a stream of segments; errors the stream with a FileReadError. */
export async function downloadStream(
  cap: string | Cap,
  options: DownloadOptions,
): Promise<ReadableStream<Uint8Array>> {
  const reader = await readerFor(cap, options);
  if (!(reader instanceof Uint8Array)) return readStream(reader);
  return new ReadableStream({
    start(controller) {
      if (reader.length > 0) controller.enqueue(reader);
      controller.close();
    },
  });
}
