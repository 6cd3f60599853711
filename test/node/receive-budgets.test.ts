// Issue 12 / SECURITY-REVIEW findings 4 and 7: every signature a message carries is verified before the
// core (asynchronously, cached by hash, failures included), duplicates within a message cost nothing,
// and what a link, an origin or a sender may make this node verify or believe is bounded and counted.
// Real Ed25519 throughout (WebCrypto in Node for the async path, noble to sign).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CERT_NODE,
  type Certificate,
  GossipNode,
  GridMembership,
  type NodeId,
  decodeMembership,
  encodeAnnounce,
  encodeMembership,
  encodeRevocationRecord,
  nodeIdString,
  seededRandom,
  signedCertificate,
  toHex,
} from '../../src/core/index.ts';
import { membershipSignatures, revocationRecordSignatures } from '../../src/core/signatures.ts';
import { type Verifier, defaultVerifier, verifySync } from '../../src/crypto/ed25519.ts';
import { SignatureCache } from '../../src/crypto/signature-cache.ts';
import { VerificationCache } from '../../src/crypto/verify-cache.ts';
import { Preverifier, type ReceiveBudgets } from '../../src/node/receive-budgets.ts';
import { key, testGrid } from './core/membership-fixtures.ts';

/** The real verifier, counting how often it is asked. */
async function counting(): Promise<Verifier & { calls: number }> {
  const real = await defaultVerifier();
  const v = {
    calls: 0,
    verify: (k: Uint8Array, m: Uint8Array, s: Uint8Array) => {
      v.calls++;
      return real.verify(k, m, s);
    },
  };
  return v;
}

/** A grid with a founder (Alice, admin), an invited member (Bob, redeemed with Carol as witness). */
function world() {
  const t = testGrid('budgets');
  const alice = key('alice');
  const carol = key('carol');
  const bob = key('bob');
  const aliceChain = t.founder(alice);
  const carolChain = [...aliceChain, t.issue(alice, carol.publicKey)];
  const oneTime = key('one-time');
  const invited = t.invitation(carolChain, carol, oneTime);
  const bobChain = t.redeem(invited, oneTime, bob, { signer: carol, chain: carolChain, at: 2_000 });
  return { t, alice, bob, carol, aliceChain, carolChain, bobChain };
}

const fieldOf = (t: ReturnType<typeof testGrid>, chain: Certificate[], revocations = [] as never[]) =>
  encodeMembership({ descriptor: t.descriptor, chain, revocations, leaving: false });

describe('signatures listed before the core', () => {
  it('lists exactly the signatures the membership rules check: descriptor, certificates, witness, revocations', () => {
    const { t, alice, bob, aliceChain, bobChain } = world();
    const revocation = t.revoke(alice, aliceChain, key('zed').publicKey, 3_000);
    const field = encodeMembership({
      descriptor: t.descriptor,
      chain: bobChain,
      revocations: [revocation],
      leaving: false,
    });
    const checked = new Set<string>();
    const m = new GridMembership(t.g.publicKey, (k, _msg, s) => {
      checked.add(toHex(k) + toHex(s));
      return true;
    });
    assert.equal(m.admit(bob.publicKey, field, 5_000).ok, true);
    const listed = membershipSignatures(field).map((r) => toHex(r.publicKey) + toHex(r.signature));
    assert.equal(new Set(listed).size, listed.length, 'each listed once');
    assert.deepEqual(new Set(listed), checked);
    // descriptor 1 + bob's chain 4 (founder, carol, invitation, redemption) + witness 1 (carol's chain is
    // a prefix of bob's: listed once) + the revocation 1 (alice's chain again: once).
    assert.equal(listed.length, 7);
    assert.deepEqual(
      revocationRecordSignatures([encodeRevocationRecord(revocation)]).length,
      2,
      'a revocation and its revoker’s one-certificate chain',
    );
    assert.deepEqual(membershipSignatures(new Uint8Array([9, 9, 9])), [], 'garbage lists nothing');
  });
});

