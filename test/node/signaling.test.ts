// SignalingClient end to end over real relays on loopback: our relay, y-webrtc's reference server, and a
// scripted fake relay for what a well-behaved relay never does (garbage frames, no pongs, hung handshakes).
// Every assert.ok has a message: without one, Node 20 re-reads the call site to build it, and on some tsx-compiled
// lines that hangs the process instead of failing the test.
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import type { WebSocket as NodeSocket } from 'ws';
import { startRelay } from '../../src/relay/relay.ts';
import type { Relay } from '../../src/relay/relay.ts';
import { deriveSignalKey, gridTopic, IV_BYTES, seal } from '../../src/net/seal.ts';
import {
  MAX_PLAINTEXT_BYTES,
  SignalingClient,
  SignalingConfigError,
  SignalingPayloadError,
} from '../../src/net/signaling.ts';
import type { MessageInfo, SignalingOptions, SignalingStatus } from '../../src/net/signaling.ts';
import { startReferenceServer } from './helpers/reference-server.ts';
import { eventually, getHealth, subscriber } from './helpers/relay-client.ts';
import type { Msg } from './helpers/relay-client.ts';

const WS = NodeWebSocket as unknown as typeof WebSocket;
const FAST = { baseMs: 20, maxMs: 200 };
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const newGrid = (): Uint8Array => new Uint8Array(randomBytes(32));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Received {
  from: string;
  payload: unknown;
  info: MessageInfo;
}

interface TestNode {
  id: string;
  client: SignalingClient;
  /** Messages received, except settle()'s probes. */
  inbox: Received[];
  /** Numbers of the probes received. */
  probes: number[];
  statuses: SignalingStatus[];
  dropped(reason: string): number;
}

// Everything a test starts, stopped after it (in reverse order) whether it passed or not.
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relay(port = 0): Promise<Relay> {
  const r = await startRelay({ host: '127.0.0.1', port });
  cleanups.push(() => r.close());
  return r;
}

/** A loopback port that nothing listens on (yet). */
async function freePort(): Promise<number> {
  const r = await startRelay({ host: '127.0.0.1', port: 0 });
  await r.close();
  return r.port;
}

function node(
  id: string,
  relays: string[],
  gridId: Uint8Array,
  extra: Partial<SignalingOptions> = {},
): TestNode {
  const inbox: Received[] = [];
  const probes: number[] = [];
  const statuses: SignalingStatus[] = [];
  const client = new SignalingClient({
    relays,
    gridId,
    selfId: id,
    WebSocket: WS,
    backoff: FAST,
    onMessage: (from, payload, info) => {
      const probe = probeNumber(payload);
      if (probe === undefined) inbox.push({ from, payload, info });
      else probes.push(probe);
    },
    onStatus: (s) => statuses.push(s),
    ...extra,
  });
  cleanups.push(() => client.stop());
  client.start();
  return { id, client, inbox, probes, statuses, dropped: (reason) => client.status().dropped[reason] ?? 0 };
}

function openCount(n: TestNode): number {
  return n.client.status().relays.filter((r) => r.state === 'open').length;
}

async function waitOpen(nodes: TestNode[], count = 1): Promise<void> {
  await eventually(() => nodes.every((n) => openCount(n) === count) || undefined, `${count} open relay(s)`);
}

const probeNumber = (payload: unknown): number | undefined =>
  typeof payload === 'object' && payload !== null && 'probe' in payload ? Number(payload.probe) : undefined;

/**
 * Sends numbered probes from `sender` until every receiver has heard the latest one (and `also()` holds). A
 * client reports a relay open before the relay has processed its subscribe frame, so the first message after
 * opening may race it; a resent probe cannot. Probes are kept out of the inboxes tests look at.
 */
async function settle(sender: TestNode, receivers: TestNode[], also = (): boolean => true): Promise<void> {
  let probe = 0;
  let sentAt = 0;
  await eventually(async () => {
    if (probe > 0 && receivers.every((r) => r.probes.includes(probe)) && also()) return true;
    if (Date.now() - sentAt > 50) {
      sentAt = Date.now();
      await sender.client.send({ probe: ++probe });
    }
    return undefined;
  }, `probes from ${sender.id} to get through`);
}

const payloads = (n: TestNode): unknown[] => n.inbox.map((m) => m.payload);

