// Relays joined through NATS (src/relay/nats-cluster.ts) against Debian's nats-server on loopback: two
// relay instances, each with its own NATS connection, and two relay CLI processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import { natsCluster } from '../../src/relay/nats-cluster.ts';
import { type Relay, startRelay } from '../../src/relay/relay.ts';
import { type NatsServer, startNatsServer } from './helpers/nats-server.ts';
import { type TestClient, eventually, subscriber, withTimeout } from './helpers/relay-client.ts';

let nats: NatsServer;
before(async () => {
  nats = await startNatsServer();
});
after(async () => {
  await nats?.stop();
});

describe('two relays on one NATS server', { timeout: 60_000 }, () => {
  const relays: Relay[] = [];
  const clients: TestClient[] = [];
  const relay = async (): Promise<Relay> => {
    const r = await startRelay({
      port: 0,
      cluster: natsCluster({ servers: [nats.url], reconnectWaitMs: 100 }),
    });
    relays.push(r);
    await eventually(() => (r.health().cluster?.connected ? true : undefined), 'NATS connection');
    return r;
  };
  const join = async (r: Relay, topics: string[]): Promise<TestClient> => {
    const client = await subscriber(r.url, topics);
    clients.push(client);
    await r.clusterSettled();
    return client;
  };
  const publish = (topic: string, data: unknown) => ({ type: 'publish', topic, data });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });

  it('a publish on one relay reaches a subscriber on the other, and the sender’s relay delivers it once', async () => {
    const [a, b] = [await relay(), await relay()];
    const alice = await join(a, ['room']);
    const bob = await join(b, ['room']);
    const carol = await join(b, ['room']);
    alice.send(publish('room', { hello: 'from a' }));
    // Forwarded as sent: no relay adds a count of its receivers.
    assert.deepEqual(await bob.next(), { ...publish('room', { hello: 'from a' }) });
    assert.deepEqual(await carol.next(), { ...publish('room', { hello: 'from a' }) });
    assert.deepEqual(await alice.next(), { ...publish('room', { hello: 'from a' }) });
    // Bob's reply passes through NATS after Alice's publish did: had relay A received its own publish
    // back, Alice would see that copy before this one.
    bob.send(publish('room', 'reply'));
    assert.deepEqual(await alice.next(), { ...publish('room', 'reply') });
    assert.equal(a.health().cluster?.received, 1);
    assert.equal(b.health().cluster?.received, 1);
    assert.deepEqual(a.health().cluster?.dropped, {});
  });

  it('topics that look like NATS wildcards or subjects are plain names and see nothing else', async () => {
    const [a, b] = [await relay(), await relay()];
    const sneaky = ['>', '*', 'gridnode.>', 'gridnode.relay.v1.*', 'room.*', 'room x', 'room\tx'];
    const watchers = await Promise.all(sneaky.map((t) => join(b, [t])));
    const sentinel = await join(b, ['sentinel']);
    const alice = await join(a, []);
    for (const topic of ['room.x', 'room', 'gridnode.relay.v1', 'x.y.z', 'room x2'])
      alice.send(publish(topic, topic));
    alice.send(publish('sentinel', 'last'));
    // NATS keeps one publisher's order, so relay B has handled every earlier publish by now.
    assert.deepEqual(await sentinel.next(), { ...publish('sentinel', 'last') });
    for (const [i, watcher] of watchers.entries()) {
      watcher.send({ type: 'ping' });
      assert.deepEqual(await watcher.next(), { type: 'pong' }, `${JSON.stringify(sneaky[i])} saw nothing`);
    }
    // A topic named '>' is reached only by publishing to exactly that name.
    alice.send(publish('>', 'exact'));
    assert.deepEqual(await watchers[0]!.next(), { ...publish('>', 'exact') });
  });

  it('keeps serving local clients while NATS is down, and carries traffic again once it is back', async () => {
    const [a, b] = [await relay(), await relay()];
    const alice = await join(a, ['room']);
    const amy = await join(a, ['room']);
    const bob = await join(b, ['room']);
    await nats.kill();
    await eventually(() => (a.health().cluster?.connected ? undefined : true), 'A to notice');
    alice.send(publish('room', 'during the outage'));
    assert.deepEqual(await amy.next(), { ...publish('room', 'during the outage') });
    assert.deepEqual(await alice.next(), { ...publish('room', 'during the outage') });
    // Subscriptions made during the outage are carried over too.
    const late = await join(b, ['late']);
    await nats.restart();
    for (const r of [a, b])
      await eventually(() => (r.health().cluster?.connected ? true : undefined), 'reconnection', 15_000);
    alice.send(publish('room', 'after'));
    alice.send(publish('late', 'for the late one'));
    assert.deepEqual(await bob.next(), { ...publish('room', 'after') });
    assert.deepEqual(await late.next(), { ...publish('late', 'for the late one') });
    assert.equal(a.health().cluster?.dropped.disconnected, 1, 'the outage publish was dropped, not queued');
  });

  it('a relay started while NATS is down serves locally and joins once NATS is up', async () => {
    await nats.kill();
    const a = await startRelay({
      port: 0,
      cluster: natsCluster({ servers: [nats.url], reconnectWaitMs: 100 }),
    });
    relays.push(a);
    const alice = await subscriber(a.url, ['room']);
    clients.push(alice);
    alice.send(publish('room', 'alone'));
    assert.deepEqual(await alice.next(), { ...publish('room', 'alone') });
    await nats.restart();
    const b = await relay();
    await eventually(() => (a.health().cluster?.connected ? true : undefined), 'A connected', 15_000);
    await a.clusterSettled();
    const bob = await join(b, []);
    bob.send(publish('room', 'hi'));
    assert.deepEqual(await alice.next(), { ...publish('room', 'hi') });
  });

  it('every local bound still holds: an oversized frame closes its connection, a clustered relay lives on', async () => {
    const [a, b] = [await relay(), await relay()];
    const bob = await join(b, ['room']);
    const big = await join(a, ['room']);
    big.ws.send(JSON.stringify(publish('room', 'x'.repeat(70 * 1024))));
    assert.equal((await withTimeout(big.closed, 10_000, 'the close')).code, 1009);
    const alice = await join(a, []);
    alice.send(publish('room', 'small'));
    assert.deepEqual(await bob.next(), { ...publish('room', 'small') });
  });
});

