import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  CERT_INVITATION,
  CERT_NODE,
  type Certificate,
  GossipNode,
  GridMembership,
  type MemberRole,
  certificateMessage,
  compareBytes,
  decodeMembership,
  descriptorMessage,
  encodeAnnounce,
  encodeBody,
  encodeEnvelope,
  encodeMembership,
  gridIdOf,
  revocationMessage,
  seededRandom,
  signedCertificate,
  signedDescriptor,
  signedRevocation,
  signedMessage,
  witnessMessage,
  utf8,
} from '../../../src/core/index.ts';
import { nobleSigner, verifySync } from '../../../src/crypto/ed25519.ts';
import { countingVerify, idOf } from './fixtures.ts';
import { rule } from '../rules.ts';

const key = (name: string) => nobleSigner(sha256(utf8(`member ${name}`)));
const DAY = 86_400_000;

/** A grid founded by `grid`, with helpers that issue certificates the way the node does. */
function grid(name = 'grid') {
  const g = key(name);
  const gridId = gridIdOf(g.publicKey);
  const descriptor = signedDescriptor(
    g.publicKey,
    'Friends',
    true,
    g.signSync(descriptorMessage(g.publicKey, 'Friends', true)),
  );
  const issue = (
    by: ReturnType<typeof key>,
    subject: Uint8Array,
    o: { role?: MemberRole; canInvite?: boolean; kind?: 1 | 2; issuedAt?: number; expiresAt?: number } = {},
  ): Certificate => {
    const fields = {
      kind: o.kind ?? CERT_NODE,
      gridId,
      issuer: by.publicKey,
      subject,
      role: o.role ?? 'member',
      canInvite: o.canInvite ?? true,
      issuedAt: o.issuedAt ?? 1_000,
      expiresAt: o.expiresAt ?? 0,
    } as const;
    return signedCertificate(fields, by.signSync(certificateMessage(fields)));
  };
  const founder = (who: ReturnType<typeof key>) => [issue(g, who.publicKey, { role: 'admin' })];
  /** `inviter` (with `chain`) invites `invitee` through a one-time key, which the invitee redeems. */
  const invite = (
    chain: Certificate[],
    inviter: ReturnType<typeof key>,
    invitee: ReturnType<typeof key>,
    o: {
      canInvite?: boolean;
      expiresAt?: number;
      issuedAt?: number;
      oneTime?: ReturnType<typeof key>;
      witness?: { signer: ReturnType<typeof key>; chain: Certificate[] } | null;
      /** When the witness countersigns (its clock). */
      witnessedAt?: number;
    } = {},
  ) => {
    const oneTime = o.oneTime ?? key(`one-time ${++invitations}`);
    const invitation = issue(inviter, oneTime.publicKey, {
      kind: CERT_INVITATION,
      canInvite: o.canInvite ?? true,
      expiresAt: o.expiresAt ?? 7 * DAY,
    });
    const redemption = issue(oneTime, invitee.publicKey, {
      canInvite: o.canInvite ?? true,
      issuedAt: o.issuedAt ?? 2_000,
    });
    // By default the inviter witnesses; any member may.
    const by = o.witness === undefined ? { signer: inviter, chain } : o.witness;
    if (!by) return [...chain, invitation, redemption];
    const at = o.witnessedAt ?? o.issuedAt ?? 2_000;
    const witness = {
      key: by.signer.publicKey,
      at,
      signature: by.signer.signSync(witnessMessage(redemption, at)),
      chain: by.chain,
    };
    return [...chain, invitation, { ...redemption, witness }];
  };
  const membership = () => new GridMembership(g.publicKey, verifySync);
  return { g, gridId, descriptor, issue, founder, invite, membership };
}
let invitations = 0;

const alice = key('alice');
const bob = key('bob');
const carol = key('carol');
const dave = key('dave');
const mallory = key('mallory');

