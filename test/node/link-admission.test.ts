// Link admission (PROTOCOL.md §9) with the real guard and the real chain rules: which presented
// memberships let a link up, and which links a revocation closes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  CERT_NODE,
  type Certificate,
  GridMembership,
  type NodeId,
  certificateMessage,
  descriptorMessage,
  encodeMembership,
  nodeIdString,
  revocationMessage,
  signedCertificate,
  signedDescriptor,
  signedRevocation,
  utf8,
} from '../../src/core/index.ts';
import { nobleSigner, verifySync } from '../../src/crypto/ed25519.ts';
import { MembershipGuard } from '../../src/node/guard.ts';
import { LinkAdmission } from '../../src/node/link-admission.ts';
import { rule } from './rules.ts';

const key = (name: string) => nobleSigner(sha256(utf8(`link ${name}`)));
type Key = ReturnType<typeof key>;

function setup(name = 'grid') {
  const g = key(name);
  const descriptor = signedDescriptor(
    g.publicKey,
    'Friends',
    true,
    g.signSync(descriptorMessage(g.publicKey, 'Friends', true)),
  );
  const membership = new GridMembership(g.publicKey, verifySync);
  const gridId = membership.gridId;
  const issue = (by: Key, subject: Key, role: 'admin' | 'member', issuedAt: number): Certificate => {
    const fields = {
      kind: CERT_NODE,
      gridId,
      issuer: by.publicKey,
      subject: subject.publicKey,
      role,
      canInvite: true,
      issuedAt,
      expiresAt: 0,
    } as const;
    return signedCertificate(fields, by.signSync(certificateMessage(fields)));
  };
  const field = (chain: Certificate[]) =>
    encodeMembership({ descriptor, chain, revocations: [], leaving: false });
  const activity: [string, string | undefined, string | undefined][] = [];
  const guard = new MembershipGuard({
    publicKey: key('self').publicKey,
    signer: key('self'),
    active: () => undefined,
    activity: (kind, id, reason) => activity.push([kind, id, reason]),
    input: async () => {},
    closeLink: () => {},
    sendSignal: () => {},
    saveRevocation: async () => {},
    expelled: async () => {},
  });
  guard.membership = membership;
  const admission = new LinkAdmission(guard, () => 5_000);
  return { g, gridId, membership, issue, field, guard, admission, activity };
}

const id = (k: Key): NodeId => nodeIdString(k.publicKey);

describe('link admission', () => {
  it(
    rule(
      "A link is admitted only if the membership field presented with its proof holds this grid's descriptor and a valid chain to the proved key, and that key is not revoked.",
    ),
    async () => {
      const { g, issue, field, guard, admission, activity } = setup();
      const alice = key('alice');
      const mallory = key('mallory');
      const aliceChain = [issue(g, alice, 'admin', 1_000)];
      assert.equal(await admission.admit(id(alice), field(aliceChain)), undefined, 'a member links');
      assert.equal(await admission.admit(id(mallory), new Uint8Array(0)), 'not-member', 'nothing presented');
      assert.equal(
        await admission.admit(id(mallory), field(aliceChain)),
        'broken-chain',
        "someone else's chain",
      );
      assert.equal(await admission.admit(id(mallory), new Uint8Array([1, 2, 3])), 'malformed-membership');
      const other = setup('another grid');
      const foreign = other.field([other.issue(other.g, mallory, 'member', 1_000)]);
      assert.equal(await admission.admit(id(mallory), foreign), 'foreign-descriptor', 'another grid');
      assert.deepEqual(guard.refused, {
        'link-not-member': 1,
        'link-broken-chain': 1,
        'link-malformed-membership': 1,
        'link-foreign-descriptor': 1,
      });
      assert.equal(
        activity.filter(([kind]) => kind === 'rejected').length,
        4,
        'each one in the activity log',
      );
    },
  );

  it(
    rule('When revocations arrive, every link is checked again, and those that no longer pass are closed.'),
    async () => {
      const { g, gridId, membership, issue, field, guard, admission } = setup();
      const alice = key('alice');
      const bob = key('bob');
      const carol = key('carol');
      const dave = key('dave');
      const aliceChain = [issue(g, alice, 'admin', 1_000)];
      const bobChain = [...aliceChain, issue(alice, bob, 'member', 2_000)];
      const carolChain = [...aliceChain, issue(alice, carol, 'member', 2_000)];
      // Dave was certified by Bob after the time Bob's revocation will name.
      const daveChain = [...bobChain, issue(bob, dave, 'member', 4_000)];
      for (const [k, chain] of [
        [bob, bobChain],
        [carol, carolChain],
        [dave, daveChain],
      ] as const)
        assert.equal(await admission.admit(id(k), field([...chain])), undefined);
      assert.deepEqual(await admission.recheck([id(bob), id(carol), id(dave)]), [], 'nothing revoked yet');
      const revocation = signedRevocation(
        { gridId, revoker: alice.publicKey, revoked: bob.publicKey, revokedAt: 3_000 },
        alice.signSync(revocationMessage(gridId, alice.publicKey, bob.publicKey, 3_000)),
        aliceChain,
      );
      assert.ok(membership.addRevocation(revocation, 5_000));
      assert.deepEqual(
        (await admission.recheck([id(bob), id(carol), id(dave)])).sort(),
        [id(bob), id(dave)].sort(),
      );
      assert.equal(guard.refused['link-revoked'], 2);
      // A revoked node is refused a new link (and the guard counts and tells it).
      assert.equal(await admission.admit(id(bob), field([...bobChain])), 'revoked');
      assert.equal(guard.refused['revoked-link'], 1);
    },
  );
});
