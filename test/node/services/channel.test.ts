// The service channel over an in-memory data channel pair: requests both ways, chunking, backpressure,
// bounds, deadlines, and untrusted frames (random and mutated) that are dropped and counted, never thrown.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ServiceChannel, type Handler } from '../../../src/services/channel.ts';
import {
  Assembler,
  MAX_FRAME_BYTES,
  REQUEST,
  RESPONSE,
  decodeFrame,
  encodeFrames,
} from '../../../src/services/frames.ts';
import { StorageError } from '../../../src/services/types.ts';
import { memoryPair } from './memory-channel.ts';

const echo: Handler = async (payload) => ({ ok: true, body: payload });

function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + seed * 31) & 255;
  return out;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof StorageError && error.code === code);
}

/** Waits until both sides have nothing queued, buffered or in hand (the injected requests are answered). */
async function quiet(
  ...sides: { channel: ServiceChannel; wire: { bufferedAmount: number } }[]
): Promise<void> {
  const busy = () =>
    sides.some(
      ({ channel, wire }) =>
        wire.bufferedAmount > 0 || channel.stats().queuedFrames > 0 || channel.stats().incoming > 0,
    );
  while (busy()) await new Promise((resolve) => setImmediate(resolve));
}

function channels(handlerB: Handler = echo, handlerA: Handler = echo, options = {}) {
  const [a, b] = memoryPair();
  return { a, b, ca: new ServiceChannel(a, handlerA, options), cb: new ServiceChannel(b, handlerB, options) };
}

describe('frames', () => {
  it('cut a message into frames of at most 64 KiB that reassemble to it', () => {
    const payload = pattern(300_000);
    const frames = encodeFrames(REQUEST, 7, payload, 1 << 20);
    assert.equal(frames.length, 5);
    for (const f of frames) assert.ok(f.length <= MAX_FRAME_BYTES);
    const asm = new Assembler(1 << 20, 4);
    let out: Uint8Array | undefined;
    for (const f of frames) {
      const parsed = decodeFrame(f);
      assert.ok(parsed.ok);
      const r = asm.push(parsed.frame);
      if (r && 'message' in r) out = r.message;
    }
    assert.deepEqual(out, payload);
  });

  it('reject non-canonical ids, unknown kinds and flags, and empty continuations by name', () => {
    assert.deepEqual(decodeFrame(Uint8Array.of(1, 0, 0x80, 0)), { ok: false, reason: 'bad-header' });
    assert.deepEqual(decodeFrame(Uint8Array.of(3, 0, 0)), { ok: false, reason: 'unknown-kind' });
    assert.deepEqual(decodeFrame(Uint8Array.of(1, 2, 0)), { ok: false, reason: 'bad-flags' });
    assert.deepEqual(decodeFrame(Uint8Array.of(1, 1, 0)), { ok: false, reason: 'empty-continuation' });
    assert.deepEqual(decodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1)), {
      ok: false,
      reason: 'oversized-frame',
    });
    assert.deepEqual(decodeFrame(Uint8Array.of(1, 0, 0xff, 0xff, 0xff, 0xff, 0x7f)), {
      ok: false,
      reason: 'bad-header',
    });
  });

  it('bound a reassembly by size, and let a new message evict the oldest partial one', () => {
    const asm = new Assembler(100_000, 2);
    const big = encodeFrames(REQUEST, 1, pattern(200_000), 1 << 20).map((f) => decodeFrame(f));
    const results = big.map((p) => (p.ok ? asm.push(p.frame) : p.reason));
    assert.deepEqual(results, [
      undefined,
      { drop: 'message-too-large' },
      { drop: 'discarded-continuation' },
      { drop: 'discarded-continuation' },
    ]);
    assert.equal(asm.pending, 0);
    const open = (id: number) => asm.push({ kind: REQUEST, id, more: true, chunk: pattern(10) });
    assert.equal(open(1), undefined);
    assert.equal(open(2), undefined);
    assert.deepEqual(open(3), { drop: 'too-many-partial', evicted: true });
    assert.equal(asm.pending, 2);
    assert.deepEqual(asm.push({ kind: REQUEST, id: 3, more: false, chunk: pattern(1) }), {
      message: Uint8Array.of(...pattern(10), ...pattern(1)),
    });
  });
});