describe('SignatureCache', () => {
  it('verifies asynchronously once, caches failures too, and the synchronous check then only looks up', async () => {
    const { t, bob, bobChain } = world();
    const field = fieldOf(t, bobChain);
    const verifier = await counting();
    const cache = new SignatureCache(verifier);
    const requests = membershipSignatures(field);
    const forged = { ...requests[1]!, signature: new Uint8Array(64).fill(7) };
    await Promise.all([
      cache.verifyAll([...requests, forged, forged]),
      cache.verifyAll([...requests, forged]),
    ]);
    assert.equal(verifier.calls, requests.length + 1, 'each signature once, concurrent callers included');
    await cache.verifyAll([forged]);
    assert.equal(verifier.calls, requests.length + 1, 'a failure is remembered');
    assert.equal(cache.check(forged.publicKey, forged.message, forged.signature), false);
    const m = new GridMembership(t.g.publicKey, cache.check);
    assert.equal(m.admit(bob.publicKey, field, 5_000).ok, true);
    const s = cache.stats();
    assert.equal(s.syncVerified, 0, 'no synchronous verification');
    assert.equal(s.unverified, 0);
    assert.equal(s.failed, 1);
  });

  it('what was not pre-verified is checked synchronously only within a small budget, then refused unchecked', async () => {
    const { t, bobChain } = world();
    let now = 0;
    const cache = new SignatureCache(await defaultVerifier(), { syncPerSecond: 3, now: () => now });
    const requests = membershipSignatures(fieldOf(t, bobChain));
    const answers = requests.slice(0, 5).map((r) => cache.check(r.publicKey, r.message, r.signature));
    assert.deepEqual(answers, [true, true, true, false, false]);
    assert.equal(cache.stats().syncVerified, 3);
    assert.equal(cache.stats().unverified, 2);
    // Refused unchecked is not remembered: once verified (or the budget refilled), it holds.
    now = 1_000;
    const r = requests[3]!;
    assert.equal(cache.check(r.publicKey, r.message, r.signature), true);
  });

  it('with no synchronous budget (the browser) a miss is refused unchecked, verified in the background, and holds when asked again', async () => {
    const { t, bobChain } = world();
    const verifier = await counting();
    const cache = new SignatureCache(verifier, { syncPerSecond: 0 });
    const [r] = membershipSignatures(fieldOf(t, bobChain));
    const forged = { ...r!, signature: new Uint8Array(64).fill(3) };
    assert.equal(cache.check(r!.publicKey, r!.message, r!.signature), false, 'refused, not checked');
    assert.equal(cache.check(forged.publicKey, forged.message, forged.signature), false);
    assert.equal(cache.stats().syncVerified, 0);
    assert.equal(cache.stats().unverified, 2);
    assert.equal(cache.stats().deferred, 2, 'both verified in the background');
    assert.equal(cache.result(r!), undefined, 'a refusal unchecked is not remembered as a failure');
    await cache.verifyAll([r!, forged]);
    assert.equal(verifier.calls, 2, 'the background checks were the only ones');
    assert.equal(cache.check(r!.publicKey, r!.message, r!.signature), true, 'asked again: it holds');
    assert.equal(cache.check(forged.publicKey, forged.message, forged.signature), false);
    assert.equal(cache.stats().unverified, 2);
  });

  it('a vouching signer enters what it signs: the membership rules then find it without any check', async () => {
    const { t, alice, aliceChain } = world();
    const verifier = await counting();
    const cache = new SignatureCache(verifier, { syncPerSecond: 0 });
    const signer = cache.vouching(alice);
    const revoked = key('revoked by alice').publicKey;
    const { revocationMessage, signedRevocation } = await import('../../src/core/index.ts');
    const signature = await signer.sign(revocationMessage(t.gridId, alice.publicKey, revoked, 3_000));
    assert.equal(
      toHex(signature),
      toHex(alice.signSync(revocationMessage(t.gridId, alice.publicKey, revoked, 3_000))),
    );
    const revocation = signedRevocation(
      { gridId: t.gridId, revoker: alice.publicKey, revoked, revokedAt: 3_000 },
      signature,
      aliceChain,
    );
    const m = new GridMembership(t.g.publicKey, cache.check);
    // The chain alone is not vouched for (someone else signed it): refused until pre-verified.
    assert.equal(m.addRevocation(revocation, 5_000), false);
    await cache.verifyAll(membershipSignatures(fieldOf(t, aliceChain)));
    assert.equal(m.addRevocation(revocation, 5_000), true);
    assert.equal(cache.stats().vouched, 1);
    assert.equal(cache.stats().syncVerified, 0);
    assert.equal(verifier.calls, 2, 'descriptor and certificate verified; the revocation never');
  });
});

