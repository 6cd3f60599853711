// The raw y-webrtc signaling protocol, as one suite run against both our relay and y-webrtc's reference
// server: if both pass, a y-webrtc client cannot tell them apart on these frames.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { subscriber, TestClient } from './relay-client.ts';
import type { Msg } from './relay-client.ts';

/** A frame without the `clients` count the reference server adds (ours forwards frames as sent). */
function plain({ clients: _count, ...frame }: Msg): Msg {
  return frame;
}

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export function protocolSuite(start: () => Promise<RunningServer>): void {
  let server: RunningServer;
  const clients: TestClient[] = [];
  const connect = async (topics: string[]): Promise<TestClient> => {
    const client = await subscriber(server.url, topics);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    server = await start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
  });

  it('delivers a publish to every subscriber of the topic, sender included, with the receiver count', async () => {
    const alice = await connect(['room-a']);
    const bob = await connect(['room-a']);
    const frame = { type: 'publish', topic: 'room-a', data: { type: 'announce', from: 'bob-peer-id' } };
    bob.send(frame);
    assert.deepEqual(plain(await alice.nextAny()), frame);
    assert.deepEqual(plain(await bob.nextAny()), frame);
  });

  it('delivers to publishers that are not subscribed, and only to subscribers of that topic', async () => {
    const alice = await connect(['room-a']);
    const carol = await connect(['room-c']);
    const outsider = await connect([]);
    outsider.send({ type: 'publish', topic: 'room-a', data: 'for a' });
    outsider.send({ type: 'publish', topic: 'room-c', data: 'for c' });
    assert.deepEqual(plain(await alice.nextAny()), { type: 'publish', topic: 'room-a', data: 'for a' });
    // Frames from one sender are relayed in order, so carol seeing "for c" first proves "for a" skipped her.
    assert.deepEqual(plain(await carol.nextAny()), { type: 'publish', topic: 'room-c', data: 'for c' });
    await outsider.sync();
  });

  it('stops delivering a topic after unsubscribe, keeping the other topics', async () => {
    const alice = await connect(['room-a', 'room-b']);
    const bob = await connect([]);
    alice.send({ type: 'unsubscribe', topics: ['room-a'] });
    await alice.sync();
    bob.send({ type: 'publish', topic: 'room-a', data: 1 });
    bob.send({ type: 'publish', topic: 'room-b', data: 2 });
    assert.deepEqual(plain(await alice.nextAny()), { type: 'publish', topic: 'room-b', data: 2 });
  });

  it('answers an application-level ping with pong', async () => {
    const alice = await connect([]);
    alice.send({ type: 'ping' });
    assert.deepEqual(await alice.nextAny(), { type: 'pong' });
  });
}
