/**
 * Uploading an immutable file to storage servers (Tahoe-LAFS immutable/upload.py, without its helper and
 * lease-secret machinery: a server knows its caller by the link's authenticated key).
 *
 * 1. Files of at most 55 bytes become `URI:LIT:` caps and touch no server.
 * 2. Every server given is asked for its version; k, happy and N come from the number in reach
 *    (params.ts `shareCountsFor`) unless set: a server that answers or refuses is; one whose channel
 *    closed or that timed out is not.
 * 3. The key is random unless a convergence secret is given; it fixes the storage index, and `order`
 *    puts the servers in the permuted order for it (`getPermutedPeers('storage', SI)`).
 * 4. Of the first 2N servers in that order, those that answered and have room for at least one share
 *    of the computed size are the candidates. Placement (happiness.ts) plans; each
 *    server is asked to allocate its shares; a server that refuses or allocates fewer loses them and the
 *    plan is redone without them. Too few servers, or too little happiness, is an `UploadUnhappyError`,
 *    after every allocated share is aborted.
 * 5. Then segment by segment: read it (Blob.slice for Blobs), encode it, write its blocks to every
 *    share's server, with at most 4 segments' writes in flight; a failing server is dropped and the upload
 *    goes on while happiness holds. The hash trees and UEB are written last, then every share is closed.
 * Memory is four segments' N blocks plus per-share hashes, whatever the file size.
 */
import { formatCap } from './cap.ts';
import { defaultFileCrypto, type FileCrypto } from './crypto.ts';
import { ChkEncoder } from './encode.ts';
import { happinessOf, placeShares, type Candidate } from './happiness.ts';
import { convergentKey, randomKey } from './keys.ts';
import { LIT_THRESHOLD, segmenting, shareCountsFor } from './params.ts';
import { StorageError, type StorageRemote, type StorageVersion } from '../services/types.ts';

export const DEFAULT_MAX_SEGMENT_SIZE = 128 * 1024;
/** Segments whose writes may be in flight at once (memory: PIPELINE × N blocks). */
const PIPELINE = 4;

export class UploadUnhappyError extends Error {
  override name = 'UploadUnhappyError';
}

export interface UploadProgress {
  phase: 'placing' | 'sending' | 'closing' | 'done';
  bytesSent: number;
  size: number;
}

export interface UploadOptions {
  /** The storage servers in reach. */
  servers: readonly StorageRemote[];
  /** Permuted order for a storage index; default: the order given. */
  order?: (storageIndex: Uint8Array, servers: readonly StorageRemote[]) => readonly StorageRemote[];
  k?: number;
  happy?: number;
  n?: number;
  maxSegmentSize?: number;
  /** Convergent key under this secret; random key when absent. */
  convergence?: Uint8Array;
  crypto?: FileCrypto;
  onProgress?: (p: UploadProgress) => void;
}

export interface UploadResult {
  cap: string;
  verifyCap: string | undefined;
  size: number;
  k: number;
  n: number;
  happy: number;
  /** Server id → share numbers it holds. */
  servers: Map<string, number[]>;
}

async function readSegment(data: Uint8Array | Blob, start: number, length: number): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data.subarray(start, start + length);
  return new Uint8Array(await data.slice(start, start + length).arrayBuffer());
}

async function settle<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

const why = (error: unknown): string => (error as Error)?.message ?? String(error);
const outOfReach = (error: unknown): boolean =>
  !(error instanceof StorageError) || error.code === 'closed' || error.code === 'timeout';

