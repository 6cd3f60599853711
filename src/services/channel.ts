/**
 * A service channel: request and response with ids over one data channel of a link, both directions at
 * once (each side may call the other). Framing and reassembly are in frames.ts; this is the adapter that
 * owns the channel, the timers and the bounds.
 *
 * Rules:
 * - A response payload is `0 · body` (ok) or `1 · code string · message string` (a `StorageError`); an
 *   unknown code reads as 'bad-request'.
 * - Backpressure: frames are handed to the data channel only while its `bufferedAmount` is below
 *   `highWaterBytes`; the rest wait in order for `bufferedamountlow`, fired at `lowWaterBytes`. So at most
 *   about `highWaterBytes` sit in the browser's SCTP buffer, and `send()` never meets its ~16 MiB wall.
 *   The defaults (128 KiB / 32 KiB) are below the ~1 MiB / 256 KiB first planned because Chromium does not
 *   let another stream of the association pass what this one has buffered: measured here (two peer
 *   connections in one page, an 8 MiB share into IndexedDB), small messages on the link's own channel
 *   took a median 390 ms with 1 MiB buffered, 92 ms with 256 KiB, 38 ms with 128 KiB and 29 ms with
 *   64 KiB, and the share went no slower (faster, in fact) with the smaller buffers.
 * - Bounds: at most `maxOutstanding` requests of ours in flight (more reject at once with 'busy'); at most
 *   `maxIncoming` of the peer's handled at once (more are answered 'busy' without any work); every
 *   message is at most `maxMessageBytes`; a request not answered by its deadline rejects with 'timeout'.
 *   The queue of frames is thereby bounded by (maxOutstanding + maxIncoming) × maxMessageBytes.
 * - Untrusted input: a frame that does not parse, a message over the bound, a response nobody waits for
 *   are dropped and counted by reason (`stats().dropped`), never thrown; the channel goes on.
 * - Closing (either side, or the link) rejects every outstanding request with 'closed'.
 */
import { Reader, Writer, decode } from '../core/codec.ts';
import { Assembler, type FrameDrop, REQUEST, RESPONSE, decodeFrame, encodeFrames } from './frames.ts';
import { type DataChannelLike, StorageError, type StorageErrorCode } from './types.ts';

export type Reply = { ok: true; body: Uint8Array } | { ok: false; code: StorageErrorCode; message: string };

/** Answers one request of the peer. May reject only with a `StorageError`; anything else is a bug. */
export type Handler = (payload: Uint8Array) => Promise<Reply>;

export interface ChannelOptions {
  /** Largest request or response, in bytes. Default 1 MiB + 4 KiB: a 1 MiB write and its header. */
  maxMessageBytes?: number;
  /** Our requests in flight at once. Default 32. */
  maxOutstanding?: number;
  /** The peer's requests handled at once. Default 16. */
  maxIncoming?: number;
  /** Stop handing frames to the data channel above this. Default 128 KiB (see the rules above). */
  highWaterBytes?: number;
  /** Resume below this (`bufferedAmountLowThreshold`). Default 32 KiB. */
  lowWaterBytes?: number;
  /** Default deadline of a request. Default 30 s. */
  deadlineMs?: number;
  /** Counters for the host's `stats()`. */
  count?: (counter: string, by?: number) => void;
}

export type ChannelDrop = FrameDrop | 'unknown-response' | 'bad-response' | 'handler-error';

export interface ChannelStats {
  sentFrames: number;
  receivedFrames: number;
  queuedFrames: number;
  outstanding: number;
  incoming: number;
  busyRefused: number;
  timeouts: number;
  dropped: Partial<Record<ChannelDrop, number>>;
}

const STATUS_OK = 0;
const STATUS_ERROR = 1;
const MAX_ERROR_TEXT = 512;
const CODES: readonly StorageErrorCode[] = [
  'denied',
  'quota',
  'full',
  'conflict',
  'not-found',
  'too-large',
  'timeout',
  'closed',
  'bad-request',
  'busy',
];

export function encodeReply(reply: Reply): Uint8Array {
  if (reply.ok) return new Writer().u8(STATUS_OK).raw(reply.body).finish();
  return new Writer().u8(STATUS_ERROR).string(reply.code).string(reply.message.slice(0, 200)).finish();
}

