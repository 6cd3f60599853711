/**
 * Rebuilding an immutable file from shares, segment by segment (Tahoe-LAFS immutable/downloader/).
 *
 * A `ChkReader` keeps k verified shares with distinct share numbers. For each segment it reads the k
 * blocks in parallel, checks each against its share's block tree, decodes them (zfec), trims the padding,
 * checks the ciphertext against the crypttext hash tree and decrypts it at its file offset. A share whose
 * block is bad or cannot be read is dropped for good (and reported through `onBadShare` when its bytes
 * were wrong, so the caller can advise its server) and replaced by the next candidate, so a file reads
 * while any k good shares remain reachable.
 *
 * Candidates come from a pull function (`next`), so the caller decides the order: the download asks the
 * fastest servers first, the in-memory decoder takes share numbers in order. Nothing here throws on bad
 * bytes: every failure is a Result reason.
 */
import { parseCap, type Cap } from './cap.ts';
import { defaultFileCrypto, type FileCrypto } from './crypto.ts';
import { fecFor } from './encode.ts';
import { bytesEqual, crypttextSegmentHash } from './hashes.ts';
import { fail, ok, type Result } from './result.ts';
import { openShare, readBlock, type ChkCap, type ShareSource, type VerifiedShare } from './verify.ts';

export interface ReaderEvents {
  /** A share's bytes were wrong (not merely unreachable): `reason` names how. */
  onBadShare?(source: ShareSource, reason: string): void;
  /** After each segment: plaintext bytes delivered so far and the file's size. */
  onProgress?(bytesDone: number, size: number): void;
}

export class ChkReader {
  readonly cap: ChkCap & { kind: 'chk' };
  readonly #crypto: FileCrypto;
  readonly #next: () => Promise<ShareSource | undefined>;
  readonly #events: ReaderEvents;
  readonly #active: VerifiedShare[] = [];
  readonly #spare: ShareSource[] = [];
  readonly #reasons: string[] = [];
  #progressed = 0;
  #exhausted = false;

  constructor(
    cap: ChkCap & { kind: 'chk' },
    next: () => Promise<ShareSource | undefined>,
    events: ReaderEvents = {},
    crypto: FileCrypto = defaultFileCrypto(),
  ) {
    this.cap = cap;
    this.#next = next;
    this.#events = events;
    this.#crypto = crypto;
  }

  /** Why shares were turned down so far (for error messages and tests). */
  get reasons(): readonly string[] {
    return this.#reasons;
  }

  #numSegments: number | undefined;

  /** Known from the first share opened, and kept: every share of a file has the same segmenting. */
  get numSegments(): number | undefined {
    return (this.#numSegments ??= this.#active[0]?.seg.numSegments);
  }

  #drop(share: VerifiedShare, reason: string): void {
    const at = this.#active.indexOf(share);
    if (at >= 0) this.#active.splice(at, 1);
    this.#reasons.push(`share ${share.source.shnum}: ${reason}`);
    if (!reason.startsWith('read-failed')) this.#events.onBadShare?.(share.source, reason);
  }

  async #candidate(): Promise<ShareSource | undefined> {
    const taken = new Set(this.#active.map((s) => s.source.shnum));
    const spare = this.#spare.findIndex((s) => !taken.has(s.shnum));
    if (spare >= 0) return this.#spare.splice(spare, 1)[0];
    while (!this.#exhausted) {
      const source = await this.#next();
      if (source === undefined) this.#exhausted = true;
      else if (taken.has(source.shnum)) this.#spare.push(source);
      else return source;
    }
    return undefined;
  }

  #filling: Promise<boolean> | undefined;

