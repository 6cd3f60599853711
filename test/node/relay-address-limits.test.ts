// Issue 12 / SECURITY-REVIEW finding 8 against the real relay on loopback: one client address can no
// longer hold every connection slot or squat rooms, a refused subscriber tries again with backoff, and
// frames are forwarded without metadata. Other client addresses are 127.0.0.x sources (Linux routes all
// of 127/8 to the loopback interface).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { WebSocket as NodeWebSocket } from 'ws';
import { gridTopic } from '../../src/net/seal.ts';
import { SignalingClient } from '../../src/net/signaling.ts';
import { relayDefaults, startRelay } from '../../src/relay/relay.ts';
import type { Relay, RelayOptions } from '../../src/relay/relay.ts';
import { eventually, subscriber, TestClient } from './helpers/relay-client.ts';

const ATTACKER = '127.0.0.2';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relay(opts: Partial<RelayOptions> = {}): Promise<Relay> {
  const r = await startRelay({ host: '127.0.0.1', port: 0, ...opts });
  cleanups.push(() => r.close());
  return r;
}

async function connect(url: string, from?: string): Promise<TestClient> {
  const client = await TestClient.connect(url, from);
  cleanups.push(() => client.ws.terminate());
  return client;
}

describe('relay: per-address bounds', { timeout: 30_000 }, () => {
  it('documents its per-address defaults', () => {
    assert.equal(relayDefaults.maxConnectionsPerAddress, 32);
    assert.equal(relayDefaults.maxSubscriptionsPerAddress, 256);
    assert.ok(relayDefaults.maxConnectionsPerAddress < relayDefaults.maxConnections);
  });

  it('idle sockets from one address no longer fill the relay: the excess is closed with a reason', async () => {
    // The review's attack, scaled down: the relay's total is 16, one address tries to take all of it.
    const r = await relay({ maxConnections: 16, maxConnectionsPerAddress: 4 });
    const held: TestClient[] = [];
    for (let i = 0; i < 4; i++) held.push(await connect(r.url, ATTACKER));
    const refused: { code: number; reason: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const extra = await connect(r.url, ATTACKER);
      refused.push(await extra.closed);
    }
    assert.deepEqual(
      new Set(refused.map((c) => `${c.code} ${c.reason}`)),
      new Set(['1008 address-connection-limit']),
    );
    assert.equal(r.health().dropped['address-connection-limit'], 12);
    assert.equal(r.health().connections, 4);
    // A member from another address is still served, and hears another member.
    const member = await subscriber(r.url, ['room'], '127.0.0.1');
    const other = await subscriber(r.url, ['room'], '127.0.0.3');
    other.send({ type: 'publish', topic: 'room', data: 'hello' });
    assert.deepEqual(await member.next((m) => m.type === 'publish'), {
      type: 'publish',
      topic: 'room',
      data: 'hello',
    });
    // The held sockets are still fine: bounded, not punished.
    await held[0]!.sync();
    // And a slot freed is a slot the address may use again.
    await held[1]!.close();
    await eventually(() => (r.health().connections === 5 ? true : undefined), 'the close to be seen');
    const again = await connect(r.url, ATTACKER);
    await again.sync();
  });

  it('bounds subscriptions across all connections of one address', async () => {
    const r = await relay({ maxSubscriptionsPerAddress: 3 });
    const a = await connect(r.url, ATTACKER);
    const b = await connect(r.url, ATTACKER);
    a.send({ type: 'subscribe', topics: ['t1', 't2'] });
    await a.sync();
    b.send({ type: 'subscribe', topics: ['t3', 't4'] });
    assert.deepEqual(await b.next((m) => m.type === 'error'), {
      type: 'error',
      reason: 'address-topic-limit',
      detail: 'max 3 subscriptions per address',
    });
    assert.equal(r.health().framesRejected['address-topic-limit'], 1);
    assert.equal(r.health().topics, 2, 'the refused frame subscribed to nothing');
    // Another address is not affected.
    const c = await subscriber(r.url, ['t3', 't4', 't5', 't6'], '127.0.0.1');
    await c.sync();
    // Leaving a topic (or closing) gives the address its room back.
    a.send({ type: 'unsubscribe', topics: ['t1', 't2'] });
    await a.sync();
    b.send({ type: 'subscribe', topics: ['t3', 't4'] });
    await b.sync();
    c.send({ type: 'publish', topic: 't4', data: 1 });
    assert.deepEqual(await b.next((m) => m.type === 'publish'), { type: 'publish', topic: 't4', data: 1 });
  });

  it('bounds publish bytes: a connection past its byte budget is closed, an address past its own is refused even across reconnects', async () => {
    const r = await relay({
      publishBytesBurst: 40_000,
      publishBytesPerSecond: 1_000,
      publishBytesBurstPerAddress: 100_000,
      publishBytesPerSecondPerAddress: 1_000,
    });
    const member = await subscriber(r.url, ['room'], '127.0.0.1');
    const big = 'x'.repeat(9_000);
    // One connection: four 9 KB publishes fit its 40 KB, the fifth closes it.
    const flooder = await subscriber(r.url, ['room'], ATTACKER);
    for (let i = 0; i < 5; i++) flooder.send({ type: 'publish', topic: 'room', data: big });
    assert.deepEqual(await flooder.closed, { code: 1008, reason: 'byte-rate-limit' });
    assert.equal(r.health().dropped['byte-rate-limit'], 1);
    // Reconnecting gives a fresh connection bucket, not a fresh address bucket: 100 KB in all, then refused.
    let refused = 0;
    for (let c = 0; c < 3 && refused === 0; c++) {
      const again = await subscriber(r.url, ['room'], ATTACKER);
      for (let i = 0; i < 4; i++) again.send({ type: 'publish', topic: 'room', data: big });
      await again.sync();
      refused = r.health().framesRejected['address-byte-limit'] ?? 0;
      await again.close();
    }
    assert.ok(refused >= 1, 'the address bucket ran out');
    // The member is served, and another address publishes as before.
    const other = await subscriber(r.url, ['room'], '127.0.0.3');
    other.send({ type: 'publish', topic: 'room', data: 'honest' });
    await member.next((m) => m.data === 'honest');
  });

  it('forwards frames as sent: no subscriber count, and a sender’s own `clients` is removed', async () => {
    const r = await relay();
    const a = await subscriber(r.url, ['room']);
    const b = await subscriber(r.url, ['room']);
    b.send({ type: 'publish', topic: 'room', data: 'x', clients: 999 });
    const got = await a.next((m) => m.type === 'publish');
    assert.deepEqual(got, { type: 'publish', topic: 'room', data: 'x' });
    assert.equal('clients' in got, false);
  });
});