/** A receiver: the core with the membership rules on the run's caches, one link, and the preverifier. */
async function receiver(
  budgets: Partial<ReceiveBudgets> = {},
  yieldToHost: () => Promise<void> = () => Promise.resolve(),
) {
  const w = world();
  let now = 10_000;
  const verifier = await counting();
  const signatures = new SignatureCache(verifier, { now: () => now });
  const envelopes = new VerificationCache(verifier, undefined, signatures.check);
  const pre = new Preverifier(envelopes, signatures, () => now, budgets, yieldToHost);
  const m = new GridMembership(w.t.g.publicKey, signatures.check);
  const me = key('receiver');
  const core = new GossipNode({
    publicKey: me.publicKey,
    gridId: w.t.gridId,
    random: seededRandom(3),
    revocations: m,
    admit: pre.admitWithBudget(
      (origin, body, at) => {
        const r = m.admit(origin, body.membership, at);
        return r.ok ? undefined : r.reason;
      },
      () => false,
    ),
  });
  const link: NodeId = nodeIdString(key('link').publicKey);
  core.linkUp(link, now);
  /** What the runtime does: pre-verify, take out what is over budget, hand the rest to the core. */
  const receive = async (list: Uint8Array[], from: NodeId = link) => {
    const kept = await pre.announce(from, list, core.config.maxBodyBytes, (o) => core.heldHash(o));
    if (kept.length > 0) core.receive(from, encodeAnnounce(kept, 1 << 20)[0]!, now, envelopes.lookup);
    return kept.length;
  };
  return { ...w, core, pre, signatures, verifier, receive, link, tick: (ms: number) => (now += ms) };
}