export async function upload(data: Uint8Array | Blob, options: UploadOptions): Promise<UploadResult> {
  const crypto = options.crypto ?? defaultFileCrypto();
  const size = data instanceof Uint8Array ? data.length : data.size;
  const report = options.onProgress ?? (() => {});
  if (size <= LIT_THRESHOLD) {
    const bytes = await readSegment(data, 0, size);
    report({ phase: 'done', bytesSent: size, size });
    const counts = { k: 1, n: 1, happy: 1 };
    return {
      cap: formatCap({ kind: 'lit', data: bytes.slice() }),
      verifyCap: undefined,
      size,
      ...counts,
      servers: new Map(),
    };
  }
  if (options.servers.length === 0) throw new UploadUnhappyError('no storage servers in reach');
  // Servers in reach are those that answer, refusals included (a server that says no is there); one
  // whose channel closed or that timed out is not.
  const failures: string[] = [];
  const answered = await Promise.all(options.servers.map((s) => settle(s.version())));
  const versionOf = new Map<string, StorageVersion>();
  let inReach = 0;
  answered.forEach((v, i) => {
    const server = options.servers[i]!;
    if (v.ok) versionOf.set(server.id, v.value);
    else failures.push(`${server.id}: ${why(v.error)}`);
    if (v.ok || !outOfReach(v.error)) inReach++;
  });
  const table = shareCountsFor(Math.max(1, inReach));
  const k = options.k ?? table.k;
  const n = options.n ?? table.n;
  const happy = options.happy ?? Math.min(table.happy, n);
  const seg = segmenting(size, k, n, options.maxSegmentSize ?? DEFAULT_MAX_SEGMENT_SIZE);
  const key =
    options.convergence === undefined
      ? randomKey(crypto)
      : await convergentKey(crypto, seg, options.convergence, data);
  const encoder = await ChkEncoder.create(crypto, key, seg);
  const si = encoder.storageIndex;
  const shareSize = encoder.layout.size;
  const ordered = (options.order?.(si, options.servers) ?? options.servers).slice(0, 2 * n);
  report({ phase: 'placing', bytesSent: 0, size });

  // Candidates: servers that answered and have room for a share.
  const byId = new Map<string, StorageRemote>();
  let candidates: Candidate[] = [];
  for (const server of ordered) {
    const version = versionOf.get(server.id);
    if (!version || byId.has(server.id) || version.maxShareSize < shareSize) continue;
    byId.set(server.id, server);
    candidates.push({ id: server.id, room: Math.floor(version.available / shareSize), has: [] });
  }
  const uploadSecret = crypto.randomBytes(32);
  const allocated = new Map<string, Set<number>>();
  const abortAll = async (): Promise<void> => {
    await Promise.all(
      [...allocated].flatMap(([id, shares]) => [...shares].map((s) => settle(byId.get(id)!.abort(si, s)))),
    );
  };
  let owner: Map<number, string> | undefined;
  for (let round = 0; round < 2 * n + 2 && owner === undefined; round++) {
    const plan = placeShares(candidates, n, happy);
    if (!plan.ok) {
      await abortAll();
      const detail = failures.length ? `; ${failures.slice(-6).join('; ')}` : '';
      throw new UploadUnhappyError(
        `${plan.reason} (k=${k}, happy=${happy}, N=${n}, ${candidates.length} servers)${detail}`,
      );
    }
    const asks = [...plan.value.toSend].filter(
      ([id, shares]) => !shares.every((s) => allocated.get(id)?.has(s)),
    );
    const answers = await Promise.all(
      asks.map(([id, shares]) => settle(byId.get(id)!.allocate(si, shares, shareSize, uploadSecret))),
    );
    let changed = false;
    answers.forEach((answer, i) => {
      const [id, shares] = asks[i]!;
      const c = candidates.find((x) => x.id === id)!;
      if (!answer.ok) {
        failures.push(`${id}: ${why(answer.error)}`);
        candidates = candidates.filter((x) => x.id !== id);
        changed = true;
        return;
      }
      const got = new Set(answer.value.allocated.filter((s) => shares.includes(s)));
      const mine = allocated.get(id) ?? new Set<number>();
      got.forEach((s) => mine.add(s));
      allocated.set(id, mine);
      const has = answer.value.alreadyHave.filter((s) => Number.isInteger(s) && s >= 0 && s < n);
      const newHas = has.filter((s) => !c.has.includes(s));
      // A server that took fewer than asked (and did not already hold the rest) has no more room.
      const short = shares.filter((s) => !got.has(s) && !has.includes(s)).length > 0;
      if (short || newHas.length > 0) {
        changed = true;
        const nextRoom = short ? mine.size : c.room;
        candidates = candidates.map((x) =>
          x.id === id ? { id, room: nextRoom, has: [...x.has, ...newHas] } : x,
        );
      }
    });
    if (!changed) owner = plan.value.owner;
  }
  if (owner === undefined) {
    await abortAll();
    throw new UploadUnhappyError('placement did not settle');
  }
  // Shares allocated but no longer in the plan are freed at once.
  for (const [id, shares] of allocated) {
    for (const s of shares) {
      if (owner.get(s) !== id) {
        shares.delete(s);
        await settle(byId.get(id)!.abort(si, s));
      }
    }
  }
  // Writers: (server, share) pairs to send; existing holders are kept as they are.
  let writers = [...allocated].flatMap(([id, shares]) => [...shares].map((s) => ({ id, s })));
  const held = new Map([...owner].filter(([s, id]) => !allocated.get(id)?.has(s)));
  const dropWriter = async (w: { id: string; s: number }, error: unknown): Promise<void> => {
    // Writes of several segments are in flight at once: a writer fails once.
    if (!writers.includes(w)) return;
    failures.push(`${w.id} share ${w.s}: ${why(error)}`);
    writers = writers.filter((x) => x !== w);
    await settle(byId.get(w.id)!.abort(si, w.s));
    const live = new Map(held);
    for (const x of writers) live.set(x.s, x.id);
    if (happinessOf(live, n) < happy) {
      await abortAll();
      throw new UploadUnhappyError(
        `lost servers during upload: happiness below ${happy}; ${failures.slice(-6).join('; ')}`,
      );
    }
  };
  const writeAll = async (bytesFor: (s: number) => Uint8Array, offsetFor: number): Promise<void> => {
    const current = writers.slice();
    const results = await Promise.all(
      current.map((w) => settle(byId.get(w.id)!.write(si, w.s, offsetFor, bytesFor(w.s)))),
    );
    for (let i = 0; i < current.length; i++) {
      const r = results[i]!;
      if (!r.ok) await dropWriter(current[i]!, r.error);
    }
  };
  const header = encoder.header();
  await writeAll(() => header, 0);
  let sent = 0;
  // Up to PIPELINE segments' writes in flight while the next one is read and encoded: a segment's round
  // trip (and each server's durable write) overlaps the others instead of adding to them.
  const inFlight: Promise<void>[] = [];
  let failed: { error: unknown } | undefined;
  for (let i = 0; i < seg.numSegments && !failed; i++) {
    const length = encoder.segmentLength(i);
    const blocks = await encoder.encodeSegment(await readSegment(data, i * seg.segmentSize, length));
    const written = writeAll((s) => blocks[s]!, encoder.blockOffset(i)).then(() => {
      sent += length;
      report({ phase: 'sending', bytesSent: sent, size });
    });
    inFlight.push(written.catch((error: unknown) => void (failed ??= { error })));
    if (inFlight.length >= PIPELINE) await inFlight.shift();
  }
  await Promise.all(inFlight);
  if (failed) throw failed.error;
  const { uebHash, trailers } = await encoder.finish();
  await writeAll((s) => trailers[s]!, encoder.layout.plaintextHashTree);
  report({ phase: 'closing', bytesSent: sent, size });
  const closing = writers.slice();
  const closed = await Promise.all(closing.map((w) => settle(byId.get(w.id)!.close(si, w.s))));
  for (let i = 0; i < closing.length; i++)
    if (!closed[i]!.ok) await dropWriter(closing[i]!, (closed[i] as { error: unknown }).error);
  const servers = new Map<string, number[]>();
  const record = (id: string, s: number): void =>
    void servers.set(
      id,
      [...(servers.get(id) ?? []), s].sort((a, b) => a - b),
    );
  for (const [s, id] of held) record(id, s);
  for (const w of writers) record(w.id, w.s);
  report({ phase: 'done', bytesSent: sent, size });
  const common = { uebHash, k, n, size };
  return {
    cap: formatCap({ kind: 'chk', key, ...common }),
    verifyCap: formatCap({ kind: 'chk-verifier', storageIndex: si, ...common }),
    size,
    k,
    n,
    happy,
    servers,
  };
}
