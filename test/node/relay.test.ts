import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { startRelay } from '../../src/relay/relay.ts';
import type { Relay, RelayOptions } from '../../src/relay/relay.ts';
import { protocolSuite } from './helpers/protocol-suite.ts';
import { eventually, getHealth, subscriber, TestClient, withTimeout } from './helpers/relay-client.ts';

async function withRelay(opts: Partial<RelayOptions>, run: (relay: Relay) => Promise<void>): Promise<void> {
  const relay = await startRelay({ host: '127.0.0.1', port: 0, ...opts });
  try {
    await run(relay);
  } finally {
    await relay.close();
  }
}

const httpBase = (relay: Relay): string => `http://127.0.0.1:${relay.port}`;

describe('relay: y-webrtc signaling protocol', () => {
  protocolSuite(async () => {
    const relay = await startRelay({ host: '127.0.0.1', port: 0 });
    return { url: relay.url, stop: () => relay.close() };
  });
});

describe('relay: server', { timeout: 20_000 }, () => {
  it('listens on loopback with a real port when asked for port 0', async () => {
    await withRelay({}, async (relay) => {
      assert.ok(relay.port > 0);
      assert.equal(relay.url, `ws://127.0.0.1:${relay.port}`);
    });
  });

  it('reports connections, topics and frame counts on /health', async () => {
    await withRelay({}, async (relay) => {
      assert.deepEqual(await getHealth(httpBase(relay)), {
        ok: true,
        connections: 0,
        topics: 0,
        addresses: 0,
        framesRelayed: 0,
        framesRejected: {},
        dropped: {},
      });
      const alice = await subscriber(relay.url, ['t1', 't2']);
      const bob = await subscriber(relay.url, ['t1']);
      bob.send({ type: 'publish', topic: 't1', data: 'x' });
      await alice.next((m) => m.type === 'publish');
      await bob.next((m) => m.type === 'publish');
      bob.ws.send('{nope');
      await bob.next((m) => m.type === 'error');
      assert.deepEqual(await getHealth(httpBase(relay)), {
        ok: true,
        connections: 2,
        topics: 2,
        addresses: 1,
        framesRelayed: 2,
        framesRejected: { 'bad-json': 1 },
        dropped: {},
      });
      await alice.close();
      await eventually(async () => {
        const h = await getHealth(httpBase(relay));
        return h.connections === 1 && h.topics === 1 ? h : undefined;
      }, 'alice and her topic t2 to be gone from /health');
      await bob.close();
    });
  });

  it('serves a short text on / and 404 elsewhere', async () => {
    await withRelay({}, async (relay) => {
      const root = await fetch(`${httpBase(relay)}/`, { signal: AbortSignal.timeout(3000) });
      assert.equal(root.status, 200);
      assert.match(await root.text(), /relay/);
      for (const [method, path] of [
        ['GET', '/nope'],
        ['GET', '/health/x'],
        ['POST', '/health'],
      ] as const) {
        const res = await fetch(`${httpBase(relay)}${path}`, { method, signal: AbortSignal.timeout(3000) });
        assert.equal(res.status, 404, `${method} ${path}`);
        await res.text();
      }
    });
  });

  it('terminates a connection that stops answering WebSocket pings, and keeps live ones', async () => {
    await withRelay({ pingIntervalMs: 50 }, async (relay) => {
      const live = await subscriber(relay.url, ['t']);
      const dead = await subscriber(relay.url, ['t']);
      // A paused socket never reads the relay's ping, so never pongs: as good as a vanished peer.
      (dead.ws as unknown as { _socket: Socket })._socket.pause();
      await eventually(
        () => (relay.health().dropped['ping-timeout'] === 1 ? true : undefined),
        'the silent connection to be terminated',
      );
      await new Promise((r) => setTimeout(r, 200)); // several more ping rounds
      assert.equal(relay.health().connections, 1);
      assert.equal(relay.health().dropped['ping-timeout'], 1);
      await live.sync();
      (dead.ws as unknown as { _socket: Socket })._socket.resume();
      assert.equal((await withTimeout(dead.closed, 3000, 'the dead client to notice')).code, 1006);
      await live.close();
    });
  });

  it('close() closes open connections with 1001 and stops accepting new ones', async () => {
    const relay = await startRelay({ host: '127.0.0.1', port: 0 });
    const client = await subscriber(relay.url, ['t']);
    await withTimeout(relay.close(), 5000, 'relay.close()');
    assert.equal((await client.closed).code, 1001);
    await assert.rejects(TestClient.connect(relay.url));
    await relay.close(); // idempotent
  });
});
