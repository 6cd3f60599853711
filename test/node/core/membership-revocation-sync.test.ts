/** The revocation set's reconciliation over links (revocation-sync.ts), quoting PROTOCOL.md §8. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type GossipNode,
  type NodeId,
  type Output,
  encodeRevocationRecord,
} from '../../../src/core/index.ts';
import { decodeRevocationMessage, encodeRevoked } from '../../../src/core/revocation-sync.ts';
import { DAY, key, testGrid } from './membership-fixtures.ts';
import { rule } from '../rules.ts';

const G = testGrid('sync grid');
const alice = key('sync alice');
const aliceChain = G.founder(alice);
const revocation = (i: number) => G.revoke(alice, aliceChain, key(`gone ${i}`).publicKey, DAY);

/** Delivers every send between the given cores until quiet; returns the message types sent. */
function run(cores: GossipNode[], first: { out: Output[]; from: NodeId }[], now: number): number[] {
  const byId = new Map(cores.map((c) => [c.id, c]));
  const queue = [...first.flatMap(({ out, from }) => out.map((o) => ({ o, from })))];
  const types: number[] = [];
  while (queue.length > 0 && types.length < 500) {
    const { o, from } = queue.shift()!;
    if (o.type !== 'send') continue;
    const to = byId.get(o.to);
    if (!to) continue;
    types.push(o.bytes[0]!);
    queue.push(...to.receive(from, o.bytes, now, () => true).map((x) => ({ o: x, from: to.id })));
  }
  return types;
}

function pair(aRevocations: number[], bRevocations: number[]) {
  const ma = G.membership();
  const mb = G.membership();
  for (const i of aRevocations) ma.addRevocation(revocation(i), DAY);
  for (const i of bRevocations) mb.addRevocation(revocation(i), DAY);
  const a = G.node(ma, 'sync a');
  const b = G.node(mb, 'sync b');
  const types = run(
    [a.core, b.core],
    [
      { out: a.core.linkUp(b.core.id, DAY), from: a.core.id },
      { out: b.core.linkUp(a.core.id, DAY), from: b.core.id },
    ],
    DAY,
  );
  return { ma, mb, a, b, types };
}

describe('the revocation set over links', () => {
  it(rule('A REVOKED_SUMMARY goes with every SUMMARY of anti-entropy: at link-up and every period.'), () => {
    const { types } = pair([1, 2], [1, 2]);
    assert.equal(types.filter((t) => t === 6).length, 1, 'one REVOKED_SUMMARY at link-up');
    assert.equal(types.filter((t) => t === 7 || t === 8).length, 0, 'equal sets: nothing more');
  });

  it(
    rule(
      'On REVOKED_IDS, a node sends the records the peer lacks, and its own REVOKED_IDS if it lacks some.',
    ),
    () => {
      const { ma, mb, types } = pair([1, 2, 3], [3, 4]);
      assert.equal(ma.revocationCount, 4);
      assert.equal(mb.revocationCount, 4);
      assert.deepEqual(ma.revocationFingerprint(), mb.revocationFingerprint());
      assert.ok(types.length <= 8, `a few messages: ${types}`);
    },
  );

  it(rule('A revocation new to a node is passed on at once to every other link.'), () => {
    const m = G.membership();
    const { core, peer } = G.node(m, 'relay node');
    const other = G.node(G.membership(), 'third').core.id;
    core.linkUp(other, DAY);
    const record = encodeRevocationRecord(revocation(9));
    const revoked = encodeRevoked([record], 1 << 16)[0]!;
    const out = core.receive(peer, revoked, DAY, () => true);
    assert.ok(
      out.some((o) => o.type === 'send' && o.to === other && o.bytes[0] === 8),
      'passed on',
    );
    assert.ok(!out.some((o) => o.type === 'send' && o.to === peer), 'not back to its sender');
    assert.equal(core.receive(peer, revoked, DAY, () => true).length, 0, 'a known one is not passed on');
  });

  it('a record whose revoker is no admin is refused and counted; random bytes never throw (property)', () => {
    const m = G.membership();
    const { core, peer } = G.node(m, 'judge');
    const bob = key('sync bob');
    const bobChain = [...aliceChain, G.issue(alice, bob.publicKey)];
    const record = encodeRevocationRecord(G.revoke(bob, bobChain, alice.publicKey, DAY));
    core.receive(peer, encodeRevoked([record], 1 << 16)[0]!, DAY, () => true);
    assert.equal(core.stats().dropped['bad-revocation'], 1);
    assert.equal(m.revocationCount, 0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        decodeRevocationMessage(b, 1 << 16);
        core.receive(peer, new Uint8Array([6 + ((b[0] ?? 0) % 3), ...b]), DAY, () => true);
      }),
      { numRuns: 500 },
    );
  });
});
