import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  ConfigError,
  type Output,
  type ServiceEvent,
  base32Encode,
  compareBytes,
  decodeBody,
  decodeEnvelope,
  encodeEnvelope,
  encodeSummary,
  fromHex,
  resolveConfig,
  toHex,
  utf8,
} from '../../../src/core/index.ts';
import { sha1 } from '@noble/hashes/legacy.js';
import { permutedOrderVectors } from '../../vectors/tahoe.ts';
import { rule } from '../rules.ts';
import { announce, countingVerify, envelope, gridB, idOf, keyOf, linkedNode, node } from './fixtures.ts';

const sends = (out: readonly Output[]) => out.filter((o) => o.type === 'send');

describe('seqnum rules', () => {
  it(rule('A strictly greater seqnum replaces the announcement held.'), () => {
    const n = linkedNode('me');
    const verify = countingVerify();
    n.receive(idOf('peer'), announce(envelope('alice', { seqnum: 1, nickname: 'old' })), 0, verify);
    n.receive(idOf('peer'), announce(envelope('alice', { seqnum: 2, nickname: 'new' })), 0, verify);
    const alice = n.getPeers().find((p) => p.id === idOf('alice'))!;
    assert.equal(alice.seqnum, 2);
    assert.equal(alice.nickname, 'new');
  });

  it(rule('A smaller seqnum is a replay: it is dropped and counted.'), () => {
    const n = linkedNode('me');
    const verify = countingVerify();
    n.receive(idOf('peer'), announce(envelope('alice', { seqnum: 5 })), 0, verify);
    n.receive(idOf('peer'), announce(envelope('alice', { seqnum: 4 })), 0, verify);
    assert.equal(n.getPeers()[0]!.seqnum, 5);
    assert.equal(n.stats().dropped.replay, 1);
  });

  it(
    rule(
      'An equal seqnum with different bytes is an equivocation: the envelope with the lower SHA-256 wins on every node, and the origin is flagged.',
    ),
    () => {
      const a = envelope('alice', { seqnum: 3, nickname: 'one' });
      const b = envelope('alice', { seqnum: 3, nickname: 'two' });
      const winner = compareBytes(sha256(a), sha256(b)) < 0 ? a : b;
      for (const order of [
        [a, b],
        [b, a],
      ]) {
        const n = linkedNode('me');
        const outputs = order.flatMap((env) => n.receive(idOf('peer'), announce(env), 0, countingVerify()));
        assert.deepEqual(n.envelopeOf(idOf('alice')), winner);
        assert.deepEqual(
          outputs.filter((o) => o.type === 'flagged'),
          [{ type: 'flagged', reason: 'equivocation', id: idOf('alice') }],
        );
        assert.equal(n.stats().equivocations, 1);
      }
    },
  );

  it('the newest seqnum wins whatever the arrival order (property)', () => {
    const pool = Array.from({ length: 6 }, (_, i) =>
      envelope('alice', { seqnum: 1 + (i % 4), nickname: `v${i}` }),
    );
    fc.assert(
      fc.property(fc.shuffledSubarray(pool, { minLength: 1 }), fc.boolean(), (arrivals, batched) => {
        const n = linkedNode('me');
        const verify = countingVerify();
        if (batched) n.receive(idOf('peer'), announce(...arrivals), 0, verify);
        else for (const env of arrivals) n.receive(idOf('peer'), announce(env), 0, verify);
        // Expected: the highest seqnum, and among those the lowest hash.
        const expected = arrivals.reduce((top, env) => (newer(env, top) ? env : top));
        assert.deepEqual(n.envelopeOf(idOf('alice')), expected);
      }),
      { numRuns: 200 },
    );
  });

  it(rule('A node that hears its own key at or above its counter jumps past it and republishes.'), () => {
    // A node rebuilt from its key alone: counter back at 0, while the grid still holds its seqnum 41.
    const n = linkedNode('me', 'peer', { counter: 0 });
    const out = n.receive(idOf('peer'), announce(envelope('me', { seqnum: 41 })), 0, countingVerify());
    assert.ok(out.some((o) => o.type === 'announce-needed' && o.reason === 'counter-jump'));
    assert.equal(n.prepareAnnouncement().seqnum, 42);
  });

  it('a forged echo of our own key does not move the counter', () => {
    const n = linkedNode('me', 'peer', { counter: 3 });
    n.receive(idOf('peer'), announce(envelope('me', { seqnum: 1_000_000 }, 'mallory')), 0, countingVerify());
    assert.equal(n.seqnum, 3);
    assert.equal(n.stats().dropped['bad-signature'], 1);
  });
});

