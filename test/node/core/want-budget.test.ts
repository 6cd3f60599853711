import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import {
  MessageType,
  type Output,
  type Ref,
  encodeEnvelope,
  encodeRefs,
  tagOf,
} from '../../../src/core/index.ts';
import { rule } from '../rules.ts';
import { countingVerify, idOf, keyOf, node } from './fixtures.ts';

const iwants = (out: readonly Output[], to: string) =>
  out.filter((o) => o.type === 'send' && o.to === to && o.bytes[0] === MessageType.IWant);

/** `n` refs of made-up origins (what a hostile link advertises). */
const fakeRefs = (n: number): Ref[] =>
  Array.from({ length: n }, () => ({ tag: tagOf(new Uint8Array(randomBytes(32))), seqnum: 1, hash32: 7 }));

describe('wants per link (SECURITY-REVIEW finding 7)', () => {
  it(
    rule(
      "A link's advertisements hold at most `maxWantsPerLink` wants at once: the refs one link advertises beyond that are dropped as `want-link-limit`",
    ),
    () => {
      const config = { ihaveDelayMs: 0, maxWantsPerLink: 100, maxPendingWants: 400 };
      const n = node('me', { config, dissemination: 'lazy' });
      n.linkUp(idOf('mallory'), 0);
      n.linkUp(idOf('honest'), 0);
      // Mallory advertises 4,096 made-up refs, twice (the second IHAVE must not get round the limit).
      const flood = encodeRefs(MessageType.IHave, fakeRefs(4_096), 256 * 1024);
      let asked = 0;
      for (const round of [0, 1])
        for (const message of flood)
          asked += iwants(
            n.receive(idOf('mallory'), message, round, countingVerify()),
            idOf('mallory'),
          ).length;
      assert.ok(asked >= 1, 'Mallory is still asked for her first refs');
      assert.equal(n.stats().pendingWants, 100);
      // Of the second IHAVE, the 100 refs already wanted are no news; the rest are refused again.
      assert.equal(n.stats().dropped['want-link-limit'], 2 * (4_096 - 100));
      assert.equal(n.stats().dropped['want-limit'], undefined, 'the table itself never filled');

      // An honest link's real announcement is asked for at once.
      const honest = node('alice', { config: { ihaveDelayMs: 0 }, dissemination: 'lazy' });
      honest.linkUp(n.id, 0);
      const prepared = honest.prepareAnnouncement();
      const env = encodeEnvelope(honest.publicKey, prepared.body, keyOf('alice').signSync(prepared.message));
      const ihave = honest
        .acceptOwn(env, 0)
        .find((o) => o.type === 'send' && o.bytes[0] === MessageType.IHave);
      assert.ok(ihave && ihave.type === 'send');
      const reply = iwants(n.receive(idOf('honest'), ihave.bytes, 1, countingVerify()), idOf('honest'));
      assert.equal(reply.length, 1, 'the honest ref is asked for');
      assert.equal(n.stats().pendingWants, 101);

      // Mallory's wants time out (she never answers); her share frees and is not carried by anyone else.
      n.tick(n.config.wantTimeoutMs + 10);
      assert.equal(n.stats().pendingWants, 0);
      const again = iwants(n.receive(idOf('mallory'), flood[0]!, 2_000, countingVerify()), idOf('mallory'));
      assert.equal(again.length, 1, 'after the timeouts, the link may be asked again, within its share');
      assert.equal(n.stats().pendingWants, 100);
    },
  );

  it('eager push: wants waiting for the tree are charged to the advertising link too', () => {
    const n = node('me', { config: { maxWantsPerLink: 100, maxPendingWants: 400 } });
    n.linkUp(idOf('mallory'), 0);
    for (const message of encodeRefs(MessageType.IHave, fakeRefs(1_000), 256 * 1024))
      n.receive(idOf('mallory'), message, 0, countingVerify());
    assert.equal(n.stats().pendingWants, 100);
    assert.equal(n.stats().dropped['want-link-limit'], 900);
    // Once the waits end and Mallory never answers the GRAFTs, her share frees.
    for (let t = 0; t <= 4 * n.config.wantTimeoutMs; t += 500) n.tick(t);
    assert.equal(n.stats().pendingWants, 0);
  });
});
