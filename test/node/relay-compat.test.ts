// Compatibility in both directions: the raw-protocol suite our relay passes also passes against y-webrtc's
// own reference server, and y-webrtc's own client code works through our relay.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket as NodeWebSocket } from 'ws';
import type { SignalingConn, WebrtcProvider } from 'y-webrtc';
import * as Y from 'yjs';
import { startRelay } from '../../src/relay/relay.ts';
import type { Relay } from '../../src/relay/relay.ts';
import { protocolSuite } from './helpers/protocol-suite.ts';
import { startReferenceServer } from './helpers/reference-server.ts';
import { subscriber, withTimeout } from './helpers/relay-client.ts';
import type { Msg, TestClient } from './helpers/relay-client.ts';

describe('y-webrtc reference server: same protocol suite', { timeout: 30_000 }, () => {
  protocolSuite(startReferenceServer);
});

/** Next message the y-webrtc signaling connection hands to its listeners that matches `match`. */
function nextSignal(conn: SignalingConn, match: (m: Msg) => boolean): Promise<Msg> {
  return withTimeout(
    new Promise<Msg>((resolve) => {
      const listener = (m: Msg): void => {
        if (!match(m)) return;
        conn.off('message', listener);
        resolve(m);
      };
      conn.on('message', listener);
    }),
    3000,
    'a message on the y-webrtc signaling connection',
  );
}

describe('y-webrtc client through our relay', { timeout: 20_000 }, () => {
  let relay: Relay;
  let raw: TestClient;
  let Provider: typeof WebrtcProvider;
  let provider: WebrtcProvider | undefined;
  const room = `gridnode-compat-${process.pid}`;
  // The tests below run in order on the provider the first one creates.
  const connected = (): { provider: WebrtcProvider; conn: SignalingConn } => {
    const conn: SignalingConn | undefined = provider?.signalingConns[0];
    assert.ok(provider && conn?.connected, 'y-webrtc provider connected to the relay');
    return { provider, conn };
  };

  before(async () => {
    // lib0/websocket, which y-webrtc's SignalingConn extends, expects the browser's global WebSocket.
    globalThis.WebSocket ??= NodeWebSocket as unknown as typeof globalThis.WebSocket;
    // y-webrtc also syncs same-browser tabs over BroadcastChannel. That is not under test, and in Node lib0
    // reopens a channel when a room disconnects (it publishes after unsubscribing) that then keeps this
    // process alive. Without the global, lib0 picks a storage polyfill that is inert outside a browser; it
    // decides at load time, hence the dynamic import.
    Reflect.deleteProperty(globalThis, 'BroadcastChannel');
    ({ WebrtcProvider: Provider } = await import('y-webrtc'));
    relay = await startRelay({ host: '127.0.0.1', port: 0 });
    raw = await subscriber(relay.url, [room]);
  });

  after(async () => {
    provider?.disconnect();
    provider?.doc.destroy();
    await raw?.close();
    await relay?.close();
  });

  it("relays a WebrtcProvider's subscribe and announce to another subscriber", async () => {
    // filterBcConns off and no peers expected: only the WebSocket signaling path is under test.
    provider = new Provider(room, new Y.Doc(), { signaling: [relay.url], filterBcConns: false });
    const announce = await raw.next((m) => m.type === 'publish');
    assert.deepEqual(announce, {
      type: 'publish',
      topic: room,
      data: { type: 'announce', from: provider.room?.peerId },
    });
    assert.equal(typeof provider.room?.peerId, 'string');
  });

  it("delivers another subscriber's publish to y-webrtc's SignalingConn", async () => {
    const { conn } = connected();
    // Addressed to nobody, so y-webrtc just ignores it instead of trying to open a WebRTC connection.
    const frame = { type: 'publish', topic: room, data: { type: 'signal', from: 'raw-peer', to: 'nobody' } };
    // y-webrtc may announce itself more than once while connecting, so wait for this frame specifically.
    const received = nextSignal(conn, (m) => m.type === 'publish' && (m.data as Msg).from === 'raw-peer');
    raw.send(frame);
    assert.deepEqual(await received, frame);
  });

  it("answers the ping frame lib0's client uses as a keepalive", async () => {
    const { conn } = connected();
    const pong = nextSignal(conn, (m) => m.type === 'pong');
    conn.send({ type: 'ping' });
    assert.deepEqual(await pong, { type: 'pong' });
  });

  it("honours y-webrtc's unsubscribe when its room disconnects", async () => {
    const { provider, conn } = connected();
    assert.ok(provider.room);
    provider.room.disconnect(); // sends { type: 'unsubscribe', topics: [room] }
    const pong = nextSignal(conn, (m) => m.type === 'pong');
    conn.send({ type: 'ping' }); // frames on one connection are handled in order
    await pong;
    const before = relay.health().framesRelayed;
    raw.send({ type: 'publish', topic: room, data: 'alone now' });
    await raw.next((m) => m.data === 'alone now');
    // Delivered to the raw client alone: y-webrtc's connection left the room.
    assert.equal(relay.health().framesRelayed - before, 1);
  });
});
