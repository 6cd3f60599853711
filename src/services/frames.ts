/**
 * Frames of a service channel: how one request or response travels as data-channel messages.
 *
 * A message (request or response payload) of any length up to `maxMessageBytes` is cut into frames of at
 * most `MAX_FRAME_BYTES` (64 KiB), because one large SCTP message blocks every other stream of the
 * association until it is sent (no message interleaving in Chromium), and 64 KiB is what every browser
 * accepts. A frame is
 *
 *     kind u8 · flags u8 · id varint · payload…
 *
 * - `kind` is `REQUEST` (1) or `RESPONSE` (2); request ids in the two directions are independent, so one
 *   channel carries both sides' requests.
 * - `flags` bit 0 (`MORE`) says another frame of the same message follows; every other bit must be zero.
 * - `id` is the request id (canonical varint, below 2^32), chosen by the requester.
 *
 * The data channel is ordered and reliable, so the frames of one message arrive in order, but frames of
 * different messages may interleave. The assembler keeps at most `maxPartial` messages under reassembly
 * (a new one evicts the oldest) and at most `maxMessageBytes` in each; anything else is dropped with a
 * named reason, never thrown: bytes from a peer are untrusted.
 */
import { Writer } from '../core/codec.ts';

export const MAX_FRAME_BYTES = 64 * 1024;
/** kind + flags + a varint id below 2^32 (5 bytes). */
export const MAX_HEADER_BYTES = 7;
export const MAX_CHUNK_BYTES = MAX_FRAME_BYTES - MAX_HEADER_BYTES;
export const MAX_ID = 2 ** 32 - 1;

export const REQUEST = 1;
export const RESPONSE = 2;
export type FrameKind = typeof REQUEST | typeof RESPONSE;

const MORE = 1;

export interface Frame {
  kind: FrameKind;
  id: number;
  more: boolean;
  chunk: Uint8Array;
}

export type FrameDrop =
  | 'not-binary'
  | 'oversized-frame'
  | 'bad-header'
  | 'unknown-kind'
  | 'bad-flags'
  | 'empty-continuation'
  | 'message-too-large'
  | 'discarded-continuation'
  | 'too-many-partial';

export class FrameError extends Error {
  override name = 'FrameError';
}

/** Cuts one message into frames; throws `FrameError` for a programmer's oversized message or bad id. */
export function encodeFrames(
  kind: FrameKind,
  id: number,
  payload: Uint8Array,
  maxMessageBytes: number,
): Uint8Array<ArrayBuffer>[] {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new FrameError(`bad request id ${id}`);
  if (payload.length > maxMessageBytes) {
    throw new FrameError(`message of ${payload.length} bytes exceeds ${maxMessageBytes}`);
  }
  const frames: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  do {
    const end = Math.min(payload.length, offset + MAX_CHUNK_BYTES);
    const more = end < payload.length;
    const w = new Writer()
      .u8(kind)
      .u8(more ? MORE : 0)
      .varint(id)
      .raw(payload.subarray(offset, end));
    frames.push(w.finish() as Uint8Array<ArrayBuffer>);
    offset = end;
  } while (offset < payload.length);
  return frames;
}

/** Parses one frame; a reason when it is not one. */
export function decodeFrame(
  bytes: Uint8Array,
): { ok: true; frame: Frame } | { ok: false; reason: FrameDrop } {
  if (bytes.length > MAX_FRAME_BYTES) return { ok: false, reason: 'oversized-frame' };
  if (bytes.length < 3) return { ok: false, reason: 'bad-header' };
  const kind = bytes[0]!;
  const flags = bytes[1]!;
  if (kind !== REQUEST && kind !== RESPONSE) return { ok: false, reason: 'unknown-kind' };
  if ((flags & ~MORE) !== 0) return { ok: false, reason: 'bad-flags' };
  // The id: an unsigned LEB128 varint in its shortest form, at most 5 bytes and below 2^32 (codec.ts rules).
  let id = 0;
  let at = 2;
  for (let scale = 1; ; scale *= 0x80) {
    const byte = bytes[at];
    if (byte === undefined || at - 2 >= 5) return { ok: false, reason: 'bad-header' };
    at++;
    id += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (byte === 0 && at > 3) return { ok: false, reason: 'bad-header' };
      break;
    }
  }
  if (id > MAX_ID) return { ok: false, reason: 'bad-header' };
  const more = (flags & MORE) !== 0;
  const chunk = bytes.subarray(at);
  // A continuation frame that carries nothing would let a peer hold a reassembly open for free.
  if (more && chunk.length === 0) return { ok: false, reason: 'empty-continuation' };
  return { ok: true, frame: { kind, id, more, chunk } };
}

/**
 * Reassembles frames into messages with bounds. `push` returns the whole message when its last frame
 * arrives, `undefined` while it is incomplete, or a drop reason (the partial message is then discarded).
 */
export class Assembler {
  private readonly partial = new Map<string, { parts: Uint8Array[]; bytes: number; discarding?: true }>();

  constructor(
    private readonly maxMessageBytes: number,
    private readonly maxPartial: number,
  ) {}

  get pending(): number {
    return this.partial.size;
  }

  push(frame: Frame): { message: Uint8Array } | { drop: FrameDrop; evicted?: true } | undefined {
    const key = `${frame.kind}:${frame.id}`;
    const open = this.partial.get(key);
    if (open === undefined && !frame.more) {
      if (frame.chunk.length > this.maxMessageBytes) return { drop: 'message-too-large' };
      return { message: frame.chunk.slice() };
    }
    const entry = open ?? { parts: [], bytes: 0 };
    let evicted = false;
    if (open === undefined) {
      // Full: the oldest partial message goes, so abandoned ones (a sender's bug, or garbage) can never
      // keep later messages out and stall the channel.
      if (this.partial.size >= this.maxPartial) {
        this.partial.delete(this.partial.keys().next().value!);
        evicted = true;
      }
      this.partial.set(key, entry);
    }
    if (entry.discarding) {
      if (!frame.more) this.partial.delete(key);
      return { drop: 'discarded-continuation' };
    }
    entry.bytes += frame.chunk.length;
    if (entry.bytes > this.maxMessageBytes) {
      // The rest of this message is still on its way: skip it to its last frame, so it cannot pass
      // for a message of its own.
      if (frame.more) this.partial.set(key, { parts: [], bytes: 0, discarding: true });
      else this.partial.delete(key);
      return { drop: 'message-too-large' };
    }
    entry.parts.push(frame.chunk.slice());
    if (frame.more) return evicted ? { drop: 'too-many-partial', evicted: true } : undefined;
    this.partial.delete(key);
    const message = new Uint8Array(entry.bytes);
    let at = 0;
    for (const part of entry.parts) {
      message.set(part, at);
      at += part.length;
    }
    return { message };
  }

  /** Forgets a partial message (its request timed out or was answered). */
  forget(kind: FrameKind, id: number): void {
    this.partial.delete(`${kind}:${id}`);
  }

  clear(): void {
    this.partial.clear();
  }
}