describe('signaling client: a refused subscribe is retried with backoff', { timeout: 30_000 }, () => {
  it('a member refused with topic-full joins its room once the squatters leave', async () => {
    const r = await relay({ maxSubscribersPerTopic: 2 });
    const gridId = new Uint8Array(randomBytes(32));
    const topic = gridTopic(gridId);
    // Squatters hold the room (anyone who knows the hashed topic can: a grid-id holder, the operator).
    const squatters = [
      await subscriber(r.url, [topic], ATTACKER),
      await subscriber(r.url, [topic], ATTACKER),
    ];
    const inbox: unknown[] = [];
    const late = new SignalingClient({
      relays: [r.url],
      gridId,
      selfId: 'late',
      WebSocket: NodeWebSocket as unknown as typeof WebSocket,
      backoff: { baseMs: 20, maxMs: 200 },
      onMessage: (_from, payload) => inbox.push(payload),
    });
    late.start();
    cleanups.push(() => late.stop());
    await eventually(
      () => ((late.status().dropped['relay-topic-full'] ?? 0) >= 2 ? true : undefined),
      'the refusal, and at least one retry refused again',
    );
    assert.equal(late.status().relays[0]?.state, 'open', 'refused, but the connection is kept');
    const refusals = r.health().framesRejected['topic-full'] ?? 0;
    // Backoff: with base 20 ms and a 200 ms cap, half a second holds a handful of retries, not hundreds.
    await new Promise((res) => setTimeout(res, 500));
    const inHalfASecond = (r.health().framesRejected['topic-full'] ?? 0) - refusals;
    assert.ok(inHalfASecond >= 1 && inHalfASecond <= 6, `retries in 500 ms: ${inHalfASecond}`);
    // The squatters leave: the late member gets in by its own retry (nobody restarts it) and hears a member.
    await Promise.all(squatters.map((q) => q.close()));
    const member = new SignalingClient({
      relays: [r.url],
      gridId,
      selfId: 'member',
      WebSocket: NodeWebSocket as unknown as typeof WebSocket,
      backoff: { baseMs: 20, maxMs: 200 },
    });
    member.start();
    cleanups.push(() => member.stop());
    await eventually(() => (member.status().relays[0]?.state === 'open' ? true : undefined), 'member open');
    await eventually(async () => {
      await member.send({ hi: 'late' });
      await new Promise((res) => setTimeout(res, 50));
      return inbox.length > 0 ? true : undefined;
    }, 'the late member to hear the grid');
    assert.deepEqual(inbox[0], { hi: 'late' });
  });
});