describe('membership chains', () => {
  const G = grid();
  const aliceChain = G.founder(alice);
  const bobChain = G.invite(aliceChain, alice, bob);
  const carolChain = G.invite(bobChain, bob, carol);

  it('the founder, a member she invited and a member he invited are all members; anyone sees who invited whom', () => {
    const m = G.membership();
    const a = m.checkChain(aliceChain, alice.publicKey, 5_000);
    const b = m.checkChain(bobChain, bob.publicKey, 5_000);
    const c = m.checkChain(carolChain, carol.publicKey, 5_000);
    assert.ok(a.ok && a.role === 'admin' && a.invitedBy === undefined, 'founder');
    assert.ok(
      b.ok && b.role === 'member' && compareBytes(b.invitedBy!, alice.publicKey) === 0,
      'bob invited by alice',
    );
    assert.ok(c.ok && compareBytes(c.invitedBy!, bob.publicKey) === 0, 'carol invited by bob');
  });

  it('a chain belongs to its last subject only', () => {
    assert.deepEqual(G.membership().checkChain(bobChain, carol.publicKey, 5_000), {
      ok: false,
      reason: 'broken-chain',
    });
  });

  it('a forged certificate is refused', () => {
    const forged = [...aliceChain, G.issue(alice, mallory.publicKey)];
    forged[1] = signedCertificate({ ...forged[1]!, role: 'admin' }, forged[1]!.signature);
    assert.deepEqual(G.membership().checkChain(forged, mallory.publicKey, 5_000), {
      ok: false,
      reason: 'bad-certificate-signature',
    });
  });

  it('a chain to another grid is refused', () => {
    const other = grid('other grid');
    const foreign = other.founder(mallory);
    assert.deepEqual(G.membership().checkChain(foreign, mallory.publicKey, 5_000), {
      ok: false,
      reason: 'broken-chain',
    });
  });

  it(
    rule(
      'Only an admin, or a member whose certificate allows inviting, issues certificates; only an admin issues admin certificates.',
    ),
    () => {
      const selfPromoted = [...bobChain, G.issue(bob, mallory.publicKey, { role: 'admin' })];
      assert.deepEqual(G.membership().checkChain(selfPromoted, mallory.publicKey, 5_000), {
        ok: false,
        reason: 'not-allowed-admin',
      });
    },
  );

  it('a member who may not invite cannot invite', () => {
    const limited = G.invite(aliceChain, alice, dave, { canInvite: false });
    const daveInvites = G.invite(limited, dave, mallory);
    assert.deepEqual(G.membership().checkChain(daveInvites, mallory.publicKey, 5_000), {
      ok: false,
      reason: 'not-allowed-to-invite',
    });
  });

  it('an expired invitation cannot be redeemed, and an expired certificate stops counting', () => {
    const late = G.invite(aliceChain, alice, dave, { expiresAt: 10_000, issuedAt: 10_001 });
    assert.deepEqual(G.membership().checkChain(late, dave.publicKey, 20_000), {
      ok: false,
      reason: 'expired-invitation',
    });
    const temporary = [...aliceChain, G.issue(alice, dave.publicKey, { expiresAt: 50_000 })];
    assert.ok(G.membership().checkChain(temporary, dave.publicKey, 49_999).ok, 'valid before expiry');
    assert.deepEqual(G.membership().checkChain(temporary, dave.publicKey, 50_001), {
      ok: false,
      reason: 'expired-certificate',
    });
  });

  it(
    rule(
      'A redemption counts only with a witness: a member that countersigns it and whose chain travels with it.',
    ),
    () => {
      const unwitnessed = G.invite(aliceChain, alice, dave, { witness: null });
      assert.deepEqual(G.membership().checkChain(unwitnessed, dave.publicKey, 5_000), {
        ok: false,
        reason: 'no-witness',
      });
      const selfWitnessed = G.invite(aliceChain, alice, dave, { witness: { signer: dave, chain: [] } });
      assert.deepEqual(G.membership().checkChain(selfWitnessed, dave.publicKey, 5_000), {
        ok: false,
        reason: 'no-witness',
      });
      const byOutsider = G.invite(aliceChain, alice, dave, {
        witness: { signer: mallory, chain: aliceChain },
      });
      assert.equal(G.membership().checkChain(byOutsider, dave.publicKey, 5_000).ok, false);
    },
  );

  it(
    rule(
      'An honest member witnesses each invitation once, and refuses when it already knows a redemption of it.',
    ),
    () => {
      const oneTime = key('shared one-time key');
      const first = G.invite(aliceChain, alice, dave, { oneTime });
      const m = G.membership();
      assert.ok(m.mayWitness(oneTime.publicKey, mallory.publicKey), 'unused: would witness');
      assert.ok(m.checkChain(first, dave.publicKey, 1_000).ok, 'first redemption');
      assert.equal(m.mayWitness(oneTime.publicKey, mallory.publicKey), false);
      assert.ok(m.mayWitness(oneTime.publicKey, dave.publicKey), 'the same node again is fine');
    },
  );

  it(
    rule(
      'Of two witnessed redemptions of one invitation, the one its witness dated first wins; equal dates go to the lower certificate hash.',
    ),
    () => {
      const oneTime = key('raced one-time key');
      const x = G.invite(aliceChain, alice, dave, { oneTime });
      const y = G.invite(aliceChain, alice, mallory, { oneTime });
      const winners = [
        [x, y],
        [y, x],
      ].map(([first, second]) => {
        const m = G.membership();
        for (const chain of [first!, second!]) m.checkChain(chain, chain.at(-1)!.subject, 1_000);
        return m.redeemedBy(oneTime.publicKey);
      });
      assert.deepEqual(winners[0], winners[1]);
    },
  );

  it(
    rule('A revoked key is refused, and so is everything it certified or witnessed, whatever its date.'),
    () => {
      const m = G.membership();
      const revocation = (revokedAt: number) =>
        signedRevocation(
          { gridId: G.gridId, revoker: alice.publicKey, revoked: bob.publicKey, revokedAt },
          alice.signSync(revocationMessage(G.gridId, alice.publicKey, bob.publicKey, revokedAt)),
          aliceChain,
        );
      assert.ok(m.addRevocation(revocation(3_000), 5_000), 'learned');
      assert.deepEqual(m.checkChain(bobChain, bob.publicKey, 5_000), { ok: false, reason: 'revoked' });
      // Carol's certificate says it predates the revocation; it is bob's claim, so it falls with him.
      assert.deepEqual(m.checkChain(carolChain, carol.publicKey, 5_000), { ok: false, reason: 'revoked' });
      const afterwards = [...bobChain, G.issue(bob, dave.publicKey, { issuedAt: 4_000 })];
      assert.deepEqual(m.checkChain(afterwards, dave.publicKey, 5_000), { ok: false, reason: 'revoked' });
      assert.ok(m.checkChain(aliceChain, alice.publicKey, 5_000).ok, 'the revoker is untouched');
    },
  );

  it('only an admin can revoke', () => {
    const m = G.membership();
    const byBob = signedRevocation(
      { gridId: G.gridId, revoker: bob.publicKey, revoked: carol.publicKey, revokedAt: 1 },
      bob.signSync(revocationMessage(G.gridId, bob.publicKey, carol.publicKey, 1)),
      bobChain,
    );
    assert.equal(m.addRevocation(byBob, 5_000), false);
    assert.ok(m.checkChain(carolChain, carol.publicKey, 5_000).ok);
  });

  it('membership fields round-trip, and random bytes never throw (property)', () => {
    const bytes = encodeMembership({
      descriptor: G.descriptor,
      chain: carolChain,
      revocations: [],
      leaving: false,
    });
    const decoded = decodeMembership(bytes);
    assert.ok(decoded.ok && decoded.value.chain.length === carolChain.length, 'round trip');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => void decodeMembership(b)),
      { numRuns: 2000 },
    );
  });
});