describe('Preverifier: budgets in front of the core', () => {
  it('a forged envelope repeated 416 times in one message costs one check, and is refused before the core', async () => {
    const r = await receiver();
    const mallory = key('mallory');
    // A real member's chain presented by someone else, signed by mallory: the envelope verifies, the
    // chain does not end at mallory. And one with a forged envelope signature.
    const genuine = r.t.envelope(mallory, r.bobChain);
    const forged = genuine.slice();
    forged[forged.length - 1]! ^= 1;
    const kept = await r.receive(Array(416).fill(forged));
    assert.equal(kept, 0, 'found forged: taken out before the core');
    assert.equal(r.pre.dropped['duplicate-in-message'], 415);
    assert.equal(r.pre.dropped.forged, 1);
    assert.equal(r.verifier.calls, 1 + membershipSignatures(fieldOf(r.t, r.bobChain)).length);
    assert.equal(r.core.stats().dropped['bad-signature'], undefined, 'the core never saw it');
    await r.receive(Array(416).fill(forged));
    assert.equal(r.pre.dropped['known-forged'], 1, 'remembered by its bytes: no hash, no decode');
    assert.equal(r.pre.dropped['duplicate-in-message'], 2 * 415);
    assert.equal(r.verifier.calls, 1 + 6, 'the same bytes again cost nothing: the failure is cached');
    await r.receive([genuine]);
    assert.equal(r.core.stats().dropped['broken-chain'], 1);
    assert.equal(
      r.signatures.stats().syncVerified + r.signatures.stats().unverified,
      0,
      'the core never verified',
    );
  });

  it('Sybils whose own chain carries a forged certificate are found forged once, then dropped by their bytes, a slice at a time', async () => {
    let turns = 0;
    const r = await receiver({ envelopesPerSlice: 16 }, () => {
      turns++;
      return Promise.resolve();
    });
    // 100 fresh keys, each with a valid envelope signature and a "founder" certificate whose signature
    // is made up (the bench's hostile member sends these).
    const sybils = Array.from({ length: 100 }, (_, i) => {
      const sybil = key(`forged sybil ${i}`);
      const fields = {
        kind: CERT_NODE,
        gridId: r.t.gridId,
        issuer: r.t.g.publicKey,
        subject: sybil.publicKey,
        role: 'admin',
        canInvite: true,
        issuedAt: 1,
        expiresAt: 0,
      } as const;
      return r.t.envelope(sybil, [signedCertificate(fields, new Uint8Array(64).fill(i + 1))]);
    });
    assert.equal(await r.receive(sybils), 0, 'none reaches the core');
    assert.equal(r.pre.dropped.forged, 100);
    assert.ok(turns >= 6, `a turn of the event loop after every 16 envelopes at most (${turns})`);
    const calls = r.verifier.calls;
    assert.equal(await r.receive(sybils), 0);
    assert.equal(r.pre.dropped['known-forged'], 100);
    assert.equal(r.verifier.calls, calls, 'nothing verified again');
    assert.equal(r.core.stats().origins, 0);
    assert.deepEqual(r.core.stats().dropped, {}, 'the core did no work for them');
    // An honest member's announcement still goes through.
    assert.equal(await r.receive([r.t.envelope(r.bob, r.bobChain)]), 1);
    assert.equal(r.core.stats().origins, 1);
  });

  it('a link past its verification budget has the rest of its message dropped unhashed', async () => {
    const r = await receiver({ perLinkBurst: 20, perLinkPerSecond: 10 });
    const sybils = Array.from({ length: 40 }, (_, i) => r.t.envelope(key(`budget sybil ${i}`), r.bobChain));
    await r.receive(sybils);
    const over = r.pre.dropped['verify-budget-link']!;
    assert.ok(over >= 20, `most of them over the budget (${over})`);
    // Once the bucket is empty, the link's envelopes are refused before any hash or decode: a stranger's
    // forged copy of an envelope is not even looked at, so it is not found forged either.
    const forged = r.t.envelope(key('late'), r.bobChain);
    forged[forged.length - 1]! ^= 1;
    await r.receive([forged]);
    assert.equal(r.pre.dropped['verify-budget-link'], over + 1);
    assert.equal(r.pre.dropped.forged, undefined);
  });

  it('verifications per link per second are bounded: the excess is taken out before the core, and counted', async () => {
    const r = await receiver({ perLinkBurst: 20, perLinkPerSecond: 10 });
    // Sybil non-members: each envelope is new bytes from a new key (1 check + its chain's new ones).
    const sybils = Array.from({ length: 30 }, (_, i) => r.t.envelope(key(`sybil ${i}`), r.bobChain));
    const kept = await r.receive(sybils);
    // The first costs 1 + 6 (the chain is new), each next one 1: 20 tokens hold 14 envelopes.
    assert.equal(kept, 14);
    assert.equal(r.pre.dropped['verify-budget-link'], 16);
    assert.ok(r.verifier.calls <= 20, `checks: ${r.verifier.calls}`);
    // Another link is not affected by this link's spending.
    const other = nodeIdString(key('other link').publicKey);
    r.core.linkUp(other, 10_000);
    assert.equal(await r.receive([r.t.envelope(key('sybil x'), r.bobChain)], other), 1);
    // The budget refills: a second later ten more.
    r.tick(1_000);
    const later = Array.from({ length: 15 }, (_, i) => r.t.envelope(key(`later ${i}`), r.bobChain));
    assert.equal(await r.receive(later), 10);
  });

  it('verifications per origin are bounded wherever its announcements come from', async () => {
    const r = await receiver({ perOriginBurst: 9, perOriginPerSecond: 1 });
    const announcements = Array.from({ length: 5 }, () => r.t.envelope(r.bob, r.bobChain));
    // The first: 1 + 6 new signatures (7 of 9 tokens); each later seqnum 1 more.
    assert.equal(await r.receive(announcements), 3);
    assert.equal(r.pre.dropped['verify-budget-origin'], 2);
  });

  it('new seqnums per origin are a token bucket: over it, delayed (refused now, taken later), not believed', async () => {
    const r = await receiver({
      seqnumBurst: 3,
      seqnumPerSecond: 1,
      perOriginBurst: 1_000,
      perOriginPerSecond: 1_000,
    });
    const seqnumOf = () => r.core.getPeers().find((p) => p.id === nodeIdString(r.bob.publicKey))?.seqnum;
    for (let i = 0; i < 10; i++) await r.receive([r.t.envelope(r.bob, r.bobChain)]);
    assert.equal(seqnumOf(), 3, 'three believed');
    assert.equal(r.core.stats().dropped['seqnum-budget'], 7);
    r.tick(1_000);
    const newest = r.t.envelope(r.bob, r.bobChain);
    await r.receive([newest]);
    assert.equal(seqnumOf(), 11, 'a second later the newest is taken');
  });

  it('a link that keeps sending past its byte budget is closed and refused for a while; an honest link goes on', async () => {
    const r = await receiver({ perLinkBytesBurst: 1_000_000, perLinkBytesPerSecond: 100_000 });
    const mallory: NodeId = nodeIdString(key('mallory').publicKey);
    const message = 250 * 1024;
    const verdicts: string[] = [];
    // 5 MiB/s: a 250 KiB message every 50 ms for 10 s. A link sending twice its budget is never closed.
    const twice: NodeId = nodeIdString(key('busy').publicKey);
    for (let i = 0; i < 2_000; i++) {
      assert.notEqual(r.pre.admitBytes(twice, 20_000), 'close');
      r.tick(100);
    }
    for (let i = 0; i < 200 && !verdicts.includes('close'); i++) {
      verdicts.push(r.pre.admitBytes(mallory, message));
      assert.equal(r.pre.admitBytes(r.link, 2_000), 'ok', 'honest gossip beside it is never refused');
      r.tick(50);
    }
    assert.equal(
      verdicts.slice(0, 4).join(),
      'ok,ok,ok,drop',
      `the burst is taken, then dropped: ${verdicts}`,
    );
    assert.equal(verdicts.at(-1), 'close', 'then the link is closed');
    // 5 MiB/s against 100 KB/s: dropped bytes overrun 4 MiB (the default) less the refill, in about a second.
    const dropped = verdicts.filter((v) => v === 'drop').length;
    assert.ok(dropped >= 16 && dropped <= 18, `${dropped} messages dropped before the close`);
    assert.equal(r.pre.stats().dropped['link-flood-closed'], 1);
    assert.equal(r.pre.flooded(mallory), true, 'her links are refused');
    assert.equal(r.pre.flooded(r.link), false);
    r.tick(60_000);
    assert.equal(r.pre.flooded(mallory), false, 'after the cooldown she may link again');
    assert.equal(r.pre.stats().dropped['link-flooded'], 1);
  });

  it('the same new announcement on two links at once: the second waits for the first’s checks, so the core never misses', async () => {
    const r = await receiver();
    const other = nodeIdString(key('second link').publicKey);
    r.core.linkUp(other, 10_000);
    const envelope = r.t.envelope(r.bob, r.bobChain);
    const [a, b] = await Promise.all([r.receive([envelope]), r.receive([envelope], other)]);
    assert.equal(a + b, 2, 'both handed on');
    assert.equal(r.core.stats().origins, 1);
    assert.equal(r.verifier.calls, 1 + 6, 'each signature verified once');
    assert.equal(r.signatures.stats().unverified, 0, 'the core found every result');
    assert.equal(r.signatures.stats().syncVerified, 0);
  });

  it('a signaling sender’s membership fields are verified within its budget', async () => {
    const r = await receiver({ perSenderBurst: 8, perSenderPerSecond: 1 });
    const field = (i: number) => fieldOf(r.t, [...r.aliceChain, r.t.issue(r.alice, key(`s${i}`).publicKey)]);
    assert.equal(await r.pre.membership('sender', field(0)), true, 'descriptor + 2 certificates');
    const results = [];
    for (let i = 1; i <= 8; i++) results.push(await r.pre.membership('sender', field(i)));
    assert.deepEqual(results, [true, true, true, true, true, false, false, false]);
    assert.equal(r.pre.dropped['verify-budget-sender'], 3);
    assert.equal(await r.pre.membership('someone else', field(9)), true);
    assert.equal(decodeMembership(field(1)).ok, true);
  });
});

