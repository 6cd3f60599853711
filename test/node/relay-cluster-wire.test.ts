// Subjects and messages between clustered relays (src/relay/cluster-wire.ts): what a relay accepts from
// NATS, and that no topic becomes a NATS wildcard or more than one subject token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  SUBJECT_PREFIX,
  decodeMessage,
  encodeMessage,
  maxMessageBytes,
  subjectFor,
} from '../../src/relay/cluster-wire.ts';

const limits = { maxFrameBytes: 1024, maxTopicLength: 32 };
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));
const frame = { type: 'publish', topic: 'room', data: { sdp: 'x' } };

describe('cluster subjects', () => {
  it('every topic is one lowercase hex token after the prefix: no wildcard, dot or whitespace', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (topic) => {
        const subject = subjectFor(topic);
        assert.ok(subject.startsWith(SUBJECT_PREFIX));
        assert.match(subject.slice(SUBJECT_PREFIX.length), /^[0-9a-f]{64}$/);
      }),
    );
  });

  it('different topics get different subjects, one topic always the same', () => {
    assert.equal(subjectFor('>'), subjectFor('>'));
    assert.notEqual(subjectFor('room'), subjectFor('room.*'));
    assert.notEqual(subjectFor('a'), subjectFor('A'));
  });
});

describe('cluster messages', () => {
  it('round-trip a publish from another relay, dropping the sender’s `clients` count', () => {
    const encoded = encodeMessage('relay-a', { ...frame, clients: 7 }, limits);
    assert.ok(encoded.ok);
    assert.deepEqual(decodeMessage(encoded.bytes, subjectFor('room'), 'relay-b', limits), {
      ok: true,
      topic: 'room',
      frame,
    });
  });

  it('drop the relay’s own messages, so its clients never get a publish twice', () => {
    const encoded = encodeMessage('relay-a', frame, limits);
    assert.ok(encoded.ok);
    assert.deepEqual(decodeMessage(encoded.bytes, subjectFor('room'), 'relay-a', limits), {
      ok: false,
      reason: 'own-echo',
    });
  });

  const cases: [string, Uint8Array, string][] = [
    ['too-large', new Uint8Array(maxMessageBytes(limits) + 1), subjectFor('room')],
    ['bad-json', Buffer.from('{"v":1,'), subjectFor('room')],
    ['bad-version', bytes({ v: 2, relay: 'r', frame }), subjectFor('room')],
    ['bad-version', bytes([1, 2]), subjectFor('room')],
    ['bad-relay-id', bytes({ v: 1, relay: 'r'.repeat(65), frame }), subjectFor('room')],
    ['bad-relay-id', bytes({ v: 1, relay: 3, frame }), subjectFor('room')],
    ['not-publish', bytes({ v: 1, relay: 'r', frame: { ...frame, type: 'subscribe' } }), subjectFor('room')],
    [
      'bad-topic',
      bytes({ v: 1, relay: 'r', frame: { ...frame, topic: 'x'.repeat(33) } }),
      subjectFor('room'),
    ],
    ['bad-topic', bytes({ v: 1, relay: 'r', frame: { ...frame, topic: ['room'] } }), subjectFor('room')],
    // A message published on one topic's subject cannot smuggle a frame into another topic.
    ['wrong-subject', bytes({ v: 1, relay: 'r', frame: { ...frame, topic: 'other' } }), subjectFor('room')],
  ];
  for (const [reason, message, subject] of cases) {
    it(`refuse ${reason}: ${Buffer.from(message)
      .toString()
      .slice(0, 60)
      .replace(/[^\x20-\x7e]/g, '.')}`, () => {
      assert.deepEqual(decodeMessage(message, subject, 'self', limits), { ok: false, reason });
    });
  }

  it('never throw on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.string(), (message, subject) => {
        assert.equal(typeof decodeMessage(message, subject, 'self', limits).ok, 'boolean');
      }),
    );
  });

  it('refuse to send what re-serializes past the bound or cannot be serialized', () => {
    // 200 copies of `1e20` fit the frame limit as received but become 21 digits each when re-serialized.
    const grown = { type: 'publish', topic: 'room', data: JSON.parse(`[${Array(200).fill('1e20')}]`) };
    assert.deepEqual(encodeMessage('r', grown, limits), { ok: false, reason: 'too-large' });
    const cyclic: Record<string, unknown> = { type: 'publish', topic: 'room' };
    cyclic.self = cyclic;
    assert.deepEqual(encodeMessage('r', cyclic, limits), { ok: false, reason: 'unserializable' });
  });
});