describe('ServiceChannel', () => {
  it('answers requests both ways, from empty to 1 MiB, intact', async () => {
    const { ca, cb } = channels();
    for (const size of [0, 1, MAX_FRAME_BYTES, 3 * MAX_FRAME_BYTES + 5, 1 << 20]) {
      assert.deepEqual(await ca.request(pattern(size, size)), pattern(size, size));
      assert.deepEqual(await cb.request(pattern(size, 2)), pattern(size, 2));
    }
    ca.close();
  });

  it('keeps at most about the high watermark in the data channel buffer, and resumes on bufferedamountlow', async () => {
    const { a, b, ca } = channels();
    const sends = Array.from({ length: 12 }, (_, i) => ca.request(pattern(1 << 20, i)));
    const bodies = await Promise.all(sends);
    bodies.forEach((body, i) => assert.deepEqual(body, pattern(1 << 20, i)));
    // The default high watermark is 128 KiB: one more frame may go out while below it.
    assert.ok(a.peakBuffered <= 128 * 1024 + MAX_FRAME_BYTES, `peak ${a.peakBuffered}`);
    assert.ok(b.peakBuffered <= 128 * 1024 + MAX_FRAME_BYTES, `peak ${b.peakBuffered}`);
    ca.close();
  });

  it('refuses a request past maxOutstanding at once with busy', async () => {
    const never: Handler = () => new Promise(() => undefined);
    const { ca } = channels(never, echo, { maxOutstanding: 2, deadlineMs: 200 });
    const first = ca.request(pattern(1));
    const second = ca.request(pattern(1));
    await rejectsWith(ca.request(pattern(1)), 'busy');
    await rejectsWith(first, 'timeout');
    await rejectsWith(second, 'timeout');
    assert.equal(ca.stats().timeouts, 2);
    ca.close();
  });

  it("answers the peer's requests past maxIncoming with busy, without calling the handler", async () => {
    let calls = 0;
    const release: (() => void)[] = [];
    const slow: Handler = (payload) => {
      calls++;
      return new Promise((resolve) => release.push(() => resolve({ ok: true, body: payload })));
    };
    const [a, b] = memoryPair();
    const ca = new ServiceChannel(a, undefined);
    const cb = new ServiceChannel(b, slow, { maxIncoming: 2 });
    const held = [ca.request(pattern(1)), ca.request(pattern(2))];
    const third = ca.request(pattern(3));
    await rejectsWith(third, 'busy');
    assert.equal(calls, 2);
    assert.equal(cb.stats().busyRefused, 1);
    release.forEach((r) => r());
    await Promise.all(held);
    ca.close();
  });

  it('carries a StorageError from the handler to the caller by code', async () => {
    const refuse: Handler = async () => {
      throw new StorageError('denied', 'not a member');
    };
    const { ca } = channels(refuse);
    await assert.rejects(ca.request(pattern(4)), {
      name: 'StorageError',
      code: 'denied',
      message: 'not a member',
    });
    ca.close();
  });

  it('rejects outstanding requests with closed when the channel closes, and later ones at once', async () => {
    const never: Handler = () => new Promise(() => undefined);
    const { b, ca } = channels(never);
    const pending = ca.request(pattern(1));
    b.close();
    await rejectsWith(pending, 'closed');
    await rejectsWith(ca.request(pattern(1)), 'closed');
    assert.equal(ca.isClosed, true);
  });

  it('drops and counts random frames without throwing, and keeps working', async () => {
    const { a, b, ca, cb } = channels();
    let injected = 0;
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.constant('text'), fc.constant(null)),
        (data) => {
          b.inject(data instanceof Uint8Array ? data.slice().buffer : data);
          injected++;
        },
      ),
      { numRuns: 2000, seed: 13 },
    );
    const stats = cb.stats();
    assert.equal(stats.receivedFrames, injected);
    const dropped = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0);
    assert.ok(dropped > injected / 2, `most random frames are dropped by name (${dropped} of ${injected})`);
    assert.ok((stats.dropped['not-binary'] ?? 0) > 0);
    await quiet({ channel: cb, wire: b }, { channel: ca, wire: a });
    assert.deepEqual(
      await ca.request(pattern(200_000)),
      pattern(200_000),
      'a real request still goes through',
    );
    ca.close();
  });

  it('drops and counts mutated frames of real messages without throwing, and keeps working', async () => {
    const { a, b, ca, cb } = channels();
    const frames = [
      ...encodeFrames(REQUEST, 5, pattern(150_000), 1 << 21),
      ...encodeFrames(RESPONSE, 9, pattern(100), 1 << 21),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: frames.length - 1 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (which, at, value, truncate) => {
          const frame = frames[which]!.slice();
          if (at < frame.length) frame[at] = value;
          const bytes = truncate ? frame.subarray(0, at) : frame;
          b.inject(bytes.slice().buffer);
        },
      ),
      { numRuns: 1000, seed: 42 },
    );
    assert.equal(cb.stats().receivedFrames, 1000);
    // Injected requests in the peer's name may carry any id; their answers must be gone before ours.
    await quiet({ channel: cb, wire: b }, { channel: ca, wire: a });
    assert.deepEqual(await ca.request(pattern(300_000, 3)), pattern(300_000, 3));
    ca.close();
  });

  it('removes its listeners when closed', () => {
    const [a] = memoryPair();
    const ca = new ServiceChannel(a, echo);
    assert.equal(a.listenerCount(), 4);
    ca.close();
    assert.equal(a.listenerCount(), 0);
  });
});
