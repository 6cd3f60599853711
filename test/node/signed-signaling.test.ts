// Signed signaling over the real relay on loopback, attacked as the security review did (findings 2 and 9):
// a plain WebSocket client that knows the grid id forges and replays hellos. Real ed25519 keys (noble),
// real sealing (WebCrypto AES-GCM).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { WebSocket as NodeWebSocket } from 'ws';
import { type NodeId, nodeIdString } from '../../src/core/identity.ts';
import { nobleSigner, nobleVerifier, type Verifier } from '../../src/crypto/ed25519.ts';
import { deriveSignalKey, gridTopic, IV_BYTES, open, seal } from '../../src/net/seal.ts';
import { SignalingClient } from '../../src/net/signaling.ts';
import { SignedSignaling, type SignedInfo } from '../../src/net/signed-signaling.ts';
import { RateLimit } from '../../src/net/rate-limit.ts';
import { type Relay, startRelay } from '../../src/relay/relay.ts';
import { eventually as eventuallyWithin, subscriber, type TestClient } from './helpers/relay-client.ts';
import { rule } from './rules.ts';

const WS = NodeWebSocket as unknown as typeof WebSocket;
const FAST = { baseMs: 20, maxMs: 200 };
// Well inside the describe's timeout, so a wait that fails says what it waited for.
const eventually = <T>(probe: () => T | undefined | Promise<T | undefined>, what: string) =>
  eventuallyWithin(probe, what, 10_000);
const utf8 = (s: string) => new TextEncoder().encode(s);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Party {
  id: NodeId;
  signer: ReturnType<typeof nobleSigner>;
  signed: SignedSignaling;
  client: SignalingClient;
  session: string;
  inbox: { from: NodeId; payload: unknown; info: SignedInfo }[];
  verifications: number;
}

function party(relay: Relay, gridId: Uint8Array, seed = randomBytes(32), session = hexId()): Party {
  const signer = nobleSigner(new Uint8Array(seed));
  const id = nodeIdString(signer.publicKey);
  const inbox: Party['inbox'] = [];
  const counting: Verifier = {
    verify: (key, message, signature) => {
      p.verifications++;
      return nobleVerifier.verify(key, message, signature);
    },
  };
  const client = new SignalingClient({
    relays: [relay.url],
    gridId,
    selfId: id,
    WebSocket: WS,
    backoff: FAST,
    onMessage: (from, payload, info) => p.signed.receive(from, payload, info.direct),
  });
  const signed = new SignedSignaling({
    transport: client,
    signer,
    verifier: counting,
    gridId,
    selfId: id,
    session,
    onMessage: (from, payload, info) => inbox.push({ from, payload, info }),
  });
  const p: Party = { id, signer, signed, client, session, inbox, verifications: 0 };
  client.start();
  cleanups.push(() => client.stop());
  return p;
}

function hexId(): string {
  return randomBytes(8).toString('hex');
}