/** Decrypts a relayed `data` string with node:crypto, following the documented format only. */
function independentOpen(gridId: Uint8Array, data: string): unknown {
  const key = Buffer.from(hkdfSync('sha256', gridId, new Uint8Array(0), 'gridnode/signal/v1', 32));
  const bytes = Buffer.from(data, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
  return JSON.parse(plain.toString('utf8'));
}

/** A sealed `data` string as a grid member would produce, around arbitrary plaintext. */
async function sealText(gridId: Uint8Array, plaintext: string | Uint8Array): Promise<string> {
  const bytes = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext;
  return seal(await deriveSignalKey(gridId), bytes, new Uint8Array(randomBytes(IV_BYTES)));
}

const envelope = (fields: Record<string, unknown>): string =>
  JSON.stringify({ v: 1, id: hex(randomBytes(16)), from: 'raw', payload: 'x', ...fields });

/** A scripted relay: records what clients send, and sends whatever the test tells it to. */
class FakeRelay {
  readonly transcripts: string[][] = [];
  readonly sockets: NodeSocket[] = [];
  answerPings = true;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {
    wss.on('connection', (ws) => {
      const transcript: string[] = [];
      this.transcripts.push(transcript);
      this.sockets.push(ws);
      ws.on('error', () => {});
      ws.on('message', (data) => {
        transcript.push(data.toString());
        if (this.answerPings && data.toString() === '{"type":"ping"}') ws.send('{"type":"pong"}');
      });
    });
  }

  static async start(): Promise<FakeRelay> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const fake = new FakeRelay(wss, `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
    cleanups.push(() => fake.close());
    return fake;
  }

  /** Sends to the most recent connection. */
  send(data: string | Buffer): void {
    this.sockets.at(-1)!.send(data);
  }

  close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

describe('signaling: messaging through our relay', { timeout: 30_000 }, () => {
  it('delivers broadcasts to every other node and addressed messages only to the addressee', async () => {
    const r = await relay();
    const grid = newGrid();
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((id) => node(id, [r.url], grid)) as [
      TestNode,
      TestNode,
      TestNode,
    ];
    await waitOpen([alice, bob, carol]);
    await settle(alice, [bob, carol]);
    await settle(bob, [alice, carol]);

    assert.equal(await alice.client.send({ hello: 'all' }), 1);
    await eventually(() => (bob.inbox.length && carol.inbox.length) || undefined, 'the broadcast');
    for (const n of [bob, carol]) {
      assert.deepEqual(n.inbox[0]?.from, 'alice');
      assert.deepEqual(n.inbox[0]?.payload, { hello: 'all' });
      assert.equal(n.inbox[0]?.info.direct, false);
    }

    const notForUs = bob.dropped('not-for-us');
    await alice.client.send({ offer: 'for carol' }, 'carol');
    await eventually(() => carol.inbox.length === 2 || undefined, 'the addressed message');
    assert.deepEqual(carol.inbox[1]?.payload, { offer: 'for carol' });
    assert.equal(carol.inbox[1]?.info.direct, true);
    await eventually(() => bob.dropped('not-for-us') === notForUs + 1 || undefined, 'bob to drop it');
    assert.equal(bob.inbox.length, 1);

    await carol.client.send({ answer: 'for alice' }, 'alice');
    await eventually(() => alice.inbox.length === 1 || undefined, "carol's answer");
    assert.deepEqual(alice.inbox[0], {
      from: 'carol',
      payload: { answer: 'for alice' },
      info: { id: alice.inbox[0]?.info.id, direct: true },
    });
    assert.match(alice.inbox[0]?.info.id ?? '', /^[0-9a-f]{32}$/);
    // Relays echo to the sender; the client must never hand a node its own messages.
    await eventually(() => carol.dropped('own-echo') > 0 || undefined, "carol's echo");
    for (const n of [alice, bob, carol]) {
      assert.deepEqual(
        n.inbox.filter((m) => m.from === n.id),
        [],
        `${n.id} heard itself`,
      );
    }
    assert.equal(alice.client.status().received, alice.inbox.length + alice.probes.length);
    assert.ok(alice.client.status().sent >= 2, 'sent counts messages');
  });

  it('shows the relay only the hashed topic and opaque data', async () => {
    const r = await relay();
    const grid = newGrid();
    const topic = createHash('sha256').update('gridnode/topic/v1').update(grid).digest('hex');
    const spy = await subscriber(r.url, [topic]);
    cleanups.push(() => spy.close());
    const alice = node('alice-node', [r.url], grid);
    const bob = node('bob-node', [r.url], grid);
    await waitOpen([alice, bob]);
    await settle(alice, [bob]);

    const secret = 'plaintext-marker-7d1f';
    await alice.client.send({ secret }, 'bob-node');
    await eventually(() => bob.inbox.length === 1 || undefined, 'the message');
    // Skips the broadcast probes settle() sent.
    const frame = await spy.next(
      (m) => m.type === 'publish' && (independentOpen(grid, m.data as string) as Msg).to === 'bob-node',
    );

    assert.deepEqual(Object.keys(frame).sort(), ['data', 'topic', 'type']);
    assert.equal(frame.topic, topic);
    const wire = JSON.stringify(frame) + Buffer.from(frame.data as string, 'base64url').toString('latin1');
    for (const leak of [hex(grid), secret, 'alice-node', 'bob-node', 'payload']) {
      assert.ok(!wire.includes(leak), `the relay saw ${leak}`);
    }
    const opened = independentOpen(grid, frame.data as string) as Msg;
    assert.deepEqual(opened, {
      v: 1,
      id: opened.id,
      from: 'alice-node',
      to: 'bob-node',
      payload: { secret },
    });
    assert.match(opened.id as string, /^[0-9a-f]{32}$/);
  });

  it('sends exactly the y-webrtc frames: subscribe to the hashed topic, publish, ping', async () => {
    const fake = await FakeRelay.start();
    const grid = newGrid();
    const alice = node('alice', [fake.url], grid, { pingIntervalMs: 200 });
    await waitOpen([alice]);
    await alice.client.send({ secret: 'abc' });
    await eventually(() => fake.transcripts[0]?.some((f) => f.includes('ping')) || undefined, 'a ping');
    const [subscribe, publish, ping] = fake.transcripts[0]!.map((f) => JSON.parse(f) as Msg);
    assert.deepEqual(subscribe, { type: 'subscribe', topics: [gridTopic(grid)] });
    assert.deepEqual(Object.keys(publish!), ['type', 'topic', 'data']);
    assert.equal(publish!.type, 'publish');
    assert.equal(publish!.topic, gridTopic(grid));
    assert.match(publish!.data as string, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(ping, { type: 'ping' });
    assert.ok(!fake.transcripts[0]!.join('').includes(hex(grid)), 'the grid id was sent');
  });

  it('keeps nodes of another grid apart on the same relay', async () => {
    const r = await relay();
    const grid = newGrid();
    const alice = node('alice', [r.url], grid);
    const bob = node('bob', [r.url], grid);
    const mallory = node('mallory', [r.url], newGrid());
    await waitOpen([alice, bob, mallory]);
    await settle(alice, [bob]);

    // Its own echo proves the relay has fanned a message out, so nobody else can still be about to get it.
    await mallory.client.send({ from: 'the other grid' });
    await eventually(() => mallory.dropped('own-echo') === 1 || undefined, "mallory's echo");
    const echoes = alice.dropped('own-echo');
    await alice.client.send({ to: 'the grid' });
    await eventually(() => bob.inbox.length === 1 || undefined, "alice's message");
    await eventually(() => alice.dropped('own-echo') > echoes || undefined, "alice's echo");
    assert.deepEqual(payloads(bob), [{ to: 'the grid' }]);
    assert.deepEqual(alice.inbox, []);
    assert.deepEqual(mallory.inbox, []);
    assert.deepEqual(mallory.client.status().dropped, { 'own-echo': 1 });
  });

  it('delivers messages in the order they were sent, however long each encryption takes', async () => {
    const r = await relay();
    const grid = newGrid();
    const alice = node('alice', [r.url], grid);
    const bob = node('bob', [r.url], grid);
    await waitOpen([alice, bob]);
    await settle(alice, [bob]);
    // Random latency on every WebCrypto call, so completion order no longer follows call order by luck.
    const subtle = globalThis.crypto.subtle as unknown as Record<string, unknown>;
    for (const name of ['encrypt', 'decrypt']) {
      const original = subtle[name] as (...args: unknown[]) => Promise<unknown>;
      subtle[name] = async (...args: unknown[]) => {
        await sleep(Math.random() * 5);
        return original.apply(globalThis.crypto.subtle, args);
      };
      cleanups.push(() => delete subtle[name]);
    }
    const sends = Array.from({ length: 40 }, (_, i) => alice.client.send(i));
    assert.deepEqual(await Promise.all(sends), Array(40).fill(1));
    await eventually(() => bob.inbox.length === 40 || undefined, '40 messages');
    assert.deepEqual(payloads(bob), [...Array(40).keys()]);
  });

  it('sends the largest allowed message through the relay, and refuses bigger or non-JSON ones', async () => {
    const r = await relay();
    const grid = newGrid();
    const alice = node('alice', [r.url], grid);
    const bob = node('bob', [r.url], grid);
    await waitOpen([alice, bob]);
    await settle(alice, [bob]);
    const empty = { v: 1, id: 'f'.repeat(32), from: 'alice', to: 'bob', payload: '' };
    const overhead = JSON.stringify(empty).length;
    const biggest = 'x'.repeat(MAX_PLAINTEXT_BYTES - overhead);
    assert.equal(await alice.client.send(biggest, 'bob'), 1);
    await eventually(() => bob.inbox.length === 1 || undefined, 'the biggest message');
    assert.equal(bob.inbox[0]?.payload, biggest);
    await assert.rejects(alice.client.send(biggest + 'x', 'bob'), SignalingPayloadError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(alice.client.send(cyclic), SignalingPayloadError);
    await assert.rejects(alice.client.send(undefined), SignalingPayloadError);
    await assert.rejects(alice.client.send(1, ''), SignalingPayloadError);
    await assert.rejects(alice.client.send(1, 'x'.repeat(257)), SignalingPayloadError);
    assert.deepEqual((await getHealth(`http://127.0.0.1:${r.port}`)).framesRejected, {});
    assert.equal(alice.dropped('relay-error'), 0);
  });

  it('refuses bad options with SignalingConfigError', () => {
    const ok = { relays: ['ws://127.0.0.1:1'], gridId: newGrid(), selfId: 'me', WebSocket: WS };
    for (const bad of [
      { WebSocket: undefined },
      { gridId: new Uint8Array(31) },
      { selfId: '' },
      { relays: [] },
      { relays: ['http://127.0.0.1:1'] },
      { relays: ['not a url'] },
      { backoff: { baseMs: 1000, maxMs: 10 } },
      { pingIntervalMs: 0 },
    ]) {
      assert.throws(() => new SignalingClient({ ...ok, ...bad }), SignalingConfigError, JSON.stringify(bad));
    }
    assert.doesNotThrow(() => new SignalingClient(ok));
  });
});

