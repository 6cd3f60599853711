/**
 * Gossip messages exchanged over one link (PROTOCOL.md §4). Every message is one byte string:
 *
 *   message  = type:u8 · payload
 *   SUMMARY  (1) count:varint · fingerprint:16         "this is what I know, in brief"
 *   DIGEST   (2) refs                                   "this is exactly what I know"
 *   IHAVE    (3) refs                                   "I have these new announcements"
 *   IWANT    (4) refs                                   "send me these"
 *   ANNOUNCE (5) count:varint · (envelope:bytes)*       signed envelopes, forwarded byte for byte
 *   refs     = count:varint · (tag:8 · seqnum:varint · hash:4)*
 *
 * A ref names one announcement without carrying it: the origin's tag (first 8 key bytes), its seqnum, and
 * the first 4 bytes of the SHA-256 of its envelope, which is enough to tell two equal-seqnum versions apart.
 */
import { DecodeError, type Decoded, type Reader, Writer, decode } from './codec.ts';
import { TAG_BYTES, type Tag, tagOf, writeTag } from './identity.ts';

export const enum MessageType {
  Summary = 1,
  Digest = 2,
  IHave = 3,
  IWant = 4,
  Announce = 5,
}

export const FINGERPRINT_BYTES = 16;
/** Smallest possible encoded ref: tag, a one-byte seqnum, hash. Bounds counts before any allocation. */
const MIN_REF_BYTES = TAG_BYTES + 1 + 4;

export interface Ref {
  readonly tag: Tag;
  readonly seqnum: number;
  /** First 4 bytes of the envelope's SHA-256, big-endian. */
  readonly hash32: number;
}

export type Message =
  | { readonly type: MessageType.Summary; readonly count: number; readonly fingerprint: Uint8Array }
  | {
      readonly type: MessageType.Digest | MessageType.IHave | MessageType.IWant;
      readonly refs: readonly Ref[];
    }
  | { readonly type: MessageType.Announce; readonly envelopes: readonly Uint8Array[] };

const TAG_SCRATCH = new Uint8Array(TAG_BYTES);

function writeRef(w: Writer, ref: Ref): void {
  writeTag(ref.tag, TAG_SCRATCH);
  w.raw(TAG_SCRATCH).varint(ref.seqnum).u32be(ref.hash32);
}

function readRefs(r: Reader): Ref[] {
  const count = r.varint();
  if (count * MIN_REF_BYTES > r.remaining) throw new DecodeError('count-exceeds-message');
  const refs: Ref[] = [];
  for (let i = 0; i < count; i++) {
    const tag = tagOf(r.raw(TAG_BYTES));
    const seqnum = r.varint();
    const h = r.raw(4);
    refs.push({ tag, seqnum, hash32: ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0 });
  }
  return refs;
}

export function encodeSummary(count: number, fingerprint: Uint8Array): Uint8Array {
  return new Writer().u8(MessageType.Summary).varint(count).raw(fingerprint).finish();
}

/** Encodes refs into as many messages as `maxBytes` requires (a digest of a large grid may not fit one). */
export function encodeRefs(
  type: MessageType.Digest | MessageType.IHave | MessageType.IWant,
  refs: readonly Ref[],
  maxBytes: number,
): Uint8Array[] {
  const perMessage = Math.max(1, Math.floor((maxBytes - 16) / (TAG_BYTES + 8 + 4)));
  const out: Uint8Array[] = [];
  for (
    let start = 0;
    start < refs.length || (start === 0 && type === MessageType.Digest);
    start += perMessage
  ) {
    const part = refs.slice(start, start + perMessage);
    const w = new Writer().u8(type).varint(part.length);
    for (const ref of part) writeRef(w, ref);
    out.push(w.finish());
    if (refs.length === 0) break;
  }
  return out;
}

/** Packs envelopes into ANNOUNCE messages of at most `maxBytes` each (one envelope always fits). */
export function encodeAnnounce(envelopes: readonly Uint8Array[], maxBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let batch: Uint8Array[] = [];
  let size = 8;
  const flush = () => {
    if (batch.length === 0) return;
    const w = new Writer().u8(MessageType.Announce).varint(batch.length);
    for (const envelope of batch) w.bytes(envelope);
    out.push(w.finish());
    batch = [];
    size = 8;
  };
  for (const envelope of envelopes) {
    const cost = envelope.length + 4;
    if (size + cost > maxBytes) flush();
    batch.push(envelope);
    size += cost;
  }
  flush();
  return out;
}

export function decodeMessage(bytes: Uint8Array, maxEnvelopeBytes: number): Decoded<Message> {
  return decode<Message>(bytes, (r) => {
    const type = r.u8();
    switch (type) {
      case MessageType.Summary:
        return { type, count: r.varint(), fingerprint: r.raw(FINGERPRINT_BYTES) };
      case MessageType.Digest:
      case MessageType.IHave:
      case MessageType.IWant:
        return { type, refs: readRefs(r) };
      case MessageType.Announce: {
        const count = r.varint();
        if (count * 2 > r.remaining) throw new DecodeError('count-exceeds-message');
        const envelopes: Uint8Array[] = [];
        for (let i = 0; i < count; i++) envelopes.push(r.bytes(maxEnvelopeBytes));
        return { type, envelopes };
      }
      default:
        throw new DecodeError('unknown-message-type');
    }
  });
}