function newer(x: Uint8Array, y: Uint8Array): boolean {
  const sx = seqnumOf(x);
  const sy = seqnumOf(y);
  return sx > sy || (sx === sy && compareBytes(sha256(x), sha256(y)) < 0);
}
function seqnumOf(bytes: Uint8Array): number {
  const env = decodeEnvelope(bytes, 1 << 16);
  const b = env.ok && decodeBody(env.value.body);
  if (!b || !b.ok) throw new Error('fixture does not decode');
  return b.value.seqnum;
}

describe('checks before the signature', () => {
  it(rule('Duplicates are recognised by the hash of the envelope bytes before any signature check.'), () => {
    const n = linkedNode('me');
    const verify = countingVerify();
    const env = envelope('alice');
    for (let i = 0; i < 5; i++) n.receive(idOf('peer'), announce(env), 0, verify);
    assert.equal(verify.calls, 1);
    assert.equal(n.stats().dropped.duplicate, 4);
  });

  it(rule('Replays, foreign grids and malformed bodies are dropped before any signature check.'), () => {
    const n = linkedNode('me');
    const verify = countingVerify();
    n.receive(idOf('peer'), announce(envelope('alice', { seqnum: 9 })), 0, verify);
    assert.equal(verify.calls, 1);
    n.receive(idOf('peer'), announce(envelope('alice', { seqnum: 2 })), 0, verify);
    n.receive(idOf('peer'), announce(envelope('bob', { gridId: gridB })), 0, verify);
    const origin = keyOf('carol').publicKey;
    n.receive(
      idOf('peer'),
      announce(encodeEnvelope(origin, utf8('not a body'), new Uint8Array(64))),
      0,
      verify,
    );
    assert.equal(verify.calls, 1);
    const { dropped } = n.stats();
    assert.deepEqual([dropped.replay, dropped['foreign-grid'], dropped['malformed-body']], [1, 1, 1]);
  });

  it('forged or tampered announcements are never delivered to subscribers (property)', () => {
    const valid = envelope('alice', { seqnum: 7, services: { storage: {} } });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (flips) => {
          const tampered = valid.slice();
          for (const [at, xor] of flips) tampered[at]! ^= xor;
          // Flips of one byte can cancel out (seed 1236195901: the same flip twice): then it is not tampered.
          fc.pre(tampered.some((byte, i) => byte !== valid[i]));
          const n = linkedNode('me');
          const delivered: ServiceEvent[] = [];
          n.subscribe('storage', (e) => delivered.push(e));
          n.receive(idOf('peer'), announce(tampered), 0, countingVerify());
          const forged = envelope('alice', { seqnum: 8, services: { storage: {} } }, 'mallory');
          n.receive(idOf('peer'), announce(forged), 0, countingVerify());
          assert.equal(delivered.length, 0);
          assert.equal(n.getPeers().length, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes from a peer never throw, and every undecodable message is counted (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (messages) => {
        const n = linkedNode('me');
        for (const bytes of messages) n.receive(idOf('peer'), bytes, 0, countingVerify());
        const s = n.stats();
        assert.equal(s.receivedMessages, messages.length);
        assert.equal(s.origins, 0);
      }),
      { numRuns: 500 },
    );
    const n = linkedNode('me');
    n.receive(idOf('peer'), new Uint8Array([99, 1, 2]), 0, countingVerify());
    n.receive(idOf('stranger'), new Uint8Array([1]), 0, countingVerify());
    assert.equal(n.stats().dropped['malformed-message'], 1);
    assert.equal(n.stats().malformed['unknown-message-type'], 1);
    assert.equal(n.stats().dropped['not-linked'], 1);
  });

  it('an oversized message is dropped unread', () => {
    const n = linkedNode('me', 'peer', { config: { maxMessageBytes: 20_000 } });
    n.receive(idOf('peer'), new Uint8Array(20_001), 0, countingVerify());
    assert.equal(n.stats().dropped['oversized-message'], 1);
  });
});

describe('gossip between linked nodes', () => {
  /** Two nodes wired back to back; delivers until quiet and returns the messages exchanged. */
  function pair(a = node('a'), b = node('b')) {
    const byId = new Map([
      [a.id, a],
      [b.id, b],
    ]);
    const queue: [string, string, Uint8Array][] = [];
    const push = (from: string, out: readonly Output[]) => {
      for (const o of sends(out)) if (byId.has(o.to)) queue.push([from, o.to, o.bytes]);
      for (const o of out) if (o.type === 'announce-needed') assert.fail('unexpected announce-needed');
    };
    let now = 0;
    const run = () => {
      let count = 0;
      for (let guard = 0; guard < 10_000; guard++) {
        now += 30;
        const item = queue.shift();
        if (!item) {
          push(a.id, a.tick(now));
          push(b.id, b.tick(now));
          if (queue.length === 0) return count;
          continue;
        }
        count++;
        const [from, to, bytes] = item;
        push(to, byId.get(to as never)!.receive(from as never, bytes, now, countingVerify()));
      }
      throw new Error('did not settle');
    };
    return { a, b, push, run };
  }

  it(
    rule(
      'On a DIGEST, a node pushes every announcement the peer lacks and asks with IWANT for every one it lacks itself.',
    ),
    () => {
      const { a, b, push, run } = pair();
      // Each side learns different origins from elsewhere, then they link.
      a.linkUp(idOf('x'), 0);
      b.linkUp(idOf('y'), 0);
      a.receive(
        idOf('x'),
        announce(envelope('alice'), envelope('carol', { seqnum: 5 })),
        0,
        countingVerify(),
      );
      b.receive(idOf('y'), announce(envelope('bob'), envelope('carol', { seqnum: 6 })), 0, countingVerify());
      push(a.id, a.linkUp(b.id, 0));
      push(b.id, b.linkUp(a.id, 0));
      run();
      const view = (n: typeof a) =>
        n
          .getPeers()
          .map((p) => `${p.nickname}${p.id}:${p.seqnum}`)
          .sort();
      assert.deepEqual(view(a), view(b));
      assert.equal(b.getPeers().find((p) => p.id === idOf('carol'))!.seqnum, 6);
      assert.equal(a.getPeers().length, 3);
    },
  );

  it(
    rule('On link-up, the node with the smaller id sends a SUMMARY; the other compares it with its own.'),
    () => {
      const a = node('a');
      const b = node('b');
      const [low, high] = a.id < b.id ? [a, b] : [b, a];
      assert.equal(sends(low.linkUp(high.id, 0)).length, 1);
      assert.equal(sends(high.linkUp(low.id, 0)).length, 0);
    },
  );

  it(
    rule(
      'On a SUMMARY that differs from its own, a node answers with a DIGEST of everything it gossips while it or the peer gossips fewer than 64 announcements, and with BUCKETS otherwise.',
    ),
    () => {
      const n = linkedNode('me');
      assert.equal(
        sends(n.receive(idOf('peer'), encodeSummary(0, new Uint8Array(16)), 0, countingVerify())).length,
        0,
      );
      n.receive(idOf('peer'), announce(envelope('alice')), 0, countingVerify());
      const reply = sends(n.receive(idOf('peer'), encodeSummary(0, new Uint8Array(16)), 0, countingVerify()));
      assert.equal(reply.length, 1);
      assert.equal(reply[0]!.bytes[0], 2); // DIGEST
    },
  );

  it(
    rule('New announcements are advertised with IHAVE to every link except those known to have them.'),
    () => {
      const n = node('me', { dissemination: 'lazy' });
      for (const p of ['p1', 'p2', 'p3']) n.linkUp(idOf(p), 0);
      n.receive(idOf('p1'), announce(envelope('alice')), 0, countingVerify());
      const out = sends(n.tick(1_000));
      const ihaves = out.filter((o) => o.bytes[0] === 3).map((o) => o.to);
      assert.deepEqual(ihaves.sort(), [idOf('p2'), idOf('p3')].sort());
    },
  );

  it(
    rule('A node asks one advertiser at a time with IWANT, and asks the next one after `wantTimeoutMs`.'),
    () => {
      const n = node('me', { config: { ihaveDelayMs: 0 }, dissemination: 'lazy' });
      n.linkUp(idOf('p1'), 0);
      n.linkUp(idOf('p2'), 0);
      const source = node('alice', { dissemination: 'lazy' });
      source.linkUp(n.id, 0);
      const prepared = source.prepareAnnouncement();
      const env = encodeEnvelope(source.publicKey, prepared.body, keyOf('alice').signSync(prepared.message));
      const ihave = sends(source.acceptOwn(env, 0));
      const ihaveBytes = [...ihave, ...sends(source.tick(100))].find((o) => o.bytes[0] === 3)!.bytes;
      const first = sends(n.receive(idOf('p1'), ihaveBytes, 0, countingVerify()));
      const second = sends(n.receive(idOf('p2'), ihaveBytes, 10, countingVerify()));
      assert.deepEqual(
        first.map((o) => [o.to, o.bytes[0]]),
        [[idOf('p1'), 4]],
      );
      assert.equal(second.length, 0, 'p2 is not asked while p1 may still answer');
      assert.equal(sends(n.tick(1_000)).filter((o) => o.bytes[0] === 4).length, 0);
      const retry = sends(n.tick(n.config.wantTimeoutMs + 1)).filter((o) => o.bytes[0] === 4);
      assert.deepEqual(
        retry.map((o) => o.to),
        [idOf('p2')],
      );
    },
  );

  it(rule('Every `antiEntropyMs`, a node sends a SUMMARY to one random link.'), () => {
    const n = node('me');
    n.linkUp(idOf('p1'), 0);
    n.linkUp(idOf('p2'), 0);
    let summaries = 0;
    for (let t = 0; t <= 10 * n.config.antiEntropyMs; t += 1_000) {
      summaries += sends(n.tick(t)).filter((o) => o.bytes[0] === 1).length;
    }
    assert.ok(summaries >= 7 && summaries <= 20, `expected about 10 summaries, got ${summaries}`);
  });
});

describe('publish, subscribe and peer selection', () => {
  it(rule('A new subscriber is told at once of every peer already known to offer the service.'), () => {
    const n = linkedNode('me');
    n.receive(
      idOf('peer'),
      announce(
        envelope('alice', { services: { storage: {} } }),
        envelope('bob', { services: { helper: {} } }),
        envelope('carol', { services: { storage: {}, helper: {} } }),
      ),
      0,
      countingVerify(),
    );
    const seen: string[] = [];
    n.subscribe('storage', (e) => seen.push(`${e.type} ${e.peer.id}`));
    assert.deepEqual(seen.sort(), [`added ${idOf('alice')}`, `added ${idOf('carol')}`].sort());
  });

  it('subscribers hear added, updated and removed as services change, and can unsubscribe', () => {
    const n = linkedNode('me');
    const seen: string[] = [];
    const stop = n.subscribe('storage', (e) => seen.push(e.type));
    const send = (seqnum: number, services: Record<string, Record<string, string>>) =>
      n.receive(idOf('peer'), announce(envelope('alice', { seqnum, services })), 0, countingVerify());
    send(1, { storage: {} });
    send(2, { storage: { x: '1' } });
    send(3, {});
    stop();
    send(4, { storage: {} });
    assert.deepEqual(seen, ['added', 'updated', 'removed']);
  });

  it('a throwing subscriber is counted and does not disturb the node', () => {
    const n = linkedNode('me');
    n.subscribe('storage', () => {
      throw new Error('bug in the UI');
    });
    n.receive(idOf('peer'), announce(envelope('alice', { services: { storage: {} } })), 0, countingVerify());
    assert.equal(n.stats().subscriberErrors, 1);
    assert.equal(n.getPeers('storage').length, 1);
  });

  it('publish and unpublish ask for a new announcement, and roles are sets of services', () => {
    const n = node('me');
    assert.deepEqual(n.publish('storage'), [{ type: 'announce-needed', reason: 'changed' }]);
    assert.deepEqual(n.unpublish('storage'), [{ type: 'announce-needed', reason: 'changed' }]);
    assert.deepEqual(n.unpublish('storage'), []);
  });

  it(
    rule(
      "`getPermutedPeers(service, storageIndex)` orders peers by ascending SHA-1 of the storage index followed by the peer's permutation seed.",
    ),
    () => {
      // Tahoe's test_permute: servers whose permutation-seed-base32 is b2a(b"0") … b2a(b"4").
      const v = permutedOrderVectors[0]!;
      const n = linkedNode('me');
      const names = v.seeds.map((_, i) => `server${i}`);
      const envs = v.seeds.map((seed, i) =>
        envelope(names[i]!, {
          services: { storage: { 'permutation-seed-base32': base32Encode(fromHex(seed)) } },
        }),
      );
      n.receive(idOf('peer'), announce(...envs), 0, countingVerify());
      const ids = n.getPermutedPeers('storage', fromHex(v.storageIndex)).map((p) => p.id);
      assert.deepEqual(
        ids,
        v.expected.map((i) => idOf(names[i]!)),
      );
    },
  );

  it('without a permutation seed, the public key is the seed', () => {
    const n = linkedNode('me');
    const names = ['s0', 's1', 's2', 's3'];
    n.receive(
      idOf('peer'),
      announce(...names.map((s) => envelope(s, { services: { storage: {} } }))),
      0,
      countingVerify(),
    );
    const si = sha256(utf8('file'));
    const bySha1 = [...names].sort((x, y) =>
      compareBytes(sha1Of(si, keyOf(x).publicKey), sha1Of(si, keyOf(y).publicKey)),
    );
    assert.deepEqual(
      n.getPermutedPeers('storage', si).map((p) => p.id),
      bySha1.map(idOf),
    );
  });
});

const sha1Of = (a: Uint8Array, b: Uint8Array) => sha1(new Uint8Array([...a, ...b]));

describe('configuration', () => {
  it('checks relations between settings once, at start', () => {
    assert.throws(() => resolveConfig({ refreshIntervalMs: 10_000, expireAfterMs: 10_000 }), ConfigError);
    assert.throws(() => resolveConfig({ forgetAfterMs: 1 }), ConfigError);
    assert.throws(() => resolveConfig({ antiEntropyMs: -1 }), ConfigError);
    assert.equal(resolveConfig().refreshIntervalMs, 4 * 3_600_000);
  });

  it('ids and envelopes held are exactly the bytes received', () => {
    const n = linkedNode('me');
    const env = envelope('alice', { nickname: 'ålice' });
    n.receive(idOf('peer'), announce(env), 0, countingVerify());
    assert.equal(toHex(n.envelopeOf(idOf('alice'))!), toHex(env));
  });
});
