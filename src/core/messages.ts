/**
 * Gossip messages exchanged over one link (PROTOCOL.md §4). Every message is one byte string:
 *
 *   message  = type:u8 · payload
 *   SUMMARY  (1) count:varint · fingerprint:16         "this is what I know, in brief"
 *   DIGEST   (2) refs                                   "this is exactly what I know"
 *   IHAVE    (3) refs                                   "I have these new announcements"
 *   IWANT    (4) refs                                   "send me these"
 *   ANNOUNCE (5) count:varint · (envelope:bytes)*       signed envelopes, forwarded byte for byte
 *   PRUNE    (9) count:varint · tag:8*                  "stop pushing these origins to me" (§5)
 *   GRAFT   (10) refs                                   "send me these, and push their origins again"
 *   PUSH    (11) count:varint · (envelope:bytes)*       as ANNOUNCE, sent unasked along a tree
 *   BUCKETS (12) bits:u8 · fingerprint:8 * 2^bits       "this is what I know, per bucket" (§5)
 *   SUBDIGEST (13) bits:u8 · count:varint · bucket:u8* · refs   "exactly what I know in these buckets"
 *   refs     = count:varint · (tag:8 · seqnum:varint · hash:4)*
 *
 * A ref names one announcement without carrying it: the origin's tag (first 8 key bytes), its seqnum, and
 * the first 4 bytes of the SHA-256 of its envelope, which is enough to tell two equal-seqnum versions apart.
 *
 * Encoded messages up to 4 KiB are views into a shared slab (codec.ts `finishShared`): they are to be sent
 * (a link copies them into its frame) and dropped, never stored or read through their `buffer`.
 */
import { DecodeError, type Decoded, type Reader, Writer, decode } from './codec.ts';
import { TAG_BYTES, type Tag, tagOf, writeTag } from './identity.ts';

export const enum MessageType {
  Summary = 1,
  Digest = 2,
  IHave = 3,
  IWant = 4,
  Announce = 5,
  // 6–8 are the revocation set's (revocation-sync.ts): one link carries both.
  Prune = 9,
  Graft = 10,
  Push = 11,
  Buckets = 12,
  Subdigest = 13,
}

/** Most bucket bits (256 buckets: an origin's bucket is its tag's first byte at most). */
export const MAX_BUCKET_BITS = 8;
/** Bytes of one bucket's fingerprint in BUCKETS. */
export const BUCKET_FINGERPRINT_BYTES = 8;

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
      readonly type: MessageType.Digest | MessageType.IHave | MessageType.IWant | MessageType.Graft;
      readonly refs: readonly Ref[];
    }
  | { readonly type: MessageType.Prune; readonly tags: readonly Tag[] }
  | {
      readonly type: MessageType.Announce | MessageType.Push;
      readonly envelopes: readonly Uint8Array[];
    }
  | {
      readonly type: MessageType.Buckets;
      readonly bits: number;
      /** 2^bits fingerprints of `BUCKET_FINGERPRINT_BYTES` each, bucket 0 first. */
      readonly fingerprints: Uint8Array;
    }
  | {
      readonly type: MessageType.Subdigest;
      readonly bits: number;
      /** The buckets this digest covers, each below 2^bits. */
      readonly buckets: readonly number[];
      readonly refs: readonly Ref[];
    };

/** The bucket of an origin (by its tag) at `bits`: the top `bits` bits of the tag's first byte. */
export const bucketOf = (tag: Tag, bits: number): number => tag.charCodeAt(0) >> (16 - bits);

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
    // Read in place: two views per ref were a large part of decoding a big IHAVE or DIGEST.
    const tag = tagOf(r.source, r.skip(TAG_BYTES));
    const seqnum = r.varint();
    refs.push({ tag, seqnum, hash32: r.u32be() });
  }
  return refs;
}

export function encodeSummary(count: number, fingerprint: Uint8Array): Uint8Array {
  return new Writer().u8(MessageType.Summary).varint(count).raw(fingerprint).finishShared();
}

/** Encodes refs into as many messages as `maxBytes` requires (a digest of a large grid may not fit one). */
export function encodeRefs(
  type: MessageType.Digest | MessageType.IHave | MessageType.IWant | MessageType.Graft,
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
    out.push(w.finishShared());
    if (refs.length === 0) break;
  }
  return out;
}