describe("signaling: y-webrtc's reference server", { timeout: 30_000 }, () => {
  it('works unchanged against node_modules/y-webrtc/bin/server.js', async () => {
    const server = await startReferenceServer();
    cleanups.push(() => server.stop());
    const grid = newGrid();
    const alice = node('alice', [server.url], grid);
    const bob = node('bob', [server.url], grid);
    const carol = node('carol', [server.url], grid);
    await waitOpen([alice, bob, carol]);
    await settle(alice, [bob, carol]);
    await bob.client.send({ hi: 'everyone' });
    await bob.client.send({ offer: 1 }, 'carol');
    await eventually(() => (alice.inbox.length === 1 && carol.inbox.length === 2) || undefined, 'messages');
    assert.deepEqual(payloads(alice), [{ hi: 'everyone' }]);
    assert.deepEqual(payloads(carol), [{ hi: 'everyone' }, { offer: 1 }]);
    await eventually(() => alice.dropped('not-for-us') === 1 || undefined, 'alice to skip the offer');
  });
});

describe('signaling: several relays, failures and reconnects', { timeout: 30_000 }, () => {
  it('uses the relay that is up, connects to the other when it comes up, and delivers copies once', async () => {
    const up = await relay();
    const downPort = await freePort();
    const downUrl = `ws://127.0.0.1:${downPort}`;
    const grid = newGrid();
    const alice = node('alice', [downUrl, up.url], grid);
    const bob = node('bob', [downUrl, up.url], grid);
    await waitOpen([alice, bob], 1);
    await eventually(() => (alice.client.status().relays[0]!.failures >= 2 ? true : undefined), 'retries');
    const [down] = alice.client.status().relays;
    assert.equal(down?.url, downUrl);
    assert.notEqual(down?.state, 'open');
    await settle(alice, [bob]);
    await alice.client.send({ via: 'the live relay' });
    await eventually(() => bob.inbox.length === 1 || undefined, 'a message through the live relay');

    const second = await relay(downPort);
    await waitOpen([alice, bob], 2);
    assert.deepEqual(
      alice.client.status().relays.map((r) => [r.state, r.failures, r.nextRetryAt]),
      [
        ['open', 0, undefined],
        ['open', 0, undefined],
      ],
    );
    // Once bob hears alice on both relays, every message reaches him twice; he must deliver it once.
    await settle(alice, [bob], () => bob.dropped('duplicate') > 0);
    await sleep(100); // for the other copy of the last probe, if it was not the one counted
    const dupes = bob.dropped('duplicate');
    for (let i = 0; i < 10; i++) assert.equal(await alice.client.send({ n: i }), 2);
    await eventually(() => bob.dropped('duplicate') === dupes + 10 || undefined, 'both copies of all 10');
    assert.deepEqual(payloads(bob), [
      { via: 'the live relay' },
      ...Array.from({ length: 10 }, (_, n) => ({ n })),
    ]);

    // Either relay alone is enough.
    await up.close();
    await eventually(() => (openCount(alice) === 1 && openCount(bob) === 1) || undefined, 'one relay left');
    await alice.client.send({ via: 'the second relay' });
    await eventually(() => bob.inbox.length === 12 || undefined, 'a message through the second relay');
    assert.deepEqual(bob.inbox.at(-1)?.payload, { via: 'the second relay' });
    await second.close();
  });

  it('reconnects after the relay restarts on the same port', async () => {
    const first = await relay();
    const grid = newGrid();
    const alice = node('alice', [first.url], grid);
    const bob = node('bob', [first.url], grid);
    await waitOpen([alice, bob]);
    await settle(alice, [bob]);

    await first.close();
    await eventually(() => (openCount(alice) + openCount(bob) === 0 ? true : undefined), 'both to notice');
    await eventually(() => (alice.client.status().relays[0]!.failures >= 1 ? true : undefined), 'failures');
    assert.equal(await alice.client.send('into the void'), 0);
    assert.equal(alice.dropped('no-open-relay'), 1);

    await relay(first.port);
    await waitOpen([alice, bob]);
    assert.equal(alice.client.status().relays[0]!.failures, 0);
    await settle(alice, [bob]);
    await bob.client.send({ back: true }, 'alice');
    await eventually(() => alice.inbox.length === 1 || undefined, 'a message after the restart');
    assert.deepEqual(payloads(alice), [{ back: true }]);
    const states = alice.statuses.map((s) => s.relays[0]!.state);
    assert.deepEqual(states.slice(0, 2), ['connecting', 'open']);
    assert.ok(states.includes('closed'), 'reported closed while the relay was down');
    assert.equal(states.at(-1), 'open');
  });

  it('replaces a connection whose relay stops answering pings', async () => {
    const fake = await FakeRelay.start();
    fake.answerPings = false;
    const alice = node('alice', [fake.url], newGrid(), { pingIntervalMs: 30, pongTimeoutMs: 60 });
    await eventually(() => (fake.sockets.length >= 3 ? true : undefined), 'reconnects after missing pongs');
    assert.deepEqual(
      fake.transcripts[0]?.slice(0, 2).map((f) => (JSON.parse(f) as Msg).type),
      ['subscribe', 'ping'],
    );
    assert.ok(
      alice.statuses.some((s) => s.relays[0]!.state === 'closed' && s.relays[0]!.failures >= 1),
      'reported the dead connection',
    );
  });

  it('keeps a connection whose relay answers pings', async () => {
    const r = await relay();
    const alice = node('alice', [r.url], newGrid(), { pingIntervalMs: 20, pongTimeoutMs: 100 });
    await waitOpen([alice]);
    const statuses = alice.statuses.length;
    await sleep(400);
    assert.equal(alice.statuses.length, statuses, 'no state changes');
    assert.deepEqual(alice.client.status().relays[0], { url: r.url, state: 'open', failures: 0 });
    const health = await getHealth(`http://127.0.0.1:${r.port}`);
    assert.equal(health.connections, 1);
    assert.deepEqual(health.framesRejected, {});
  });

  it('gives up on a handshake that never completes and retries', async () => {
    const sockets: net.Socket[] = [];
    const tarpit = net.createServer((socket) => sockets.push(socket.on('error', () => {})));
    await new Promise<void>((resolve) => tarpit.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => tarpit.close(resolve));
    });
    const url = `ws://127.0.0.1:${(tarpit.address() as net.AddressInfo).port}`;
    const alice = node('alice', [url], newGrid(), { connectTimeoutMs: 50 });
    await eventually(() => (sockets.length >= 3 ? true : undefined), 'retried handshakes');
    assert.ok(alice.client.status().relays[0]!.failures >= 2, 'counts failed handshakes');
    assert.notEqual(alice.client.status().relays[0]!.state, 'open');
  });

  it('stop() closes every connection and leaves no timer behind', async () => {
    const r = await relay();
    const downUrl = `ws://127.0.0.1:${await freePort()}`;
    const timers = (): number => process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length;
    const baseline = timers();
    const alice = node('alice', [r.url, downUrl], newGrid());
    await eventually(
      () => (openCount(alice) === 1 && alice.client.status().relays[1]!.failures > 0) || undefined,
      'one open relay and one retrying',
    );
    assert.ok(timers() > baseline, 'the client has timers while running');

    alice.client.stop();
    assert.deepEqual(
      alice.client.status().relays.map((s) => [s.state, s.nextRetryAt]),
      [
        ['closed', undefined],
        ['closed', undefined],
      ],
    );
    await eventually(
      async () => (await getHealth(`http://127.0.0.1:${r.port}`)).connections === 0 || undefined,
      'close',
    );
    await eventually(() => timers() === baseline || undefined, 'timers to be gone');
    await sleep(300); // longer than FAST.maxMs: a surviving retry timer would reconnect
    assert.equal((await getHealth(`http://127.0.0.1:${r.port}`)).connections, 0);
    assert.equal(
      alice.statuses.at(-1)?.relays.every((s) => s.state === 'closed'),
      true,
    );
  });
});

