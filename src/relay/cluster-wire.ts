// What relays of one cluster say to each other through NATS, and how a topic becomes a NATS subject.
// Pure: no connection, clock or randomness (the relay id is an input).
//
// Subjects. A topic is whatever string a client chose, and NATS gives `.`, `*`, `>` and whitespace a
// meaning in subjects; a topic used as a subject could subscribe a client to a wildcard (all of
// `gridnode.>`) or split into tokens. So a topic never becomes a subject itself: the subject is
// `SUBJECT_PREFIX` + the lowercase hex SHA-256 of the topic's UTF-8 bytes, one token of [0-9a-f] that
// matches exactly one topic (up to SHA-256 collisions, and the receiver re-checks the topic anyway).
//
// Messages. One NATS message per accepted publish, its payload the UTF-8 JSON text
//   {"v":1,"relay":"<sending relay id>","frame":{...the client's publish frame, without `clients`}}
// A receiver treats it as untrusted (anything on the NATS server could have sent it): it checks the size
// before parsing, the version, that the frame is a publish to a valid topic whose subject is the one the
// message arrived on, and drops its own relay's messages (NATS echoes a client's publishes to its own
// subscriptions unless told not to; the relay id guards against double delivery either way).
import { createHash } from 'node:crypto';

export const SUBJECT_PREFIX = 'gridnode.relay.v1.';
const WIRE_VERSION = 1;
// Envelope bytes around the frame: `{"v":1,"relay":"…","frame":}` with an id of MAX_RELAY_ID_CHARS.
const ENVELOPE_BYTES = 128;
const MAX_RELAY_ID_CHARS = 64;

export interface WireLimits {
  maxFrameBytes: number;
  maxTopicLength: number;
}

export function subjectFor(topic: string): string {
  return SUBJECT_PREFIX + createHash('sha256').update(topic, 'utf8').digest('hex');
}

/** The largest payload a relay sends or accepts: a maximum-size frame in its envelope. */
export function maxMessageBytes(limits: WireLimits): number {
  return limits.maxFrameBytes + ENVELOPE_BYTES;
}

export type Encoded = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

export function encodeMessage(relayId: string, frame: Record<string, unknown>, limits: WireLimits): Encoded {
  let text: string;
  try {
    text = JSON.stringify({ v: WIRE_VERSION, relay: relayId, frame });
  } catch {
    return { ok: false, reason: 'unserializable' };
  }
  const bytes = Buffer.from(text, 'utf8');
  // Re-serializing can grow a frame (`1e20` becomes 21 digits), so the bound is checked on what is sent.
  if (bytes.length > maxMessageBytes(limits)) return { ok: false, reason: 'too-large' };
  return { ok: true, bytes };
}

export type Decoded =
  | { ok: true; topic: string; frame: Record<string, unknown> & { type: 'publish'; topic: string } }
  | { ok: false; reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks a message that arrived on `subject`; never throws. */
export function decodeMessage(
  bytes: Uint8Array,
  subject: string,
  selfId: string,
  limits: WireLimits,
): Decoded {
  if (bytes.length > maxMessageBytes(limits)) return { ok: false, reason: 'too-large' };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    return { ok: false, reason: 'bad-json' };
  }
  if (!isRecord(value) || value.v !== WIRE_VERSION) return { ok: false, reason: 'bad-version' };
  const { relay, frame } = value;
  if (typeof relay !== 'string' || relay === '' || relay.length > MAX_RELAY_ID_CHARS)
    return { ok: false, reason: 'bad-relay-id' };
  if (relay === selfId) return { ok: false, reason: 'own-echo' };
  if (!isRecord(frame) || frame.type !== 'publish') return { ok: false, reason: 'not-publish' };
  const { topic } = frame;
  if (typeof topic !== 'string' || topic === '' || topic.length > limits.maxTopicLength)
    return { ok: false, reason: 'bad-topic' };
  if (subjectFor(topic) !== subject) return { ok: false, reason: 'wrong-subject' };
  // A sender's `clients` is its own count; the receiving relay sets its own.
  const { clients: _ignored, ...rest } = frame;
  return { ok: true, topic, frame: { ...rest, type: 'publish', topic } };
}
