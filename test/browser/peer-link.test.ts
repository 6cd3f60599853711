// PeerLink over real WebRTC in Chromium: two links in one page, signaling through an in-memory function.
import { MessageTooLargeError, PeerLink, PeerLinkOptionsError } from '../../src/net/peer-link.ts';
import type { PeerLinkOptions, PeerSignal } from '../../src/net/peer-link.ts';
import { MAX_REMOTE_CANDIDATES } from '../../src/net/peer-signal.ts';
import { createSimplePeer } from '../../src/net/simple-peer.ts';
import type { SignalData } from '../../src/net/simple-peer.ts';

const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 - 1;

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; fails with `what` after `ms`. */
async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

/** Message `index` of `size` bytes: its index in the first 4 bytes (when it fits), then a pattern. */
function pattern(index: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let j = 0; j < size; j++) bytes[j] = (index * 31 + j * 7) & 255;
  if (size >= 4) new DataView(bytes.buffer).setUint32(0, index);
  return bytes;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Side {
  link: PeerLink;
  signals: PeerSignal[];
  opens: number;
  messages: Uint8Array[];
  rtts: number[];
  closes: string[];
  drains: number;
  refused: string[];
}

const live: PeerLink[] = [];

/** A link that records everything it reports; `deliver` carries its signals to the other side. */
function side(options: PeerLinkOptions, deliver: (signal: PeerSignal) => void): Side {
  const s: Side = {
    link: undefined!,
    signals: [],
    opens: 0,
    messages: [],
    rtts: [],
    closes: [],
    drains: 0,
    refused: [],
  };
  s.link = new PeerLink(options, {
    signal: (signal) => {
      s.signals.push(signal);
      deliver(signal);
    },
    open: () => s.opens++,
    message: (bytes) => s.messages.push(bytes),
    rtt: (ms) => s.rtts.push(ms),
    drain: () => s.drains++,
    close: (reason) => s.closes.push(reason),
    refused: (reason) => s.refused.push(reason),
  });
  live.push(s.link);
  return s;
}

/** Two links wired to each other; signals cross asynchronously and as JSON, as through a real relay. */
function pair(aOptions: Partial<PeerLinkOptions> = {}, bOptions: Partial<PeerLinkOptions> = {}) {
  const sides: { a?: Side; b?: Side } = {};
  const via = (to: 'a' | 'b') => (signal: PeerSignal) =>
    queueMicrotask(() => sides[to]?.link.signal(JSON.parse(JSON.stringify(signal))));
  const a = side({ ...aOptions, initiator: true }, via('b'));
  const b = side({ ...bOptions, initiator: false }, via('a'));
  Object.assign(sides, { a, b });
  return { a, b };
}

async function openPair(aOptions: Partial<PeerLinkOptions> = {}, bOptions: Partial<PeerLinkOptions> = {}) {
  const { a, b } = pair(aOptions, bOptions);
  await until(() => a.opens === 1 && b.opens === 1, 'both links open');
  check(a.link.state === 'open' && b.link.state === 'open', 'state is open');
  return { a, b };
}

