/**
 * The canonical binary codec under every signed or gossiped byte string.
 *
 * Canonical means one byte string per meaning, so that a signature over bytes is a signature over a meaning
 * and two honest encoders never disagree:
 * - integers are unsigned LEB128 varints in their shortest form, at most 2^53 - 1;
 * - strings are UTF-8, length-prefixed, valid, and in Unicode NFC;
 * - maps are written with keys in strictly ascending byte order, so duplicates cannot be expressed;
 * - a decoder rejects anything else, and rejects trailing bytes.
 *
 * The `Reader` never throws to its caller's caller: a failed read raises `DecodeError`, which the one
 * `decode()` entry point turns into a `{ ok: false, reason }` result. Peer bytes therefore cannot crash a
 * node, and every rejection carries a name that is counted.
 */
import { utf8, utf8Decode } from './bytes.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

export class DecodeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DecodeError';
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * One scratch buffer shared by every Writer: encoding is synchronous and never interleaved, and typed
 * arrays above 64 bytes live off the V8 heap, where allocating and collecting them costs far more than
 * the copy `finish()` makes. A writer that outgrows the scratch buffer moves to its own.
 */
let scratch = new Uint8Array(64 * 1024);
let scratchInUse = false;

/** Where `finishShared` puts results of at most `MAX_SHARED_BYTES`; a full slab is left to the GC. */
const SLAB_BYTES = 64 * 1024;
const MAX_SHARED_BYTES = 4 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

export class Writer {
  private buf: Uint8Array;
  private pos = 0;
  private readonly ownsScratch: boolean;

  constructor() {
    this.ownsScratch = !scratchInUse;
    if (this.ownsScratch) scratchInUse = true;
    this.buf = this.ownsScratch ? scratch : new Uint8Array(256);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    if (this.ownsScratch && this.buf === scratch) scratch = next;
    this.buf = next;
  }

  u8(value: number): this {
    this.ensure(1);
    this.buf[this.pos++] = value & 0xff;
    return this;
  }

  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
    this.ensure(8);
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.pos++] = value;
    return this;
  }

  u32be(value: number): this {
    this.ensure(4);
    const b = this.buf;
    b[this.pos++] = value >>> 24;
    b[this.pos++] = value >>> 16;
    b[this.pos++] = value >>> 8;
    b[this.pos++] = value;
    return this;
  }

  /** Fixed-length bytes: the length is part of the format, not of the data. */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  bytes(bytes: Uint8Array): this {
    return this.varint(bytes.length).raw(bytes);
  }

  string(text: string): this {
    return this.bytes(utf8(text.normalize('NFC')));
  }

  /** The bytes written; the writer must not be used afterwards. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    if (this.ownsScratch) scratchInUse = false;
    return out;
  }

  /**
   * As `finish`, but small results are views into a shared slab instead of buffers of their own: for
   * messages that are sent and dropped (gossip, messages.ts), where a buffer per message was the largest
   * single cost of a big simulation. The view's `buffer` is the whole slab, so its bytes must never be
   * stored, structured-cloned or read through `buffer`; the slab is never written again once handed out.
   */
  finishShared(): Uint8Array {
    const length = this.pos;
    if (length > MAX_SHARED_BYTES) return this.finish();
    if (slabUsed + length > SLAB_BYTES) {
      slab = new Uint8Array(SLAB_BYTES);
      slabUsed = 0;
    }
    const out = slab.subarray(slabUsed, slabUsed + length);
    out.set(this.buf.subarray(0, length));
    slabUsed += length;
    if (this.ownsScratch) scratchInUse = false;
    return out;
  }
}

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  u8(): number {
    if (this.pos >= this.buf.length) throw new DecodeError('truncated');
    return this.buf[this.pos++]!;
  }

  varint(max = MAX_SAFE): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (i >= 8) throw new DecodeError('varint-too-long');
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        // A zero final byte after the first means the same value had a shorter spelling.
        if (byte === 0 && i > 0) throw new DecodeError('non-canonical-varint');
        break;
      }
      scale *= 0x80;
    }
    if (value > max) throw new DecodeError('integer-too-large');
    return value;
  }

  /** The bytes being read, for a caller that reads a field in place (see `skip`). */
  get source(): Uint8Array {
    return this.buf;
  }

  /** Passes over `length` bytes and returns where they start in `source`: a field read without a view. */
  skip(length: number): number {
    if (length > this.remaining) throw new DecodeError('truncated');
    const at = this.pos;
    this.pos += length;
    return at;
  }

  u32be(): number {
    const at = this.skip(4);
    const b = this.buf;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  raw(length: number): Uint8Array {
    if (length > this.remaining) throw new DecodeError('truncated');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  bytes(maxLength: number): Uint8Array {
    return this.raw(this.varint(maxLength));
  }

  string(maxBytes: number): string {
    const text = utf8Decode(this.bytes(maxBytes));
    if (text === undefined) throw new DecodeError('invalid-utf8');
    if (text.normalize('NFC') !== text) throw new DecodeError('non-nfc-string');
    return text;
  }

  end(): void {
    if (this.remaining !== 0) throw new DecodeError('trailing-bytes');
  }
}

/** Runs a reader function over untrusted bytes; the only place where a `DecodeError` is caught. */
export function decode<T>(bytes: Uint8Array, read: (reader: Reader) => T): Decoded<T> {
  try {
    const reader = new Reader(bytes);
    const value = read(reader);
    reader.end();
    return { ok: true, value };
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, reason: error.reason };
    throw error;
  }
}