describe('the core admits members only', () => {
  const G = grid();
  const aliceChain = G.founder(alice);
  const envelopeOf = (who: ReturnType<typeof key>, chain: Certificate[], seqnum = 1) => {
    const membership = encodeMembership({ descriptor: G.descriptor, chain, revocations: [], leaving: false });
    const body = encodeBody({
      version: 1,
      gridId: G.gridId,
      seqnum,
      nonce: new Uint8Array(16),
      nickname: 'x',
      services: { storage: {} },
      hints: [],
      membership,
    });
    return encodeEnvelope(who.publicKey, body, who.signSync(signedMessage(who.publicKey, body)));
  };

  function member() {
    const m = G.membership();
    const node = new GossipNode({
      publicKey: key('me').publicKey,
      gridId: G.gridId,
      random: seededRandom(2),
      admit: (origin, body, now) => {
        const r = m.admit(origin, body.membership, now);
        return r.ok ? undefined : r.reason;
      },
    });
    node.linkUp(idOf('peer'), 0);
    const receive = (env: Uint8Array) =>
      node.receive(idOf('peer'), encodeAnnounce([env], 1 << 18)[0]!, 5_000, countingVerify());
    return { node, receive };
  }

  it('a member’s announcement is delivered; a non-member’s is dropped and counted', () => {
    const { node, receive } = member();
    const heard: string[] = [];
    node.subscribe('storage', (e) => heard.push(e.peer.id));
    receive(envelopeOf(alice, aliceChain));
    receive(envelopeOf(mallory, []));
    receive(envelopeOf(mallory, aliceChain));
    assert.equal(heard.length, 1);
    assert.equal(node.stats().dropped['not-member'], 1);
    assert.equal(node.stats().dropped['broken-chain'], 1);
  });

  it('an announcement replayed from before a revocation is refused, and the revoked node is evicted', () => {
    const { node, receive } = member();
    const bobChain = G.invite(aliceChain, alice, bob);
    const old = envelopeOf(bob, bobChain, 1);
    receive(old);
    assert.equal(node.getPeers().length, 1);
    const revocation = signedRevocation(
      { gridId: G.gridId, revoker: alice.publicKey, revoked: bob.publicKey, revokedAt: 4_000 },
      alice.signSync(revocationMessage(G.gridId, alice.publicKey, bob.publicKey, 4_000)),
      aliceChain,
    );
    const aliceWithRevocation = (() => {
      const membership = encodeMembership({
        descriptor: G.descriptor,
        chain: aliceChain,
        revocations: [revocation],
        leaving: false,
      });
      const body = encodeBody({
        version: 1,
        gridId: G.gridId,
        seqnum: 1,
        nonce: new Uint8Array(16),
        nickname: 'alice',
        services: {},
        hints: [],
        membership,
      });
      return encodeEnvelope(alice.publicKey, body, alice.signSync(signedMessage(alice.publicKey, body)));
    })();
    receive(aliceWithRevocation);
    node.evict(bob.publicKey, 5_000);
    assert.deepEqual(
      node.getPeers().map((p) => p.nickname),
      ['alice'],
    );
    receive(old);
    receive(envelopeOf(bob, bobChain, 2));
    assert.equal(node.stats().dropped.revoked, 2);
  });
});