describe('signaling: hostile input', { timeout: 30_000 }, () => {
  it('counts garbage published on the topic as dropped, by reason, and keeps working', async () => {
    const r = await relay();
    const grid = newGrid();
    const topic = gridTopic(grid);
    const alice = node('alice', [r.url], grid);
    await waitOpen([alice]);
    const raw = await subscriber(r.url, [topic]);
    cleanups.push(() => raw.close());
    const publish = (data: unknown): void => raw.send({ type: 'publish', topic, data });
    // alice's subscription must be in place before the garbage: wait for a valid message to reach her.
    const hello = await sealText(grid, envelope({ payload: 'hello' }));
    await eventually(() => {
      if (alice.inbox.length > 0) return true;
      publish(hello);
      return undefined;
    }, 'alice to be subscribed');
    // Frames are handled in order, so once this arrives the extra hellos are counted too.
    publish(await sealText(grid, envelope({ payload: 'marker' })));
    await eventually(() => (alice.inbox.at(-1)?.payload === 'marker' ? true : undefined), 'the marker');
    const before = alice.client.status();

    for (const data of [42, null, { nested: 'object' }, ['a']]) publish(data);
    for (const data of ['not base64!', 'abc=', 'a'.repeat(5)]) publish(data);
    publish(randomBytes(60).toString('base64url'));
    publish(await sealText(newGrid(), envelope({})));
    publish(await sealText(grid, new Uint8Array([0xff, 0xfe, 0x00])));
    publish(await sealText(grid, '{"v":1, truncated'));
    for (const bad of [
      'null',
      '[]',
      envelope({ v: 2 }),
      envelope({ id: 'zz' }),
      envelope({ id: hex(randomBytes(15)) }),
      envelope({ from: '' }),
      envelope({ from: 7 }),
      envelope({ to: 7 }),
      JSON.stringify({ v: 1, id: hex(randomBytes(16)), from: 'raw' }),
    ]) {
      publish(await sealText(grid, bad));
    }
    publish(await sealText(grid, envelope({ payload: 'y'.repeat(MAX_PLAINTEXT_BYTES) })));
    publish(await sealText(grid, envelope({ to: 'someone-else' })));
    publish(await sealText(grid, envelope({ from: 'alice' })));
    const replayed = envelope({ payload: 'once' });
    publish(await sealText(grid, replayed));
    publish(await sealText(grid, replayed));
    publish(await sealText(grid, envelope({ payload: 'still alive' })));

    await eventually(
      () => (alice.inbox.at(-1)?.payload === 'still alive' ? true : undefined),
      'the last one',
    );
    assert.deepEqual(payloads(alice).slice(-2), ['once', 'still alive']);
    const after = alice.client.status();
    const delta = Object.fromEntries(
      Object.entries(after.dropped)
        .map(([k, v]) => [k, v - (before.dropped[k] ?? 0)])
        .filter(([, v]) => v),
    );
    assert.deepEqual(delta, {
      'data-not-string': 4,
      'bad-base64': 3,
      'decrypt-failed': 2,
      'bad-json': 2,
      'bad-shape': 9,
      'payload-too-large': 1,
      'not-for-us': 1,
      'own-echo': 1,
      duplicate: 1,
    });
    assert.equal(after.received - before.received, 2);
    assert.deepEqual(after.relays[0], { url: r.url, state: 'open', failures: 0 });
  });

  it('drops frames a relay should never send, and keeps working', async () => {
    const fake = await FakeRelay.start();
    const grid = newGrid();
    const alice = node('alice', [fake.url], grid);
    await waitOpen([alice]);
    await eventually(() => fake.transcripts[0]?.length || undefined, 'the subscribe frame');
    const topic = gridTopic(grid);
    fake.send(Buffer.from('binary'));
    fake.send('x'.repeat(64 * 1024 + 1));
    fake.send(JSON.stringify({ type: 'publish', topic, data: 'x'.repeat(64 * 1024) }));
    fake.send('{not json');
    fake.send('[1,2]');
    fake.send('"string"');
    fake.send(JSON.stringify({ type: 'announce' }));
    fake.send(JSON.stringify({ type: 'error', reason: 'topic-full' }));
    fake.send(JSON.stringify({ type: 'publish', topic: 'another-topic', data: 'x' }));
    fake.send(JSON.stringify({ type: 'publish', data: 'x' }));
    fake.send(JSON.stringify({ type: 'publish', topic }));
    fake.send(JSON.stringify({ type: 'pong' })); // unsolicited: ignored
    fake.send(
      JSON.stringify({ type: 'publish', topic, data: await sealText(grid, envelope({ payload: 'ok' })) }),
    );
    await eventually(() => alice.inbox.length === 1 || undefined, 'the valid message');
    assert.deepEqual(alice.client.status().dropped, {
      'binary-frame': 1,
      'frame-too-large': 2,
      'bad-frame': 3,
      'unknown-frame': 1,
      'relay-topic-full': 1,
      'wrong-topic': 2,
      'data-not-string': 1,
    });
    assert.deepEqual(alice.client.status().relays[0]?.state, 'open');
  });

  it('bounds the queue of frames waiting to be decrypted', async () => {
    const fake = await FakeRelay.start();
    const grid = newGrid();
    const alice = node('alice', [fake.url], grid);
    await waitOpen([alice]);
    await eventually(() => fake.transcripts[0]?.length || undefined, 'the subscribe frame');
    const frame = JSON.stringify({ type: 'publish', topic: gridTopic(grid), data: '!' });
    // Sent in one tick, they arrive in a few large reads: far faster than the queue drains.
    for (let i = 0; i < 1000; i++) fake.send(frame);
    await eventually(() => {
      const { dropped } = alice.client.status();
      const n =
        (dropped['bad-base64'] ?? 0) + (dropped['backlog-full'] ?? 0) + (dropped['inbound-budget'] ?? 0);
      return n === 1000 || undefined;
    }, 'all 1000 frames to be accounted for');
    // One relay connection gets a burst of 200 frames, then 50 a second, before any parsing: the
    // rest are dropped unread, and the decryption queue (256) never fills from one relay.
    assert.ok(alice.dropped('inbound-budget') >= 750, `inbound-budget: ${alice.dropped('inbound-budget')}`);
    assert.ok(alice.dropped('bad-base64') <= 250, 'at most the burst (and its refill) was read');
  });
});
