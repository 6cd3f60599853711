// Hostile and broken clients: each must get a named error or be dropped, never crash the relay or
// disturb anyone else (every test ends by proving a bystander and a newcomer are still served).
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import net from 'node:net';
import { describe, it } from 'node:test';
import { startRelay } from '../../src/relay/relay.ts';
import type { Relay, RelayOptions } from '../../src/relay/relay.ts';
import {
  assertStillServing,
  eventually,
  subscriber,
  TestClient,
  withTimeout,
} from './helpers/relay-client.ts';
import type { Msg } from './helpers/relay-client.ts';

/** Starts a relay with a bystander subscribed to 'bystander', runs the abuse, then checks service. */
async function abuse(
  opts: Partial<RelayOptions>,
  run: (relay: Relay, bystander: TestClient) => Promise<void>,
): Promise<void> {
  const relay = await startRelay({ host: '127.0.0.1', port: 0, ...opts });
  try {
    const bystander = await subscriber(relay.url, ['bystander']);
    await run(relay, bystander);
    await assertStillServing(relay.url, bystander, 'bystander');
    await bystander.close();
  } finally {
    await relay.close();
  }
}

/** Sends one raw frame and returns the relay's answer. */
async function answerTo(client: TestClient, raw: string | Buffer, binary = false): Promise<Msg> {
  client.ws.send(raw, { binary });
  return client.nextAny();
}

const isError = (reason: string) => (m: Msg) => m.type === 'error' && m.reason === reason;

