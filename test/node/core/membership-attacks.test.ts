/**
 * Security review findings 3 and 5 (../shared/SECURITY-REVIEW.md), each attack as the review ran it,
 * against the pure core: each is now refused and counted, and nothing else is disturbed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareBytes, equalBytes, nodeIdString, SETTLE_MS } from '../../../src/core/index.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { DAY, HOUR, key, testGrid } from './membership-fixtures.ts';
import { rule } from '../rules.ts';

const G = testGrid();
const alice = key('alice'); // the founder
const bob = key('bob'); // an honest member
const aliceChain = G.founder(alice);
const bobOneTime = key('bob one-time');
const bobChain = G.redeem(G.invitation(aliceChain, alice, bobOneTime), bobOneTime, bob, {
  signer: alice,
  chain: aliceChain,
  at: 2_000,
});
const T = 10 * DAY; // when the admin revokes
const idOf = (k: { publicKey: Uint8Array }) => nodeIdString(k.publicKey);

describe('finding 3: revocation holds', () => {
  it('[1c] a revoked invitee re-redeeming its own expired link, self-witnessed, is refused', () => {
    const r = key('revoked invitee');
    const oneTime = key('r one-time');
    const link = G.invitation(aliceChain, alice, oneTime, { canInvite: false, expiresAt: 2_000 + HOUR });
    const rChain = G.redeem(link, oneTime, r, { signer: alice, chain: aliceChain, at: 3_000 });
    const m = G.membership();
    const { receive, members, core } = G.node(m);
    receive(G.envelope(alice, aliceChain), T);
    receive(G.envelope(bob, bobChain), T);
    receive(G.envelope(r, rChain), T);
    assert.ok(m.addRevocation(G.revoke(alice, aliceChain, r.publicKey, T), T));
    // 40 days later, a fresh key, the old link, R as its own witness, dates inside the link's life.
    const k3 = key('fresh K3');
    const again = G.redeem(link, oneTime, k3, { signer: r, chain: rChain, at: 2_500 });
    receive(G.envelope(k3, again), T + 40 * DAY);
    assert.equal(core.stats().dropped.revoked, 1, 'refused as revoked (its witness is) and counted');
    assert.ok(!members().includes(idOf(k3)));
    assert.ok(members().includes(idOf(alice)) && members().includes(idOf(bob)), 'nothing else disturbed');
  });

  it(
    rule('A revoked key is refused, and so is everything it certified or witnessed, whatever its date.') +
      ' [1] a revoked member with invite rights backdating a certificate',
    () => {
      const r = key('revoked inviter');
      const oneTime = key('r2 one-time');
      const rChain = G.redeem(G.invitation(aliceChain, alice, oneTime), oneTime, r, {
        signer: alice,
        chain: aliceChain,
        at: 3_000,
      });
      const m = G.membership();
      const { receive, members, core } = G.node(m);
      receive(G.envelope(bob, bobChain), T);
      assert.ok(m.addRevocation(G.revoke(alice, aliceChain, r.publicKey, T), T));
      const k = key('backdated K');
      receive(G.envelope(k, [...rChain, G.issue(r, k.publicKey, { issuedAt: T - 1_000 })]), T + 30 * DAY);
      const k2 = key('backdated K2');
      const ot2 = key('backdated one-time');
      const viaInvite = G.redeem(G.invitation(rChain, r, ot2, { issuedAt: T - 1_000 }), ot2, k2, {
        signer: r,
        chain: rChain,
        at: T - 500,
      });
      receive(G.envelope(k2, viaInvite), T + 30 * DAY);
      assert.equal(core.stats().dropped.revoked, 2);
      assert.deepEqual(members(), [idOf(bob)], 'only the honest member is listed');
    },
  );

  it('[4] a revoked admin cannot return as admin, and no non-founder chain revokes the founder', () => {
    const a = key('admin A');
    const aChain = [...aliceChain, G.issue(alice, a.publicKey, { role: 'admin' })];
    const m = G.membership();
    const { receive, members, core } = G.node(m);
    receive(G.envelope(alice, aliceChain), T);
    assert.ok(m.addRevocation(G.revoke(alice, aliceChain, a.publicKey, T), T));
    const a2 = key('admin A2');
    const a2Chain = [...aChain, G.issue(a, a2.publicKey, { role: 'admin', issuedAt: T - 1_000 })];
    receive(G.envelope(a2, a2Chain), T + DAY);
    assert.equal(core.stats().dropped.revoked, 1, 'A2 refused');
    assert.equal(m.addRevocation(G.revoke(a2, a2Chain, alice.publicKey, T + DAY), T + DAY), false);
    // Even a valid admin below the founder cannot revoke the founder's node.
    const c = key('admin C');
    const cChain = [...aliceChain, G.issue(alice, c.publicKey, { role: 'admin' })];
    m.addRevocation(G.revoke(c, cChain, alice.publicKey, T + DAY), T + DAY);
    assert.equal(m.isRevoked(alice.publicKey, true), false);
    receive(G.envelope(alice, aliceChain), T + DAY);
    assert.ok(m.checkChain(aliceChain, alice.publicKey, T + DAY).ok, 'the founder is still a member');
    assert.deepEqual(members(), [idOf(alice)]);
  });

  it(rule("Only a founder's chain revokes a founder's node."), () => {
    const m = G.membership();
    const other = key('second founder');
    const otherChain = G.founder(other);
    assert.ok(m.addRevocation(G.revoke(other, otherChain, alice.publicKey, T), T));
    assert.equal(m.checkChain(aliceChain, alice.publicKey, T).ok, false, 'a founder can revoke a founder');
  });

  it('[3] more than 16 revocations reach a restarted node (the set is reconciled, not the newest 16)', () => {
    const revoked = Array.from({ length: 20 }, (_, i) => key(`revoked ${i}`));
    const chains = revoked.map((r, i) => [
      ...aliceChain,
      G.issue(alice, r.publicKey, { issuedAt: 1_000 + i }),
    ]);
    const old = G.membership();
    for (const r of revoked) assert.ok(old.addRevocation(G.revoke(alice, aliceChain, r.publicKey, T), T));
    // A restarted node: a new set, linked to a node that holds all 20.
    const fresh = G.membership();
    const a = G.node(old, 'holder');
    const b = G.node(fresh, 'restarted');
    const aId = a.core.id;
    const bId = b.core.id;
    // Link-up: the smaller id opens with a SUMMARY, and the revocation set's summary goes beside it.
    let queue = [
      ...a.core.linkUp(bId, T).map((o) => ({ o, from: aId })),
      ...b.core.linkUp(aId, T).map((o) => ({ o, from: bId })),
    ];
    let messages = 0;
    while (queue.length > 0 && messages < 200) {
      const { o, from } = queue.shift()!;
      if (o.type !== 'send') continue;
      messages++;
      const to = o.to === aId ? a : o.to === bId ? b : undefined;
      if (!to) continue;
      const out = to.core.receive(from, o.bytes, T + DAY, () => true);
      queue.push(...out.map((x) => ({ o: x, from: to.core.id })));
    }
    assert.equal(fresh.revocationCount, 20, `all 20 learned (${messages} messages)`);
    assert.deepEqual(fresh.revocationFingerprint(), old.revocationFingerprint());
    b.receive(G.envelope(revoked[0]!, chains[0]!), T + DAY);
    assert.equal(b.core.stats().dropped.revoked, 1, 'the oldest revoked node is refused');
  });
});

describe('finding 5: single use cannot be gamed', () => {
  const victim = key('victim V');
  const vOneTime = key('v one-time');
  const vLink = G.invitation(aliceChain, alice, vOneTime);
  const vChain = G.redeem(vLink, vOneTime, victim, { signer: alice, chain: aliceChain, at: 5_000 });

  it(
    rule(
      'A redemption a node has held for 10 minutes is settled there: no redemption heard later displaces it.',
    ) + ' [2] grinding a lower-hash redemption of a used invitation no longer evicts',
    () => {
      const m = G.membership();
      const { receive, members, core } = G.node(m);
      receive(G.envelope(victim, vChain), 6_000);
      receive(G.envelope(bob, bobChain), 6_000);
      const vHash = sha256(vChain.at(-1)!.bytes);
      // Grind E's redemption below V's hash, witnessed by a cooperating member at its own clock.
      let e = key('attacker E 0');
      let eChain = G.redeem(vLink, vOneTime, e, { signer: bob, chain: bobChain, at: DAY });
      for (let i = 1; compareBytes(sha256(eChain.at(-1)!.bytes), vHash) >= 0; i++) {
        e = key(`attacker E ${i}`);
        eChain = G.redeem(vLink, vOneTime, e, { signer: bob, chain: bobChain, at: DAY }, { issuedAt: 1_000 });
      }
      receive(G.envelope(e, eChain), DAY);
      // A witness that lies about its clock, once V's redemption has settled here.
      const liar = G.redeem(vLink, vOneTime, e, { signer: bob, chain: bobChain, at: 4_000 });
      receive(G.envelope(e, liar), 6_000 + SETTLE_MS);
      assert.equal(core.stats().dropped['invite-used'], 2);
      receive(G.envelope(victim, vChain), DAY);
      assert.ok(members().includes(idOf(victim)) && !members().includes(idOf(e)), 'V stays, E is out');
      assert.ok(equalBytes(m.redeemedBy(vOneTime.publicKey)!, victim.publicKey));
    },
  );

  it('[race] the loser of a race is refused everywhere, and is shown the winning chain', () => {
    const oneTime = key('raced one-time');
    const link = G.invitation(aliceChain, alice, oneTime);
    const winner = key('winner');
    const loser = key('loser');
    const wChain = G.redeem(link, oneTime, winner, { signer: alice, chain: aliceChain, at: 7_000 });
    const lChain = G.redeem(link, oneTime, loser, { signer: bob, chain: bobChain, at: 7_001 });
    // A node that admitted the loser first: the winner displaces it, and its next announcement is refused.
    const m = G.membership();
    const { receive, members, core } = G.node(m);
    receive(G.envelope(loser, lChain), 8_000);
    receive(G.envelope(winner, wChain), 8_000);
    receive(G.envelope(loser, lChain), 9_000);
    assert.equal(core.stats().dropped['invite-used'], 1);
    assert.ok(members().includes(idOf(winner)));
    const refusal = m.checkChain(lChain, loser.publicKey, 9_000);
    assert.ok(
      !refusal.ok && refusal.reason === 'invite-used' && equalBytes(refusal.spent!, oneTime.publicKey),
    );
    // The loser checks the proof it is sent against its own chain, and sees that it lost.
    const proof = m.redemptionProof(oneTime.publicKey)!;
    const own = G.membership();
    assert.ok(own.checkChain(lChain, loser.publicKey, 9_000).ok);
    assert.ok(own.checkChain(proof, winner.publicKey, 9_000).ok);
    assert.ok(equalBytes(own.redeemedBy(oneTime.publicKey)!, winner.publicKey), 'the loser sees it lost');
  });

  it(
    rule("A redemption is dated by its witness: one witnessed after its invitation's expiry is refused.") +
      ' [5] an expired link redeemed with a cooperating witness',
    () => {
      const oneTime = key('expired one-time');
      const link = G.invitation(aliceChain, alice, oneTime, { expiresAt: 10_000 });
      const late = key('late claimant');
      // The claimant dates its certificate at the expiry; the witness signs its own clock, 10 days on.
      const chain = G.redeem(
        link,
        oneTime,
        late,
        { signer: bob, chain: bobChain, at: 10 * DAY },
        { issuedAt: 10_000 },
      );
      const m = G.membership();
      const { receive, members, core } = G.node(m);
      receive(G.envelope(bob, bobChain), 10 * DAY);
      receive(G.envelope(late, chain), 10 * DAY);
      assert.equal(core.stats().dropped['expired-invitation'], 1);
      assert.deepEqual(members(), [idOf(bob)]);
    },
  );

  it('a witness date far in the future of the receiver is refused', () => {
    const oneTime = key('future one-time');
    const link = G.invitation(aliceChain, alice, oneTime, { expiresAt: 0 });
    const c = key('future claimant');
    const chain = G.redeem(link, oneTime, c, { signer: bob, chain: bobChain, at: 50 * DAY });
    assert.deepEqual(G.membership().checkChain(chain, c.publicKey, DAY), {
      ok: false,
      reason: 'witness-in-future',
    });
  });
});
