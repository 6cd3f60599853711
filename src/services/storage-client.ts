/**
 * One storage server as a client sees it: `StorageRemote` over the service channel of one link.
 *
 * A write or read larger than one request's `MAX_TRANSFER_BYTES` (1 MiB) is split into consecutive
 * requests, at most `window` in flight, so a large share streams without waiting a round trip per
 * mebibyte and without filling the channel's bound on requests in flight. A malformed answer rejects
 * with 'bad-request'; every rejection is a `StorageError`.
 */
import type { NodeId } from '../core/identity.ts';
import {
  MAX_TRANSFER_BYTES,
  Op,
  decodeAllocated,
  decodeShares,
  decodeVersion,
  encodeRequest,
} from './storage-messages.ts';
import type { StorageRequest } from './storage-messages.ts';
import { type AllocateResult, StorageError, type StorageRemote, type StorageVersion } from './types.ts';

/** Sends one request and resolves with the response body, or rejects with a `StorageError`. */
export interface Requester {
  request(payload: Uint8Array): Promise<Uint8Array>;
}

export class StorageClient implements StorageRemote {
  constructor(
    readonly id: NodeId,
    private readonly channel: Requester,
    private readonly window = 4,
  ) {}

  async version(): Promise<StorageVersion> {
    return this.parse(await this.call({ op: Op.Version }), decodeVersion);
  }

  async allocate(
    storageIndex: Uint8Array,
    shares: readonly number[],
    shareSize: number,
    uploadSecret: Uint8Array,
  ): Promise<AllocateResult> {
    const body = await this.call({
      op: Op.Allocate,
      si: storageIndex,
      shares: [...shares],
      size: shareSize,
      secret: uploadSecret,
    });
    return this.parse(body, decodeAllocated);
  }

  async write(storageIndex: Uint8Array, share: number, offset: number, bytes: Uint8Array): Promise<void> {
    const parts: { offset: number; bytes: Uint8Array }[] = [];
    for (let at = 0; at < bytes.length || (at === 0 && parts.length === 0); at += MAX_TRANSFER_BYTES) {
      parts.push({ offset: offset + at, bytes: bytes.subarray(at, at + MAX_TRANSFER_BYTES) });
    }
    await this.windowed(parts, (p) =>
      this.call({ op: Op.Write, si: storageIndex, share, offset: p.offset, bytes: p.bytes }),
    );
  }

  async close(storageIndex: Uint8Array, share: number): Promise<void> {
    await this.call({ op: Op.Close, si: storageIndex, share });
  }

  async abort(storageIndex: Uint8Array, share: number): Promise<void> {
    await this.call({ op: Op.Abort, si: storageIndex, share });
  }

  async list(storageIndex: Uint8Array): Promise<number[]> {
    return this.parse(await this.call({ op: Op.List, si: storageIndex }), decodeShares);
  }

  async read(storageIndex: Uint8Array, share: number, offset: number, length: number): Promise<Uint8Array> {
    const parts: { offset: number; length: number }[] = [];
    for (let at = 0; at < length || parts.length === 0; at += MAX_TRANSFER_BYTES) {
      parts.push({ offset: offset + at, length: Math.min(MAX_TRANSFER_BYTES, length - at) });
    }
    const bodies = await this.windowed(parts, (p) =>
      this.call({ op: Op.Read, si: storageIndex, share, offset: p.offset, length: p.length }),
    );
    // A short part is the share's end: what follows it is not there either.
    const out = new Uint8Array(bodies.reduce((sum, b) => sum + b.length, 0));
    let at = 0;
    for (const [i, body] of bodies.entries()) {
      out.set(body, at);
      at += body.length;
      if (body.length < parts[i]!.length) return out.slice(0, at);
    }
    return out;
  }

  async addLease(storageIndex: Uint8Array): Promise<void> {
    await this.call({ op: Op.AddLease, si: storageIndex });
  }

  async cancelLease(storageIndex: Uint8Array): Promise<void> {
    await this.call({ op: Op.CancelLease, si: storageIndex });
  }

  async adviseCorrupt(storageIndex: Uint8Array, share: number, reason: string): Promise<void> {
    await this.call({ op: Op.AdviseCorrupt, si: storageIndex, share, reason });
  }

  private call(req: StorageRequest): Promise<Uint8Array> {
    let payload: Uint8Array;
    try {
      payload = encodeRequest(req);
    } catch (error) {
      // An argument the protocol cannot carry (a bad storage index, share number or secret).
      return Promise.reject(new StorageError('bad-request', (error as Error).message));
    }
    return this.channel.request(payload);
  }

  private parse<T>(
    body: Uint8Array,
    read: (b: Uint8Array) => { ok: true; value: T } | { ok: false; reason: string },
  ): T {
    const result = read(body);
    if (!result.ok) throw new StorageError('bad-request', `malformed answer: ${result.reason}`);
    return result.value;
  }

  /** Runs `task` over `items` in order with at most `window` at once; rejects on the first failure. */
  private async windowed<I, O>(items: I[], task: (item: I) => Promise<O>): Promise<O[]> {
    const results: O[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.window, items.length) }, worker));
    return results;
  }
}