export function encodeBuckets(bits: number, fingerprints: Uint8Array): Uint8Array {
  if (fingerprints.length !== BUCKET_FINGERPRINT_BYTES << bits) throw new RangeError('bucket count');
  return new Writer().u8(MessageType.Buckets).u8(bits).raw(fingerprints).finishShared();
}

/** A SUBDIGEST: `refs` (all gossiped refs in `buckets`) in as many messages as `maxBytes` requires. */
export function encodeSubdigest(
  bits: number,
  buckets: readonly number[],
  refs: readonly Ref[],
  maxBytes: number,
): Uint8Array[] {
  const head = new Writer().u8(MessageType.Subdigest).u8(bits).varint(buckets.length);
  for (const b of buckets) head.u8(b);
  const prefix = head.finish();
  return encodeRefs(MessageType.Digest, refs, maxBytes - prefix.length).map((part) => {
    const w = new Writer().raw(prefix).raw(part.subarray(1));
    return w.finishShared();
  });
}

/** Encodes PRUNE messages naming these origins, as many as `maxBytes` requires. */
export function encodePrune(tags: readonly Tag[], maxBytes: number): Uint8Array[] {
  const perMessage = Math.max(1, Math.floor((maxBytes - 16) / TAG_BYTES));
  const out: Uint8Array[] = [];
  for (let start = 0; start < tags.length; start += perMessage) {
    const part = tags.slice(start, start + perMessage);
    const w = new Writer().u8(MessageType.Prune).varint(part.length);
    for (const tag of part) {
      writeTag(tag, TAG_SCRATCH);
      w.raw(TAG_SCRATCH);
    }
    out.push(w.finishShared());
  }
  return out;
}

/** Packs envelopes into ANNOUNCE (or PUSH) messages of at most `maxBytes` each (one always fits). */
export function encodeAnnounce(
  envelopes: readonly Uint8Array[],
  maxBytes: number,
  type: MessageType.Announce | MessageType.Push = MessageType.Announce,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  let size = 8;
  for (let i = 0; i <= envelopes.length; i++) {
    const cost = i < envelopes.length ? envelopes[i]!.length + 4 : Number.POSITIVE_INFINITY;
    if (i > start && size + cost > maxBytes) {
      const w = new Writer().u8(type).varint(i - start);
      for (let j = start; j < i; j++) w.bytes(envelopes[j]!);
      out.push(w.finishShared());
      start = i;
      size = 8;
    }
    size += cost;
  }
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
      case MessageType.Graft:
        return { type, refs: readRefs(r) };
      case MessageType.Prune: {
        const count = r.varint();
        if (count * TAG_BYTES > r.remaining) throw new DecodeError('count-exceeds-message');
        const tags: Tag[] = [];
        for (let i = 0; i < count; i++) tags.push(tagOf(r.raw(TAG_BYTES)));
        return { type, tags };
      }
      case MessageType.Announce:
      case MessageType.Push: {
        const count = r.varint();
        if (count * 2 > r.remaining) throw new DecodeError('count-exceeds-message');
        const envelopes: Uint8Array[] = [];
        for (let i = 0; i < count; i++) envelopes.push(r.bytes(maxEnvelopeBytes));
        return { type, envelopes };
      }
      case MessageType.Buckets: {
        const bits = r.u8();
        if (bits > MAX_BUCKET_BITS) throw new DecodeError('bucket-bits');
        return { type, bits, fingerprints: r.raw(BUCKET_FINGERPRINT_BYTES << bits) };
      }
      case MessageType.Subdigest: {
        const bits = r.u8();
        if (bits > MAX_BUCKET_BITS) throw new DecodeError('bucket-bits');
        const count = r.varint();
        if (count > 1 << bits || count > r.remaining) throw new DecodeError('count-exceeds-message');
        const buckets: number[] = [];
        for (let i = 0; i < count; i++) {
          const bucket = r.u8();
          if (bucket >= 1 << bits) throw new DecodeError('bucket-out-of-range');
          buckets.push(bucket);
        }
        return { type, bits, buckets, refs: readRefs(r) };
      }
      default:
        throw new DecodeError('unknown-message-type');
    }
  });
}