describe('relay CLI processes with --nats', { timeout: 60_000 }, () => {
  const cli = fileURLToPath(new URL('../../src/relay/cli.ts', import.meta.url));

  async function startCli(): Promise<{ url: string; stop(): Promise<void> }> {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--nats', nats.url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const url = await withTimeout(
      new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /relay listening on (ws:\/\/\S+) \(NATS: /.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`relay exited (${code}): ${out}`)));
      }),
      20_000,
      'the relay CLI to listen',
    );
    return {
      url,
      async stop() {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await withTimeout(exited, 10_000, 'the relay CLI to exit');
      },
    };
  }

  it('clients of two processes meet on one topic', async () => {
    const [a, b] = await Promise.all([startCli(), startCli()]);
    const alice = await subscriber(a.url, ['room']);
    const bob = await subscriber(b.url, ['room']);
    try {
      // Another process's NATS subscription has no settle hook here; NATS core is at-most-once, so the
      // publisher repeats until the other side has subscribed (what y-webrtc's announcements do too).
      const seen = bob.next((m) => m.type === 'publish', 20_000);
      const timer = setInterval(() => alice.send({ type: 'publish', topic: 'room', data: 'hi' }), 200);
      try {
        assert.deepEqual(await seen, { type: 'publish', topic: 'room', data: 'hi' });
      } finally {
        clearInterval(timer);
      }
    } finally {
      await Promise.all([alice.close(), bob.close()]);
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