  /**
   * Tops the active set up to k verified shares; false when the candidates ran out first. Segments are
   * read concurrently (read-ahead), so one fill runs at a time and the others wait for it.
   */
  #fill(): Promise<boolean> {
    if (this.#active.length >= this.cap.k) return Promise.resolve(true);
    return (this.#filling ??= this.#fillNow().finally(() => (this.#filling = undefined)));
  }

  async #fillNow(): Promise<boolean> {
    const { k } = this.cap;
    while (this.#active.length < k) {
      const wanted = k - this.#active.length;
      const picks: ShareSource[] = [];
      const shnums = new Set(this.#active.map((s) => s.source.shnum));
      while (picks.length < wanted) {
        const source = await this.#candidate();
        if (source === undefined) break;
        if (shnums.has(source.shnum)) this.#spare.push(source);
        else {
          shnums.add(source.shnum);
          picks.push(source);
        }
      }
      if (picks.length === 0) return false;
      const opened = await Promise.all(picks.map((source) => openShare(this.#crypto, this.cap, source)));
      opened.forEach((result, i) => {
        const source = picks[i]!;
        if (result.ok) this.#active.push(result.value);
        else {
          this.#reasons.push(`share ${source.shnum}: ${result.reason}`);
          if (!result.reason.startsWith('read-failed')) this.#events.onBadShare?.(source, result.reason);
        }
      });
    }
    return true;
  }

  #notEnough(): Result<never> {
    const { k } = this.cap;
    const tail = this.#reasons.slice(-8).join('; ');
    return fail(`not-enough-shares: ${this.#active.length} of ${k} good${tail ? ` (${tail})` : ''}`);
  }

  /** Opens k shares; the file's segmenting is then known. */
  async start(): Promise<Result<void>> {
    return (await this.#fill()) ? ok(undefined) : this.#notEnough();
  }

  /** The plaintext of segment i. */
  async segment(i: number): Promise<Result<Uint8Array>> {
    const crypto = this.#crypto;
    for (;;) {
      if (!(await this.#fill())) return this.#notEnough();
      if (!Number.isInteger(i) || i < 0 || i >= this.numSegments!) return fail('bad-segment-number');
      const shares = this.#active.slice(0, this.cap.k);
      const blocks = await Promise.all(shares.map((share) => readBlock(crypto, share, i)));
      let allGood = true;
      blocks.forEach((block, j) => {
        if (!block.ok) {
          allGood = false;
          this.#drop(shares[j]!, block.reason);
        }
      });
      if (!allGood) continue;
      const seg = shares[0]!.seg;
      const decoded = fecFor(seg.k, seg.n).decode(
        blocks.map((b) => (b as { value: Uint8Array }).value),
        shares.map((s) => s.source.shnum),
      );
      const length = i === seg.numSegments - 1 ? seg.tailSize : seg.segmentSize;
      const cipher = new Uint8Array(length);
      let at = 0;
      for (const block of decoded) {
        if (at >= length) break;
        const take = Math.min(block.length, length - at);
        cipher.set(take === block.length ? block : block.subarray(0, take), at);
        at += take;
      }
      const leaf = shares[0]!.crypttextTree[(shares[0]!.crypttextTree.length >> 1) + i]!;
      // Every block checked out, so a bad segment means the uploader itself wrote inconsistent shares.
      if (!bytesEqual(await crypttextSegmentHash(crypto, cipher), leaf)) return fail('bad-segment-hash');
      const plain = await crypto.aesCtr(this.cap.key, i * seg.segmentSize, cipher);
      // Segments are read ahead, so they may finish out of order: progress only grows.
      this.#progressed = Math.max(this.#progressed, i * seg.segmentSize + length);
      this.#events.onProgress?.(this.#progressed, seg.size);
      return ok(plain);
    }
  }
}

/** Segments read ahead of the one being delivered: their round trips overlap (memory: 4 segments). */
const READ_AHEAD = 4;

/** The reader's segments in order, with up to READ_AHEAD of them being read at once. */
function inOrder(reader: ChkReader, count: number): () => Promise<Result<Uint8Array>> {
  const pending: Promise<Result<Uint8Array>>[] = [];
  let next = 0;
  return () => {
    while (pending.length < READ_AHEAD && next < count) pending.push(reader.segment(next++));
    return pending.shift() ?? Promise.resolve(fail('bad-segment-number'));
  };
}

/** Plaintext of a LIT cap, or of a CHK cap read through `reader`, as one array. */
export async function readAll(reader: ChkReader): Promise<Result<Uint8Array>> {
  const started = await reader.start();
  if (!started.ok) return started;
  const out = new Uint8Array(reader.cap.size);
  // Known once k shares are open; read here once, since the shares may all be dropped meanwhile.
  const count = reader.numSegments!;
  const next = inOrder(reader, count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const segment = await next();
    if (!segment.ok) return segment;
    out.set(segment.value, at);
    at += segment.value.length;
  }
  return ok(out);
}

/** The same as a stream; a failure errors the stream with a `FileReadError` naming the reason. */
export function readStream(reader: ChkReader): ReadableStream<Uint8Array> {
  let i = 0;
  let count = 0;
  let next: (() => Promise<Result<Uint8Array>>) | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next === undefined) {
        const started = await reader.start();
        if (!started.ok) return controller.error(new FileReadError(started.reason));
        count = reader.numSegments!;
        next = inOrder(reader, count);
      }
      if (i >= count) return controller.close();
      i++;
      const segment = await next();
      if (!segment.ok) return controller.error(new FileReadError(segment.reason));
      controller.enqueue(segment.value);
      if (i >= count) controller.close();
    },
  });
}

/** A download that could not deliver: `reason` is the Result reason. */
export class FileReadError extends Error {
  override name = 'FileReadError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Sources over shares held in memory (share number → share bytes). */
export function memorySources(
  shares: Iterable<[number, Uint8Array]>,
): () => Promise<ShareSource | undefined> {
  const queue = [...shares].sort((a, b) => a[0] - b[0]);
  return async () => {
    const entry = queue.shift();
    if (entry === undefined) return undefined;
    const [shnum, bytes] = entry;
    return { shnum, read: async (offset, length) => bytes.subarray(offset, offset + length) };
  };
}

/**
 * Rebuilds and verifies a file from shares in memory: a `URI:CHK:` cap needs any k good shares, a
 * `URI:LIT:` cap none. A verify cap cannot decrypt.
 */
export async function decodeCHK(
  cap: string | Cap,
  shares: Iterable<[number, Uint8Array]> = [],
  options: { crypto?: FileCrypto } & ReaderEvents = {},
): Promise<Result<Uint8Array>> {
  const parsed = typeof cap === 'string' ? parseCap(cap) : ok(cap);
  if (!parsed.ok) return parsed;
  const c = parsed.value;
  if (c.kind === 'lit') return ok(c.data.slice());
  if (c.kind !== 'chk') return fail('verify-cap-cannot-decrypt');
  return readAll(new ChkReader(c, memorySources(shares), options, options.crypto));
}