describe('PeerLink', () => {
  afterEach(() => {
    for (const link of live.splice(0)) link.close();
  });

  it('connects and exchanges messages both ways in order, up to exactly maxMessageBytes', async () => {
    const { a, b } = await openPair();
    const sizes = [0, 1, 4, 100, 1200, 16 * 1024, 65 * 1024, DEFAULT_MAX_MESSAGE_BYTES, 3];
    sizes.forEach((size, i) => check(a.link.send(pattern(i, size)), `a sends #${i}`));
    sizes.forEach((size, i) => check(b.link.send(pattern(i + 100, size)), `b sends #${i}`));
    await until(() => a.messages.length >= sizes.length && b.messages.length >= sizes.length, 'all messages');
    await sleep(50);
    check(b.messages.length === sizes.length && a.messages.length === sizes.length, 'no extra messages');
    sizes.forEach((size, i) => {
      check(sameBytes(b.messages[i], pattern(i, size)), `b got a's #${i} (${size} bytes) intact, in order`);
      check(
        sameBytes(a.messages[i], pattern(i + 100, size)),
        `a got b's #${i} (${size} bytes) intact, in order`,
      );
    });
    const total = sizes.reduce((sum, size) => sum + size + 1, 0);
    check(b.link.stats().receivedBytes >= total, 'receivedBytes counts the frames');
    check(a.link.stats().sentBytes >= total, 'sentBytes counts the frames');
    check(
      a.signals.some((s) => s.type === 'candidate'),
      'candidates trickle as separate signals',
    );
    check(a.signals.filter((s) => s.type === 'offer').length === 1, 'the initiator sends one offer');
    check(b.signals.filter((s) => s.type === 'answer').length === 1, 'the responder sends one answer');
  });

  it('reports the selected candidate types once open: host to host on one machine', async () => {
    const { a, b } = await openPair({ iceTransportPolicy: 'all' });
    for (const s of [a, b]) {
      await until(() => s.link.stats().candidateTypes !== undefined, 'candidate types in stats');
      const types = s.link.stats().candidateTypes!;
      // Chromium may learn the remote host candidate as peer-reflexive when its mDNS name is not resolved.
      check(types.local === 'host', `local candidate is host: ${JSON.stringify(types)}`);
      check(['host', 'prflx'].includes(types.remote), `remote candidate: ${JSON.stringify(types)}`);
    }
  });

  it('refuses an unknown iceTransportPolicy with PeerLinkOptionsError', () => {
    let error: unknown;
    try {
      new PeerLink({ initiator: true, iceTransportPolicy: 'none' as 'all' }, { signal: () => {} });
    } catch (e) {
      error = e;
    }
    check(error instanceof PeerLinkOptionsError, 'throws PeerLinkOptionsError');
  });

  it('measures RTT with pings on both sides', async () => {
    const { a, b } = await openPair({ pingIntervalMs: 50 }, { pingIntervalMs: 50 });
    await until(() => a.rtts.length >= 3 && b.rtts.length >= 3, 'three RTT samples each');
    for (const rtt of [...a.rtts, ...b.rtts]) check(rtt >= 0 && rtt < 2000, `plausible RTT ${rtt}`);
    check(a.link.stats().rttMs === a.rtts.at(-1), 'stats report the latest RTT');
    check(a.link.stats().receivedFrames >= 3, 'pongs count as received frames');
    check(a.messages.length === 0 && b.messages.length === 0, 'pings are not delivered as messages');
  });

  it('refuses an oversized send with MessageTooLargeError and keeps working', async () => {
    const { a, b } = await openPair({ maxMessageBytes: 1000 }, { maxMessageBytes: 1000 });
    const before = a.link.stats();
    let error: unknown;
    try {
      a.link.send(new Uint8Array(1001));
    } catch (err) {
      error = err;
    }
    check(error instanceof MessageTooLargeError, 'throws MessageTooLargeError');
    check(error.name === 'MessageTooLargeError', 'named error');
    check(a.link.stats().queuedBytes === 0 && a.link.stats().sentBytes === before.sentBytes, 'nothing sent');
    check(a.link.send(pattern(1, 1000)), 'a message of exactly the limit is accepted');
    await until(() => b.messages.length === 1, 'the in-limit message');
    await sleep(50);
    check(b.messages.length === 1 && sameBytes(b.messages[0], pattern(1, 1000)), 'only the in-limit message');
  });

  it('drops and counts received data frames over its own limit', async () => {
    const { a, b } = await openPair({ maxMessageBytes: 2000 }, { maxMessageBytes: 1000 });
    a.link.send(pattern(1, 1001));
    a.link.send(pattern(2, 10));
    await until(() => b.messages.length === 1, 'the small message');
    check(sameBytes(b.messages[0], pattern(2, 10)), 'the small message arrives, the big one does not');
    check(b.link.stats().dropped['oversized-frame'] === 1, 'the oversized frame is counted');
    check(b.link.state === 'open', 'the link stays open');
  });

  it('speaks the wire format: answers pings, drops unknown and malformed frames and forged pongs', async () => {
    // A raw simple-peer on one side lets the test write arbitrary frames.
    const raw = createSimplePeer({ initiator: true, trickle: true, config: { iceServers: [] } });
    const frames: Uint8Array[] = [];
    raw.on('data', (chunk: Uint8Array) => frames.push(new Uint8Array(chunk)));
    raw.on('error', () => {});
    try {
      const b = side({ initiator: false, pingIntervalMs: 60_000 }, (signal) =>
        raw.signal(signal as SignalData),
      );
      raw.on('signal', (signal: unknown) => b.link.signal(JSON.parse(JSON.stringify(signal))));
      await until(() => b.opens === 1 && frames.length >= 1, 'open, and the link pings');
      const ping = frames[0]!;
      check(ping.length === 9 && ping[0] === 1, 'the link pings on open: type 1 + 8-byte nonce');

      raw.send(new Uint8Array([1, 9, 8, 7, 6, 5, 4, 3, 2]));
      await until(() => frames.length >= 2, 'a pong');
      check(sameBytes(frames[1], new Uint8Array([2, 9, 8, 7, 6, 5, 4, 3, 2])), 'the pong echoes the nonce');

      raw.send(new Uint8Array([2, 1, 2, 3, 4, 5, 6, 7, 8])); // a pong for a ping never sent
      raw.send(new Uint8Array([7, 1, 2, 3])); // unknown type
      raw.send(new Uint8Array([1, 1, 2])); // ping with a short nonce
      raw.send(new Uint8Array([0, 104, 105])); // data: "hi"
      await until(() => b.messages.length === 1, 'the data frame');
      check(sameBytes(b.messages[0], new Uint8Array([104, 105])), 'data payload without the type byte');
      const dropped = b.link.stats().dropped;
      check(dropped['unexpected-pong'] === 1, 'forged pong counted');
      check(dropped['unknown-frame'] === 1, 'unknown frame counted');
      check(dropped['malformed-frame'] === 1, 'malformed ping counted');
      check(!b.rtts.length, 'a forged pong yields no RTT');

      raw.send(new Uint8Array([2, ...ping.subarray(1)])); // an honest pong
      await until(() => b.rtts.length === 1, 'an RTT from the honest pong');
      raw.send(new Uint8Array([2, ...ping.subarray(1)])); // the same pong again
      await until(() => b.link.stats().dropped['unexpected-pong'] === 2, 'the replayed pong is dropped');
      check(b.rtts.length === 1, 'a replayed pong yields no second RTT');
    } finally {
      raw.destroy();
    }
  });

  it("closes a link on which nothing arrived for silenceTimeoutMs ('silent'); the peer's pings keep one open", async () => {
    // A raw simple-peer that never sends a frame: a browser that vanished without closing.
    const raw = createSimplePeer({ initiator: true, trickle: true, config: { iceServers: [] } });
    raw.on('error', () => {});
    try {
      const fast = { pingIntervalMs: 50, silenceTimeoutMs: 300 };
      const b = side({ initiator: false, ...fast }, (signal) => raw.signal(signal as SignalData));
      raw.on('signal', (signal: unknown) => b.link.signal(JSON.parse(JSON.stringify(signal))));
      await until(() => b.opens === 1, 'open');
      const opened = performance.now();
      await until(() => b.closes.length === 1, 'the silent link to close');
      check(b.closes[0] === 'silent', `close reason: ${b.closes[0]}`);
      const after = performance.now() - opened;
      check(after >= 300, `not before silenceTimeoutMs: ${after} ms`);
      // An honest pair with the same timing pings each other and stays open well past it.
      const { a: c, b: d } = await openPair(fast, fast);
      await sleep(1_000);
      check(c.link.state === 'open' && d.link.state === 'open', `both open: ${c.closes} ${d.closes}`);
      c.link.close();
    } finally {
      raw.destroy();
    }
  });

  it('survives garbage signal() calls before and after connecting', async () => {
    const hostile = {
      get type(): string {
        throw new Error('getter');
      },
    };
    const garbage: unknown[] = [
      undefined,
      null,
      42,
      'offer',
      JSON.stringify({ type: 'offer', sdp: 'v=0' }),
      [],
      {},
      hostile,
      { type: 'offer' },
      { type: 'answer', sdp: 5 },
      { type: 'answer', sdp: '' },
      { type: 'offer', sdp: 'x'.repeat(100_000) },
      { type: 'renegotiate', renegotiate: true },
      { type: 'transceiverRequest', transceiverRequest: { kind: 'video' } },
      { type: 'candidate' },
      { type: 'candidate', candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' },
      { type: 'candidate', candidate: { candidate: 'x' } }, // neither sdpMid nor sdpMLineIndex
      { type: 'candidate', candidate: { candidate: 'x', sdpMid: 5 } },
      { type: 'candidate', candidate: { candidate: 'x', sdpMLineIndex: -1 } },
      { type: 'candidate', candidate: { candidate: 'x'.repeat(5000), sdpMid: '0' } },
    ];
    const { a, b } = pair();
    const feed = () => {
      for (const data of garbage) {
        a.link.signal(data);
        b.link.signal(data);
      }
      // Well-formed but wrong for the role: an answer to the responder, an offer to the initiator.
      a.link.signal({ type: 'offer', sdp: 'v=0\r\n' });
      b.link.signal({ type: 'answer', sdp: 'v=0\r\n' });
    };
    feed();
    await until(() => a.opens === 1 && b.opens === 1, 'both links open despite the garbage');
    feed();
    // Shaped like a candidate, so it reaches WebRTC, which rejects it; that must not kill the link.
    a.link.signal({ type: 'candidate', candidate: { candidate: 'garbage', sdpMid: '0', sdpMLineIndex: 0 } });
    a.link.signal({ type: 'answer', sdp: 'v=0\r\n' }); // a second answer
    a.link.send(pattern(1, 10));
    b.link.send(pattern(2, 10));
    await until(() => a.messages.length === 1 && b.messages.length === 1, 'messages after the garbage');
    await sleep(200);
    check(a.link.state === 'open' && b.link.state === 'open', 'both links stay open');
    check(a.link.stats().dropped['garbage-signal'] === 2 * garbage.length, 'garbage counted on a');
    check(b.link.stats().dropped['garbage-signal'] === 2 * garbage.length, 'garbage counted on b');
    check(a.link.stats().dropped['unexpected-signal'] === 3, 'wrong-role and repeated descriptions on a');
    check(b.link.stats().dropped['unexpected-signal'] === 2, 'wrong-role descriptions on b');
    check(a.closes.length === 0 && b.closes.length === 0, 'no close');
  });

  it('takes at most MAX_REMOTE_CANDIDATES (16) remote candidates per attempt, trickled or in the SDP, and counts the rest', async () => {
    check(MAX_REMOTE_CANDIDATES === 16, 'the documented number');
    // An initiator that has not heard an answer yet: simple-peer holds the candidates (no probe is sent).
    const a = side({ initiator: true }, () => undefined);
    const candidate = (i: number) => ({
      type: 'candidate',
      candidate: {
        candidate: `candidate:${i} 1 udp 1 192.0.2.${i} 9 typ host`,
        sdpMid: '0',
        sdpMLineIndex: 0,
      },
    });
    for (let i = 1; i <= 20; i++) a.link.signal(candidate(i));
    check(a.link.stats().dropped['too-many-candidates'] === 4, 'the four beyond 16 are refused');
    check(a.refused.length === 4 && a.refused[0] === 'too-many-candidates', 'and reported to the owner');
    // A forged offer carrying 17 candidates in its SDP is refused whole; one with 16 would pass this check.
    const b = side({ initiator: false }, () => undefined);
    const lines = Array.from({ length: 17 }, (_, i) => `a=candidate:${i} 1 udp 1 192.0.2.${i} 9 typ host`);
    b.link.signal({ type: 'offer', sdp: `v=0\r\n${lines.join('\r\n')}\r\n` });
    check(b.link.stats().dropped['too-many-candidates'] === 1, 'the offer is refused');
    check(b.refused.length === 1, 'and reported');
    // An honest pair still links: its own candidates are well within the budget.
    const { a: c, b: d } = await openPair();
    check(c.link.stats().dropped['too-many-candidates'] === undefined, 'no honest candidate refused');
    check(d.link.stats().dropped['too-many-candidates'] === undefined, 'on either side');
  });

  it('closes both sides when one closes, firing close exactly once each', async () => {
    const { a, b } = await openPair({ pingIntervalMs: 50 }, { pingIntervalMs: 50 });
    a.link.close();
    check(a.closes.length === 1 && a.closes[0] === 'local close', 'local close fires at once');
    check(a.link.state === 'closed', 'a is closed');
    await until(() => b.closes.length === 1, 'the remote side closes');
    check(b.closes[0] === 'remote close', `remote reason: ${b.closes[0]}`);
    const rtts = a.rtts.length;
    a.link.close();
    b.link.close();
    a.link.signal({ type: 'answer', sdp: 'v=0\r\n' });
    check(!a.link.send(pattern(1, 10)), 'send after close returns false');
    check(a.link.stats().dropped['send-after-close'] === 1, 'and is counted');
    await sleep(300);
    check(a.closes.length === 1 && b.closes.length === 1, 'close fired exactly once on each side');
    check(a.rtts.length === rtts, 'no pings after close');
  });

  it('leaves no timers running after close', async () => {
    // Record every interval and every connect-timeout-length timeout created while the links live.
    const connectTimeoutMs = 12_345;
    const original = { setTimeout, clearTimeout, setInterval, clearInterval };
    // Timer functions throw "Illegal invocation" unless called on the global object.
    const native = {
      setTimeout: setTimeout.bind(globalThis),
      clearTimeout: clearTimeout.bind(globalThis),
      setInterval: setInterval.bind(globalThis),
      clearInterval: clearInterval.bind(globalThis),
    };
    const intervals = new Set<unknown>();
    const connectTimers = new Set<unknown>();
    globalThis.setInterval = ((handler: TimerHandler, ms?: number, ...args: unknown[]) => {
      const id = native.setInterval(handler, ms, ...args);
      intervals.add(id);
      return id;
    }) as typeof setInterval;
    globalThis.clearInterval = ((id?: number) => {
      intervals.delete(id);
      native.clearInterval(id);
    }) as typeof clearInterval;
    globalThis.setTimeout = ((handler: TimerHandler, ms?: number, ...args: unknown[]) => {
      const id = native.setTimeout(handler, ms, ...args);
      if (ms === connectTimeoutMs) connectTimers.add(id);
      return id;
    }) as typeof setTimeout;
    globalThis.clearTimeout = ((id?: number) => {
      connectTimers.delete(id);
      native.clearTimeout(id);
    }) as typeof clearTimeout;
    try {
      const { a, b } = await openPair({ connectTimeoutMs }, { connectTimeoutMs });
      const lonely = side({ initiator: true, connectTimeoutMs }, () => {});
      check(intervals.size >= 2, 'ping intervals are tracked');
      check([...connectTimers].length === 1, "the connecting link's timeout is tracked");
      a.link.close();
      lonely.link.close();
      await until(() => b.closes.length === 1, 'b closes');
      await sleep(100);
      check(intervals.size === 0, `${intervals.size} interval(s) still running`);
      check(connectTimers.size === 0, 'connect timeout cleared');
    } finally {
      Object.assign(globalThis, original);
    }
  });

  it('times out when the other side never answers', async () => {
    const started = performance.now();
    const initiator = side({ initiator: true, connectTimeoutMs: 300 }, () => {});
    const responder = side({ initiator: false, connectTimeoutMs: 300 }, () => {});
    await until(() => initiator.closes.length === 1 && responder.closes.length === 1, 'both time out', 5000);
    check(performance.now() - started >= 290, 'not before the timeout');
    check(initiator.closes[0] === 'connect timeout', `initiator reason: ${initiator.closes[0]}`);
    check(responder.closes[0] === 'connect timeout', `responder reason: ${responder.closes[0]}`);
    check(
      initiator.signals.some((s) => s.type === 'offer'),
      'the initiator did send an offer',
    );
    check(initiator.opens === 0 && initiator.link.state === 'closed', 'never opened, now closed');
    await sleep(300);
    check(initiator.closes.length === 1 && responder.closes.length === 1, 'close fired once');
  });

  it('backpressure: 20 MiB sent as fast as send allows arrives complete and in order', async function () {
    this.timeout(120_000);
    const { a, b } = await openPair();
    const maxQueuedBytes = 4 * 1024 * 1024;
    const size = 64 * 1024;
    const count = (20 * 1024 * 1024) / size;
    let refused = 0;
    let peakQueued = 0;
    for (let i = 0; i < count; i++) {
      const message = pattern(i, size);
      while (!a.link.send(message)) {
        refused++;
        // The queue is full: wait for it to drain, as a sender should.
        const drains = a.drains;
        await until(() => a.drains > drains || a.link.state !== 'open', 'drain', 30_000);
        check(a.link.state === 'open', 'link still open');
      }
      peakQueued = Math.max(peakQueued, a.link.stats().queuedBytes);
      check(peakQueued <= maxQueuedBytes, `queue ${peakQueued} exceeds its bound`);
    }
    check(refused > 0, 'pushing 20 MiB at once must hit the queue bound');
    check(a.link.stats().dropped['queue-full'] === refused, 'every refusal counted');
    await until(() => b.messages.length === count, `all ${count} messages`, 100_000);
    for (let i = 0; i < count; i++) check(sameBytes(b.messages[i], pattern(i, size)), `message ${i} intact`);
  });

  it('backpressure: a sender that ignores send() results loses only refused messages', async function () {
    this.timeout(120_000);
    const { a, b } = await openPair({ highWaterBytes: 256 * 1024 });
    const size = 32 * 1024;
    const accepted: number[] = [];
    for (let i = 0; i < (20 * 1024 * 1024) / size; i++) {
      if (a.link.send(pattern(i, size))) accepted.push(i);
      check(a.link.stats().queuedBytes <= 1024 * 1024, 'queue stays within 4 × highWaterBytes');
    }
    const refused = (20 * 1024 * 1024) / size - accepted.length;
    check(refused > 0, 'some sends were refused');
    check(a.link.stats().dropped['queue-full'] === refused, 'every refusal counted');
    await until(() => b.messages.length === accepted.length, 'every accepted message', 60_000);
    await sleep(100);
    check(b.messages.length === accepted.length, 'nothing more');
    accepted.forEach((index, i) => check(sameBytes(b.messages[i], pattern(index, size)), `accepted #${i}`));
  });
});
