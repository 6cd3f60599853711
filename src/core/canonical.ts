/**
 * The held form of an envelope: its bytes and what every node derives from them alone — SHA-256, the ref
 * hash, the tag, the parsed envelope, and the checked body head. Each is a function of the bytes only, so
 * two nodes holding equal bytes may share one `Canonical` without changing any result.
 *
 * A node gets its `Canonical`s from an `Interner`. The default one (`copyInterner`) copies the received
 * bytes (a stored entry must not pin the whole received message) and hashes them: nothing is shared. A
 * simulator of thousands of nodes in one process passes one shared interner instead (test/sim), so a
 * million held entries cost a million small per-node records and N envelopes, not a million envelopes.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type Envelope, decodeBody, decodeEnvelope } from './announcement.ts';
import { type Tag, tagOf } from './identity.ts';

/** What the table needs of a decoded body, kept once it has been checked (see `headOf`). */
export type BodyHead =
  | { readonly ok: true; readonly seqnum: number; readonly gridId: Uint8Array }
  | { readonly ok: false; readonly reason: string };

export interface Canonical {
  readonly bytes: Uint8Array;
  readonly envelope: Envelope;
  readonly hash: Uint8Array;
  /** First 4 bytes of `hash`, big-endian: the ref hash (PROTOCOL.md §4). */
  readonly hash32: number;
  readonly tag: Tag;
  /** Set by `headOf` on first use: the body decoded and checked once, whoever holds these bytes. */
  head?: BodyHead;
}

/**
 * Returns the held form of envelope bytes already checked to decode with bodies up to `maxBodyBytes`
 * (undefined if they do not). The returned bytes equal the given ones and never alias the caller's buffer.
 */
export type Interner = (received: Uint8Array, maxBodyBytes: number) => Canonical | undefined;

export const hash32Of = (h: Uint8Array): number =>
  ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;

/** Builds the held form of `bytes`, which the caller owns from now on. */
export function canonicalOf(bytes: Uint8Array, maxBodyBytes: number): Canonical | undefined {
  const decoded = decodeEnvelope(bytes, maxBodyBytes);
  if (!decoded.ok) return undefined;
  const hash = sha256(bytes);
  const envelope = decoded.value;
  return { bytes, envelope, hash, hash32: hash32Of(hash), tag: tagOf(envelope.origin) };
}

/** The default: a private copy per received envelope, nothing shared between nodes. */
export const copyInterner: Interner = (received, maxBodyBytes) => canonicalOf(received.slice(), maxBodyBytes);

/** The checked body head of `c`: decoded in full once (malformed bodies are refused), then kept small. */
export function headOf(c: Canonical): BodyHead {
  if (c.head) return c.head;
  const body = decodeBody(c.envelope.body);
  c.head = body.ok
    ? { ok: true, seqnum: body.value.seqnum, gridId: body.value.gridId }
    : { ok: false, reason: body.reason };
  return c.head;
}