async function setup() {
  const relay = await startRelay({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => relay.close());
  const gridId = new Uint8Array(randomBytes(32));
  const topic = gridTopic(gridId);
  // The attacker: a plain WebSocket client on the topic, with the sealing key (the grid id is public).
  const mallory = await subscriber(relay.url, [topic]);
  cleanups.push(() => mallory.close());
  const key = await deriveSignalKey(gridId);
  return { relay, gridId, topic, mallory, key };
}

/** Seals an envelope as any grid-id holder can, and publishes it from the plain client. */
async function publishSealed(mallory: TestClient, key: CryptoKey, topic: string, envelope: unknown) {
  const iv = new Uint8Array(randomBytes(IV_BYTES));
  const data = await seal(key, utf8(JSON.stringify(envelope)), iv);
  mallory.send({ type: 'publish', topic, data });
}

/** The next sealed frame on the topic whose envelope is from `id`, as recorded (sealed). */
async function nextFrom(mallory: TestClient, key: CryptoKey, id: string): Promise<string> {
  for (;;) {
    const frame = await mallory.next((f) => f.type === 'publish');
    const opened = await open(key, frame.data as string);
    if (!(opened instanceof Uint8Array)) continue;
    const envelope = JSON.parse(new TextDecoder().decode(opened)) as {
      from?: string;
      payload?: { m?: string };
    };
    if (envelope.from === id && envelope.payload?.m?.includes('"hello"')) return frame.data as string;
  }
}

/**
 * Waits until both parties hear each other's current session (the relay has their subscriptions), then
 * drains: a last probe each way is waited for, so nothing sent while settling is still in flight (frames
 * from one sender arrive in order) and the counters a test reads afterwards move only by what it does.
 */
async function settled(a: Party, b: Party): Promise<void> {
  let probe = 0;
  const heard = (p: Party, from: Party, n?: number) =>
    p.inbox.some((m) => {
      const sent = (m.payload as { probe?: number }).probe;
      return (
        m.from === from.id &&
        m.info.session === from.session &&
        (n === undefined ? sent !== undefined : sent === n)
      );
    });
  await eventually(async () => {
    if (heard(a, b) && heard(b, a)) return true;
    await a.signed.send({ probe: ++probe });
    await b.signed.send({ probe: ++probe });
    await new Promise((r) => setTimeout(r, 50));
    return undefined;
  }, 'both parties to hear each other');
  const [fromA, fromB] = [++probe, ++probe];
  await a.signed.send({ probe: fromA });
  await b.signed.send({ probe: fromB });
  await eventually(() => (heard(b, a, fromA) && heard(a, b, fromB)) || undefined, 'the last probes');
}

describe('signed signaling against a plain WebSocket client on the relay', { timeout: 30_000 }, () => {
  it(
    rule(
      "Every signaling message is signed by its sender's node key over `gridnode/signal/v1\\n · gridId · m`, where `m` is the exact JSON text of its body.",
    ),
    async () => {
      const { relay, gridId } = await setup();
      const alice = party(relay, gridId);
      const bob = party(relay, gridId);
      await settled(alice, bob);
      await alice.signed.send({ t: 'hello' }, bob.id);
      await alice.signed.send({ t: 'hello' });
      await eventually(
        () => bob.inbox.filter((m) => (m.payload as { t?: string }).t === 'hello').length === 2 || undefined,
        'both hellos',
      );
      const hellos = bob.inbox.filter((m) => (m.payload as { t?: string }).t === 'hello');
      assert.deepEqual(
        hellos.map((m) => [m.from, m.info.direct]),
        [
          [alice.id, true],
          [alice.id, false],
        ],
      );
    },
  );

  it('refuses forged hellos "from" a member with a new session, unsigned or signed by another key (finding 2)', async () => {
    const { relay, gridId, topic, mallory, key } = await setup();
    const alice = party(relay, gridId);
    const bob = party(relay, gridId);
    await settled(alice, bob);
    const before = bob.inbox.length;
    const verifiedBefore = bob.verifications;
    // The review's attack: `{t:'hello', s:<random>}` "from Alice", sealed with the grid key.
    for (let i = 0; i < 20; i++) {
      const id = randomBytes(16).toString('hex');
      await publishSealed(mallory, key, topic, {
        v: 1,
        id,
        from: alice.id,
        payload: { t: 'hello', s: hexId() },
      });
    }
    // The same with a signature, by a throwaway key, over a body naming Alice.
    const throwaway = nobleSigner(new Uint8Array(randomBytes(32)));
    const m = JSON.stringify({
      v: 1,
      from: alice.id,
      to: '*',
      s: hexId(),
      n: 1,
      at: Date.now(),
      p: { t: 'hello' },
    });
    const forged = Buffer.from(await throwaway.sign(utf8(m))).toString('base64url');
    for (let i = 0; i < 5; i++) {
      const id = randomBytes(16).toString('hex');
      await publishSealed(mallory, key, topic, { v: 1, id, from: alice.id, payload: { m, g: forged } });
    }
    await eventually(
      () =>
        ((bob.signed.dropped['unsigned'] ?? 0) === 20 && (bob.signed.dropped['bad-signature'] ?? 0) === 5) ||
        undefined,
      `bob to refuse all 25: ${JSON.stringify(bob.signed.dropped)}`,
    );
    assert.equal(bob.inbox.length, before, 'nothing forged was handed on');
    // Five copies of one forged message cost one signature check: failures are cached by hash.
    assert.equal(bob.verifications - verifiedBefore, 1);
    // Alice's real messages still get through.
    await alice.signed.send({ t: 'hello' }, bob.id);
    await eventually(() => bob.inbox.length === before + 1 || undefined, "alice's next hello");
  });

  it(
    rule(
      "A message is accepted only within `windowMs` of the receiver's clock, and only if its counter is above the last one accepted from that sender's session; a new session is accepted only if it is later than the session it replaces.",
    ),
    async () => {
      const { relay, gridId, topic, mallory, key } = await setup();
      const seed = randomBytes(32);
      const alice = party(relay, gridId, seed);
      const bob = party(relay, gridId);
      await settled(alice, bob);
      // Mallory records Alice's sealed frames (as a relay operator or any topic subscriber can).
      const recorded: string[] = [];
      await alice.signed.send({ t: 'hello' });
      recorded.push(await nextFrom(mallory, key, alice.id));
      await eventually(
        () => bob.inbox.some((m) => (m.payload as { t?: string }).t === 'hello') || undefined,
        'hello',
      );
      const delivered = bob.inbox.length;
      const verified = bob.verifications;

      // 1. Verbatim replay: the transport's dedup drops it.
      mallory.send({ type: 'publish', topic, data: recorded[0] });
      // 2. With the grid key, a new transport id around the same signed payload: a replay by counter.
      const opened = await open(key, recorded[0]!);
      assert.ok(opened instanceof Uint8Array, 'mallory can unseal');
      const envelope = JSON.parse(new TextDecoder().decode(opened)) as Record<string, unknown>;
      for (let i = 0; i < 10; i++)
        await publishSealed(mallory, key, topic, { ...envelope, id: randomBytes(16).toString('hex') });
      await eventually(
        () =>
          ((bob.client.status().dropped['duplicate'] ?? 0) >= 1 &&
            (bob.signed.dropped['replay'] ?? 0) === 10) ||
          undefined,
        `replays dropped: ${JSON.stringify([bob.client.status().dropped, bob.signed.dropped])}`,
      );
      assert.equal(bob.inbox.length, delivered);
      assert.equal(bob.verifications, verified, 'a replay costs no signature check');

      // 3. Alice restarts (new session); her old session's messages, replayed after, are stale.
      await alice.client.stop();
      const alice2 = party(relay, gridId, seed);
      await settled(alice2, bob);
      const checks = bob.verifications;
      await publishSealed(mallory, key, topic, { ...envelope, id: randomBytes(16).toString('hex') });
      await eventually(() => (bob.signed.dropped['stale-session'] ?? 0) === 1 || undefined, 'stale session');

      // 4. Outside the window: a message Alice really signed, dated 10 minutes ago.
      const old = JSON.stringify({
        v: 1,
        from: alice2.id,
        to: '*',
        s: hexId(),
        n: 1,
        at: Date.now() - 600_000,
        p: { t: 'hello' },
      });
      const sig = await alice2.signer.sign(
        new Uint8Array([...utf8('gridnode/signal/v1\n'), ...gridId, ...utf8(old)]),
      );
      await publishSealed(mallory, key, topic, {
        v: 1,
        id: randomBytes(16).toString('hex'),
        from: alice2.id,
        payload: { m: old, g: Buffer.from(sig).toString('base64url') },
      });
      await eventually(
        () => (bob.signed.dropped['outside-window'] ?? 0) === 1 || undefined,
        'outside window',
      );
      // 5. A message Alice signed for someone else, rewrapped as a broadcast, names its recipient: refused.
      const other = nodeIdString(new Uint8Array(32).fill(7));
      const forOther = JSON.stringify({
        v: 1,
        from: alice2.id,
        to: other,
        s: hexId(),
        n: 1,
        at: Date.now(),
        p: { t: 'signal' },
      });
      const sig2 = await alice2.signer.sign(
        new Uint8Array([...utf8('gridnode/signal/v1\n'), ...gridId, ...utf8(forOther)]),
      );
      await publishSealed(mallory, key, topic, {
        v: 1,
        id: randomBytes(16).toString('hex'),
        from: alice2.id,
        payload: { m: forOther, g: Buffer.from(sig2).toString('base64url') },
      });
      await eventually(
        () => (bob.signed.dropped['wrong-recipient'] ?? 0) === 1 || undefined,
        'wrong recipient',
      );
      assert.equal(bob.verifications, checks, 'stale, old and misdirected messages cost no signature check');
    },
  );

  it(
    rule(
      'Requests on the topic are handed on only from verified senders, and at most 8 at once and 1 a second per sender.',
    ),
    () => {
      const limit = new RateLimit(8, 1);
      const taken = Array.from({ length: 12 }, () => limit.take('a', 1000)).filter(Boolean).length;
      assert.equal(taken, 8);
      assert.equal(limit.take('b', 1000), true, 'another sender has its own bucket');
      assert.equal(limit.take('a', 1500), false);
      assert.equal(limit.take('a', 2000), true, 'one more a second');
    },
  );
});