/** A membership guard of this test grid with the given table limits, its other hooks doing nothing. */
async function guardWith(
  gridKey: Uint8Array,
  limits: { maxOriginsPerIssuer: number; maxOriginsPerSubtree?: number },
) {
  const { MembershipGuard } = await import('../../src/node/guard.ts');
  const guard = new MembershipGuard({
    publicKey: key('self').publicKey,
    signer: key('self'),
    active: () => undefined,
    activity: () => undefined,
    input: async () => undefined,
    closeLink: () => undefined,
    sendSignal: () => undefined,
    saveRevocation: async () => undefined,
    expelled: async () => undefined,
    ...limits,
  });
  guard.membership = new GridMembership(gridKey, verifySync);
  return guard;
}

describe('MembershipGuard: origins per issuer', () => {
  it('a member minting members directly fills only its own share of the table; a real newcomer still gets in', async () => {
    const { t, alice, carol, carolChain } = world();
    const guard = await guardWith(t.g.publicKey, { maxOriginsPerIssuer: 3 });
    const minted = Array.from({ length: 6 }, (_, i) => key(`minted ${i}`));
    const answers = minted.map((k) =>
      guard.admit(k.publicKey, fieldOf(t, [...carolChain, t.issue(carol, k.publicKey)]), 5_000),
    );
    assert.deepEqual(answers, [undefined, undefined, undefined, 'issuer-full', 'issuer-full', 'issuer-full']);
    assert.equal(guard.refused['issuer-full'], 3);
    // A newcomer invited by someone else is admitted.
    const newcomer = key('newcomer');
    assert.equal(
      guard.admit(
        newcomer.publicKey,
        fieldOf(t, [...t.founder(alice), t.issue(alice, newcomer.publicKey)]),
        5_000,
      ),
      undefined,
    );
    // An admitted member announcing again is not new: it is not counted twice.
    assert.equal(
      guard.admit(
        minted[0]!.publicKey,
        fieldOf(t, [...carolChain, t.issue(carol, minted[0]!.publicKey)]),
        5_001,
      ),
      undefined,
    );
    // One forgotten frees a place.
    guard.forgetMember(nodeIdString(minted[1]!.publicKey));
    assert.equal(
      guard.admit(
        minted[3]!.publicKey,
        fieldOf(t, [...carolChain, t.issue(carol, minted[3]!.publicKey)]),
        5_002,
      ),
      undefined,
    );
  });

  it('Sybils minting Sybils fill at most one subtree: every member counts against each non-admin member above it', async () => {
    const { t, alice, carol, carolChain } = world();
    const guard = await guardWith(t.g.publicKey, { maxOriginsPerIssuer: 3, maxOriginsPerSubtree: 8 });
    // Carol (a member who may invite) mints three, each of which mints three: 12 within the per-issuer rule.
    const answers: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const child = key(`chain sybil ${i}`);
      const childChain = [...carolChain, t.issue(carol, child.publicKey)];
      answers.push(guard.admit(child.publicKey, fieldOf(t, childChain), 5_000));
      for (let j = 0; j < 3; j++) {
        const grandchild = key(`chain sybil ${i}.${j}`);
        const chain = [...childChain, t.issue(child, grandchild.publicKey)];
        answers.push(guard.admit(grandchild.publicKey, fieldOf(t, chain), 5_000));
      }
    }
    assert.equal(answers.filter((a) => a === undefined).length, 8, "Carol's subtree holds 8 at most");
    assert.equal(guard.refused['subtree-full'], 4);
    // Admins are not bounded (an admin's subtree may be most of the grid): Alice's invitees still get in.
    for (let i = 0; i < 3; i++) {
      const k = key(`by alice ${i}`);
      assert.equal(
        guard.admit(k.publicKey, fieldOf(t, [...t.founder(alice), t.issue(alice, k.publicKey)]), 5_000),
        undefined,
      );
    }
    // One of Carol's forgotten frees a place in her subtree.
    guard.forgetMember(nodeIdString(key('chain sybil 0.0').publicKey));
    const late = key('chain sybil 2.9');
    const lateChain = [...carolChain, t.issue(carol, key('chain sybil 2').publicKey)];
    assert.equal(
      guard.admit(
        late.publicKey,
        fieldOf(t, [...lateChain, t.issue(key('chain sybil 2'), late.publicKey)]),
        5_001,
      ),
      undefined,
    );
  });
});