describe('relay: malformed frames', { timeout: 20_000 }, () => {
  it('answers bad JSON with a bad-json error and counts it', async () => {
    await abuse({}, async (relay, _bystander) => {
      const client = await TestClient.connect(relay.url);
      for (const raw of ['{nope', '', '{"type":"subscribe"', 'undefined']) {
        assert.deepEqual(await answerTo(client, raw), { type: 'error', reason: 'bad-json' }, raw);
      }
      assert.equal(relay.health().framesRejected['bad-json'], 4);
      await client.sync();
      await client.close();
    });
  });

  it('answers JSON that is not an object with not-object', async () => {
    await abuse({}, async (relay) => {
      const client = await TestClient.connect(relay.url);
      for (const raw of ['[]', '42', '"subscribe"', 'null', 'true', '[{"type":"ping"}]']) {
        assert.ok(isError('not-object')(await answerTo(client, raw)), raw);
      }
      await client.close();
    });
  });

  it('answers unknown or missing types with unknown-type', async () => {
    await abuse({}, async (relay) => {
      const client = await TestClient.connect(relay.url);
      for (const frame of [
        {},
        { type: 'nope' },
        { type: 5 },
        { type: ['ping'] },
        { type: 'PING' },
        { type: null },
      ]) {
        assert.ok(
          isError('unknown-type')(await answerTo(client, JSON.stringify(frame))),
          JSON.stringify(frame),
        );
      }
      await client.close();
    });
  });

  it('rejects wrong field types, and a rejected subscribe subscribes to nothing', async () => {
    await abuse({}, async (relay) => {
      const client = await TestClient.connect(relay.url);
      const cases: [unknown, string][] = [
        [{ type: 'subscribe' }, 'bad-topics'],
        [{ type: 'subscribe', topics: 'bystander' }, 'bad-topics'],
        [{ type: 'subscribe', topics: { 0: 'bystander' } }, 'bad-topics'],
        [{ type: 'subscribe', topics: [1] }, 'bad-topics'],
        [{ type: 'subscribe', topics: [''] }, 'bad-topics'],
        [{ type: 'subscribe', topics: ['ok', null] }, 'bad-topics'],
        [{ type: 'unsubscribe', topics: 'bystander' }, 'bad-topics'],
        [{ type: 'unsubscribe', topics: [{}] }, 'bad-topics'],
        [{ type: 'publish', data: 'x' }, 'bad-topic'],
        [{ type: 'publish', topic: 5 }, 'bad-topic'],
        [{ type: 'publish', topic: ['bystander'] }, 'bad-topic'],
        [{ type: 'publish', topic: '' }, 'bad-topic'],
      ];
      for (const [frame, reason] of cases) {
        assert.ok(isError(reason)(await answerTo(client, JSON.stringify(frame))), JSON.stringify(frame));
      }
      assert.equal(relay.health().framesRejected['bad-topics'], 8);
      assert.equal(relay.health().framesRejected['bad-topic'], 4);
      // ['ok', null] was rejected as a whole: 'ok' has no subscriber, only 'bystander' exists.
      assert.equal(relay.health().topics, 1);
      await client.close();
    });
  });

  it('answers binary frames with binary-frame', async () => {
    await abuse({}, async (relay) => {
      const client = await TestClient.connect(relay.url);
      const frame = Buffer.from(JSON.stringify({ type: 'publish', topic: 'bystander', data: 'x' }));
      assert.ok(isError('binary-frame')(await answerTo(client, frame, true)));
      assert.equal(relay.health().framesRejected['binary-frame'], 1);
      await client.close();
    });
  });

  it('answers a publish nested too deeply to re-serialize with unserializable', async () => {
    await abuse({}, async (relay) => {
      const client = await subscriber(relay.url, ['deep']);
      const depth = 30_000;
      const raw = `{"type":"publish","topic":"deep","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      assert.ok(isError('unserializable')(await answerTo(client, raw)));
      await client.close();
    });
  });

  it('closes a connection with 1008 after more than maxErrorsPerConnection rejected frames', async () => {
    await abuse({ maxErrorsPerConnection: 20 }, async (relay) => {
      const client = await TestClient.connect(relay.url);
      for (let i = 0; i < 20; i++) assert.ok(isError('bad-json')(await answerTo(client, 'x')));
      await client.sync(); // 20 errors are still tolerated
      client.ws.send('x');
      assert.ok(isError('bad-json')(await client.nextAny()));
      assert.deepEqual(await withTimeout(client.closed, 3000, 'close'), {
        code: 1008,
        reason: 'too-many-errors',
      });
      assert.equal(relay.health().dropped['too-many-errors'], 1);
    });
  });

  it('closes a connection sending invalid UTF-8 in a text frame, without affecting others', async () => {
    await abuse({}, async (relay) => {
      const client = await TestClient.connect(relay.url);
      client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      assert.equal((await withTimeout(client.closed, 3000, 'close')).code, 1007);
      assert.equal(relay.health().dropped['protocol-error'], 1);
    });
  });

  it('answers non-WebSocket garbage on the port with HTTP 400', async () => {
    await abuse({}, async (relay) => {
      const socket = net.connect(relay.port, '127.0.0.1');
      socket.write('\x00\x01garbage\r\n\r\n');
      const reply = await withTimeout(
        new Promise<string>((resolve) => {
          let text = '';
          socket.on('data', (d: Buffer) => (text += d.toString()));
          socket.on('close', () => resolve(text));
        }),
        3000,
        'the relay to answer garbage',
      );
      assert.match(reply, /^HTTP\/1\.1 400/);
    });
  });
});

describe('relay: limits', { timeout: 30_000 }, () => {
  it('closes a frame over maxFrameBytes with 1009 and accepts one just under it', async () => {
    await abuse({ maxFrameBytes: 64 * 1024 }, async (relay) => {
      const ok = await subscriber(relay.url, ['big']);
      const envelope = JSON.stringify({ type: 'publish', topic: 'big', data: '' }).length;
      const data = 'x'.repeat(64 * 1024 - envelope);
      ok.send({ type: 'publish', topic: 'big', data });
      assert.equal((await ok.next((m) => m.type === 'publish')).data, data);

      const client = await TestClient.connect(relay.url);
      client.send({ type: 'publish', topic: 'big', data: data + 'x' });
      assert.equal((await withTimeout(client.closed, 3000, 'close')).code, 1009);
      assert.equal(relay.health().dropped['frame-too-large'], 1);
      await ok.sync();
      await ok.close();
    });
  });

  it('rejects subscribing to more than maxTopicsPerConnection topics, all or nothing', async () => {
    await abuse({ maxTopicsPerConnection: 64 }, async (relay) => {
      const client = await TestClient.connect(relay.url);
      const topics = Array.from({ length: 65 }, (_, i) => `t${i}`);
      assert.ok(
        isError('too-many-topics')(await answerTo(client, JSON.stringify({ type: 'subscribe', topics }))),
      );
      assert.equal(relay.health().topics, 1);
      client.send({ type: 'subscribe', topics: topics.slice(0, 64) });
      await client.sync();
      assert.equal(relay.health().topics, 65);
      // Re-subscribing to topics it already has is not growth.
      client.send({ type: 'subscribe', topics: topics.slice(0, 64) });
      await client.sync();
      assert.ok(
        isError('too-many-topics')(
          await answerTo(client, JSON.stringify({ type: 'subscribe', topics: ['t64'] })),
        ),
      );
      // Unsubscribing frees room for another.
      client.send({ type: 'unsubscribe', topics: ['t0'] });
      client.send({ type: 'subscribe', topics: ['t64'] });
      await client.sync();
      assert.equal(relay.health().topics, 65);
      assert.equal(relay.health().framesRejected['too-many-topics'], 2);
      await client.close();
    });
  });

  it('rejects topics longer than maxTopicLength in subscribe, unsubscribe and publish', async () => {
    await abuse({ maxTopicLength: 128 }, async (relay) => {
      const client = await TestClient.connect(relay.url);
      const longest = 'a'.repeat(128);
      const tooLong = 'a'.repeat(129);
      for (const frame of [
        { type: 'subscribe', topics: [tooLong] },
        { type: 'subscribe', topics: ['fine', tooLong] },
        { type: 'unsubscribe', topics: [tooLong] },
        { type: 'publish', topic: tooLong, data: 1 },
      ]) {
        assert.ok(isError('topic-too-long')(await answerTo(client, JSON.stringify(frame))), frame.type);
      }
      assert.equal(relay.health().topics, 1);
      client.send({ type: 'subscribe', topics: [longest] });
      client.send({ type: 'publish', topic: longest, data: 1 });
      assert.deepEqual(await client.nextAny(), { type: 'publish', topic: longest, data: 1 });
      await client.close();
    });
  });

  it('refuses subscribers beyond maxSubscribersPerTopic with topic-full', async () => {
    await abuse({ maxSubscribersPerTopic: 2 }, async (relay) => {
      const a = await subscriber(relay.url, ['crowded']);
      const b = await subscriber(relay.url, ['crowded']);
      const c = await TestClient.connect(relay.url);
      const answer = await answerTo(c, JSON.stringify({ type: 'subscribe', topics: ['crowded', 'quiet'] }));
      assert.deepEqual(answer, { type: 'error', reason: 'topic-full', detail: 'crowded' });
      c.send({ type: 'publish', topic: 'crowded', data: 1 });
      assert.deepEqual(await a.next((m) => m.type === 'publish'), {
        type: 'publish',
        topic: 'crowded',
        data: 1,
      });
      // The topics that had room were still joined.
      c.send({ type: 'publish', topic: 'quiet', data: 2 });
      assert.deepEqual(await c.nextAny(), { type: 'publish', topic: 'quiet', data: 2 });
      await Promise.all([a.close(), b.close(), c.close()]);
    });
  });

  it('refuses WebSocket upgrades beyond maxConnections with HTTP 503, and recovers', async () => {
    await abuse({ maxConnections: 2 }, async (relay, bystander) => {
      const second = await TestClient.connect(relay.url);
      await assert.rejects(TestClient.connect(relay.url), /503/);
      assert.equal(relay.health().dropped['max-connections'], 1);
      await bystander.sync();
      await second.close();
      await eventually(() => (relay.health().connections === 1 ? true : undefined), 'a free slot');
      // assertStillServing (run by abuse) now needs that slot for its newcomer.
    });
  });

  it('closes a connection exceeding the frame rate with 1008, sparing well-behaved ones', async () => {
    await abuse({ rateLimitPerSecond: 200, rateLimitBurst: 400 }, async (relay) => {
      const polite = await TestClient.connect(relay.url);
      for (let i = 0; i < 300; i++) polite.send({ type: 'ping' });
      for (let i = 0; i < 300; i++) await polite.next((m) => m.type === 'pong');

      const flooder = await TestClient.connect(relay.url);
      for (let i = 0; i < 2000 && flooder.ws.readyState === flooder.ws.OPEN; i++)
        flooder.send({ type: 'ping' });
      assert.deepEqual(await withTimeout(flooder.closed, 3000, 'close'), {
        code: 1008,
        reason: 'rate-limit',
      });
      assert.equal(relay.health().dropped['rate-limit'], 1);
      await polite.sync();
      await polite.close();
    });
  });

  it('drops a slow reader whose send queue exceeds maxBufferedBytes, without affecting others', async () => {
    // The flooder is allowed to go fast here so the test finishes quickly; the slow reader is the subject.
    const fast = 1 << 30;
    const opts = {
      maxBufferedBytes: 1024 * 1024,
      rateLimitPerSecond: 100_000,
      rateLimitBurst: 100_000,
      publishBytesBurst: fast,
      publishBytesPerSecond: fast,
      publishBytesBurstPerAddress: fast,
      publishBytesPerSecondPerAddress: fast,
    };
    await abuse(opts, async (relay, bystander) => {
      const slow = await subscriber(relay.url, ['firehose']);
      const flooder = await TestClient.connect(relay.url);
      (slow.ws as unknown as { _socket: Socket })._socket.pause();
      const frame = JSON.stringify({ type: 'publish', topic: 'firehose', data: 'x'.repeat(60_000) });
      await eventually(
        async () => {
          if (relay.health().dropped['send-queue-full'] === 1) return true;
          for (let i = 0; i < 16; i++) flooder.ws.send(frame);
          await new Promise((r) => setTimeout(r, 5));
          return undefined;
        },
        'the slow reader to be dropped',
        15_000,
      );
      assert.equal(relay.health().connections, 3);
      // Publishing to the topic now reaches nobody: the slow reader was unsubscribed when dropped.
      await flooder.sync();
      await bystander.sync();
      (slow.ws as unknown as { _socket: Socket })._socket.resume();
      assert.deepEqual(await withTimeout(slow.closed, 10_000, 'the slow reader to see its close'), {
        code: 1008,
        reason: 'send-queue-full',
      });
      assert.equal(relay.health().dropped['send-queue-full'], 1);
      await flooder.close();
    });
  });
});