export function decodeReply(bytes: Uint8Array): Reply | undefined {
  if (bytes[0] === STATUS_OK) return { ok: true, body: bytes.subarray(1) };
  const result = decode(bytes, (r: Reader) => {
    if (r.u8() !== STATUS_ERROR) throw new Error('unreachable');
    const code = r.string(MAX_ERROR_TEXT);
    const message = r.string(MAX_ERROR_TEXT);
    return { code, message };
  });
  if (!result.ok) return undefined;
  const code = (CODES as readonly string[]).includes(result.value.code)
    ? (result.value.code as StorageErrorCode)
    : 'bad-request';
  return { ok: false, code, message: result.value.message };
}

interface Outstanding {
  resolve(body: Uint8Array): void;
  reject(error: StorageError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class ServiceChannel {
  private readonly maxMessageBytes: number;
  private readonly maxOutstanding: number;
  private readonly maxIncoming: number;
  private readonly highWaterBytes: number;
  private readonly deadlineMs: number;
  private readonly countFn: (counter: string, by?: number) => void;
  private readonly assembler: Assembler;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly queue: Uint8Array<ArrayBuffer>[] = [];
  private nextId = 0;
  private incoming = 0;
  private closed = false;
  private readonly counts: Omit<ChannelStats, 'queuedFrames' | 'outstanding' | 'incoming'> = {
    sentFrames: 0,
    receivedFrames: 0,
    busyRefused: 0,
    timeouts: 0,
    dropped: {},
  };
  private readonly unlisten: () => void;

  constructor(
    private readonly channel: DataChannelLike,
    private readonly handler: Handler | undefined,
    options: ChannelOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024 + 4096;
    this.maxOutstanding = options.maxOutstanding ?? 32;
    this.maxIncoming = options.maxIncoming ?? 16;
    this.highWaterBytes = options.highWaterBytes ?? 128 * 1024;
    this.deadlineMs = options.deadlineMs ?? 30_000;
    this.countFn = options.count ?? (() => undefined);
    // One partial message per request that may be in flight either way, and no more.
    this.assembler = new Assembler(this.maxMessageBytes, this.maxOutstanding + this.maxIncoming);
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = options.lowWaterBytes ?? 32 * 1024;
    const onMessage = (event: { data: unknown }) => this.onMessage(event.data);
    const pump = () => this.pump();
    const onClose = () => this.close();
    channel.addEventListener('message', onMessage);
    channel.addEventListener('open', pump);
    channel.addEventListener('bufferedamountlow', pump);
    channel.addEventListener('close', onClose);
    this.unlisten = () => {
      channel.removeEventListener('message', onMessage);
      channel.removeEventListener('open', pump);
      channel.removeEventListener('bufferedamountlow', pump);
      channel.removeEventListener('close', onClose);
    };
    if (channel.readyState === 'closed' || channel.readyState === 'closing') this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one request and resolves with the response body, or rejects with a `StorageError`. */
  request(payload: Uint8Array, deadlineMs = this.deadlineMs): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new StorageError('closed', 'the channel is closed'));
    if (this.outstanding.size >= this.maxOutstanding) {
      return Promise.reject(new StorageError('busy', `${this.maxOutstanding} requests already in flight`));
    }
    // Programmer error: a caller must split what does not fit (encodeFrames throws FrameError).
    const id = this.freeId();
    const frames = encodeFrames(REQUEST, id, payload, this.maxMessageBytes);
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.outstanding.get(id)?.timer !== timer) return;
        this.outstanding.delete(id);
        this.assembler.forget(RESPONSE, id);
        this.counts.timeouts++;
        this.countFn('channel.timeout');
        reject(new StorageError('timeout', `no response within ${deadlineMs} ms`));
      }, deadlineMs);
      this.outstanding.set(id, { resolve, reject, timer });
      this.enqueue(frames);
    });
  }

  stats(): ChannelStats {
    return {
      ...this.counts,
      dropped: { ...this.counts.dropped },
      queuedFrames: this.queue.length,
      outstanding: this.outstanding.size,
      incoming: this.incoming,
    };
  }

  /** Closes the data channel and rejects everything outstanding with 'closed'. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unlisten();
    this.queue.length = 0;
    this.assembler.clear();
    for (const [id, entry] of this.outstanding) {
      clearTimeout(entry.timer);
      this.outstanding.delete(id);
      entry.reject(new StorageError('closed', 'the channel closed'));
    }
    if (this.channel.readyState !== 'closed') this.channel.close();
  }

  private freeId(): number {
    // Ids wrap below 2^32; the bound on outstanding requests keeps a free one close.
    while (this.outstanding.has(this.nextId)) this.nextId = (this.nextId + 1) >>> 0;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    return id;
  }

  private enqueue(frames: Uint8Array<ArrayBuffer>[]): void {
    for (const frame of frames) this.queue.push(frame);
    this.pump();
  }

  private pump(): void {
    if (this.closed || this.channel.readyState !== 'open') return;
    while (this.queue.length > 0 && this.channel.bufferedAmount < this.highWaterBytes) {
      const frame = this.queue.shift()!;
      try {
        this.channel.send(frame);
      } catch {
        // The channel closed under us (its close event follows); nothing queued can be delivered.
        this.close();
        return;
      }
      this.counts.sentFrames++;
    }
  }

  private drop(reason: ChannelDrop): void {
    this.counts.dropped[reason] = (this.counts.dropped[reason] ?? 0) + 1;
    this.countFn(`channel.drop.${reason}`);
  }

  private onMessage(data: unknown): void {
    if (this.closed) return;
    this.counts.receivedFrames++;
    const bytes =
      data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : undefined;
    if (bytes === undefined) return this.drop('not-binary');
    const parsed = decodeFrame(bytes);
    if (!parsed.ok) return this.drop(parsed.reason);
    const { frame } = parsed;
    // A response nobody waits for is dropped before it takes reassembly room.
    if (frame.kind === RESPONSE && !this.outstanding.has(frame.id)) return this.drop('unknown-response');
    const done = this.assembler.push(frame);
    if (done === undefined) return;
    if ('drop' in done) {
      this.drop(done.drop);
      if (done.evicted) return;
      // A response we cannot take will never come whole: fail its request now rather than at the deadline.
      if (frame.kind === RESPONSE)
        this.settle(frame.id, { ok: false, code: 'too-large', message: done.drop });
      return;
    }
    if (frame.kind === RESPONSE) {
      const reply = decodeReply(done.message);
      if (reply === undefined) {
        this.drop('bad-response');
        return this.settle(frame.id, { ok: false, code: 'bad-request', message: 'malformed response' });
      }
      return this.settle(frame.id, reply);
    }
    this.onRequest(frame.id, done.message);
  }

  private settle(id: number, reply: Reply): void {
    const entry = this.outstanding.get(id);
    if (entry === undefined) return;
    this.outstanding.delete(id);
    clearTimeout(entry.timer);
    if (reply.ok) entry.resolve(reply.body);
    else entry.reject(new StorageError(reply.code, reply.message));
  }

  private onRequest(id: number, payload: Uint8Array): void {
    const answer = (reply: Reply) => {
      if (!this.closed) this.enqueue(encodeFrames(RESPONSE, id, encodeReply(reply), this.maxMessageBytes));
    };
    if (this.handler === undefined) return answer({ ok: false, code: 'bad-request', message: 'no service' });
    if (this.incoming >= this.maxIncoming) {
      this.counts.busyRefused++;
      this.countFn('channel.busy');
      return answer({ ok: false, code: 'busy', message: `${this.maxIncoming} requests already in hand` });
    }
    this.incoming++;
    this.handler(payload)
      .catch((error: unknown): Reply => {
        if (error instanceof StorageError) return { ok: false, code: error.code, message: error.message };
        // A bug in the service: counted and answered, so the peer is not left waiting for its deadline.
        this.drop('handler-error');
        return { ok: false, code: 'bad-request', message: 'internal error' };
      })
      .then((reply) => {
        this.incoming--;
        if (!reply.ok || reply.body.length + 1 <= this.maxMessageBytes) return answer(reply);
        answer({ ok: false, code: 'too-large', message: 'response too large' });
      });
  }
}
