/**
 * Security review finding 5, through the node's own signing steps (src/node/grids.ts) and its membership
 * guard: two people redeem one invitation, each witnessed by a different member; the loser is told, with
 * the winning chain, and leaves. A witness refuses an invitation past its expiry on its own clock.
 * (Multi-browser runs of the invitation flow: test/node/e2e/story.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ed from '@noble/ed25519';
import { type GossipNode, type Output, encodeMembership, nodeIdString } from '../../../src/core/index.ts';
import { nobleSigner } from '../../../src/crypto/ed25519.ts';
import {
  type ActiveGrid,
  completeRedemption,
  foundGrid,
  issueInvite,
  membershipFor,
  prepareRedemption,
  readInvite,
  redemptionRequest,
  witnessRedemption,
} from '../../../src/node/grids.ts';
import { MembershipGuard } from '../../../src/node/guard.ts';
import { rule } from '../rules.ts';

const person = () => nobleSigner(ed.utils.randomSecretKey());
const T0 = Date.now();

/** A guard for `who` in `grid`, recording what it sends and whether it left. */
function guardOf(who: ReturnType<typeof person>, grid: ActiveGrid) {
  const sent: { to: string; payload: Record<string, unknown> }[] = [];
  const left: string[] = [];
  const activity: string[] = [];
  const guard = new MembershipGuard({
    publicKey: who.publicKey,
    signer: who,
    active: () => grid,
    activity: (kind, id, reason) => activity.push(`${kind} ${id} ${reason ?? ''}`),
    input: async (_step: (core: GossipNode, now: number) => Output[]) => undefined,
    closeLink: () => undefined,
    sendSignal: (payload, to) => sent.push({ to, payload }),
    saveRevocation: async () => undefined,
    expelled: async (reason) => void left.push(reason),
  });
  guard.reset(grid);
  return { guard, sent, left, activity };
}

/** `invitee` redeems `code`, witnessed by `witness` (in `grid`, with its own membership) at `at`. */
async function redeem(
  code: string,
  invitee: ReturnType<typeof person>,
  witness: ReturnType<typeof person>,
  grid: ActiveGrid,
  at: number,
) {
  const invite = readInvite(code);
  const redemption = await prepareRedemption(invite, invitee.publicKey, at);
  const answer = await witnessRedemption(
    grid,
    membershipFor(grid)!,
    witness,
    redemptionRequest(invite, redemption),
    at,
  );
  if (!('witness' in answer)) return answer;
  return completeRedemption(invite, redemption, answer.witness, invitee.publicKey, at);
}
const membershipOf = (g: ActiveGrid) =>
  encodeMembership({ descriptor: g.descriptor!, chain: g.chain, revocations: [], leaving: false });

describe('redemption races, through the node', () => {
  it(rule('A node whose redemption lost is told') + ': it checks the winning chain and leaves', async () => {
    const alice = person();
    const bob = person();
    const dave = person();
    const erin = person();
    const grid = await foundGrid('Friends', alice.publicKey, T0);
    const relays: string[] = [];
    const forBob = await issueInvite(grid, alice, T0, { relays, hints: [] });
    const bobGrid = (await redeem(forBob.code, bob, alice, grid, T0 + 1)) as ActiveGrid;
    assert.ok(bobGrid.chain, 'bob is a member');
    const link = await issueInvite(grid, alice, T0 + 2, { relays, hints: [] });
    // Dave and Erin both open the link; Alice witnesses Dave, Bob (who has not heard) witnesses Erin later.
    const daveGrid = (await redeem(link.code, dave, alice, grid, T0 + 10)) as ActiveGrid;
    const erinGrid = (await redeem(link.code, erin, bob, bobGrid, T0 + 20)) as ActiveGrid;
    assert.ok(daveGrid.chain && erinGrid.chain, 'both completed, as in the review');

    // A member that hears Erin first, then Dave: Dave wins by his witness's date; Erin is refused and told.
    const carol = guardOf(person(), grid);
    assert.equal(carol.guard.admit(erin.publicKey, membershipOf(erinGrid), T0 + 30), undefined);
    assert.equal(carol.guard.admit(dave.publicKey, membershipOf(daveGrid), T0 + 31), undefined);
    assert.equal(carol.guard.admit(erin.publicKey, membershipOf(erinGrid), T0 + 32), 'invite-used');
    await new Promise((resolve) => setTimeout(resolve, 0));
    const told = carol.sent.filter((s) => s.payload.t === 'invite-used');
    assert.equal(told.length, 1, 'told once');
    assert.equal(told[0]!.to, nodeIdString(erin.publicKey));

    // Erin's node checks the proof against its own chain, and leaves with a plain reason.
    const erinNode = guardOf(erin, erinGrid);
    await erinNode.guard.onInviteUsed(told[0]!.payload.proof);
    assert.deepEqual(erinNode.left, ['invite-used']);
    assert.ok(
      erinNode.activity.some((a) => a.endsWith('invite-used')),
      'shown in the activity log',
    );

    // Dave, shown Erin's chain as "proof", stays: it does not win over his.
    const daveNode = guardOf(dave, daveGrid);
    const forged = encodeMembership({
      descriptor: grid.descriptor!,
      chain: erinGrid.chain,
      revocations: [],
      leaving: false,
    });
    await daveNode.guard.onInviteUsed(Buffer.from(forged).toString('base64url'));
    assert.deepEqual(daveNode.left, []);
    // Nothing else disturbed: Dave and the rest stay members at Carol's.
    assert.ok(carol.guard.isMember(nodeIdString(dave.publicKey)));
  });

  it('a witness refuses an invitation past its expiry on its own clock, whatever the claimant dates', async () => {
    const alice = person();
    const late = person();
    const grid = await foundGrid('Friends', alice.publicKey, T0);
    const link = await issueInvite(grid, alice, T0, { relays: [], hints: [], expiresInMs: 60_000 });
    const invite = readInvite(link.code);
    // The claimant signs at a time inside the link's life; the witness's clock is 10 days on.
    const redemption = await prepareRedemption(invite, late.publicKey, T0 + 1_000);
    const answer = await witnessRedemption(
      grid,
      membershipFor(grid)!,
      alice,
      redemptionRequest(invite, redemption),
      T0 + 10 * 86_400_000,
    );
    assert.deepEqual(answer, { refused: 'expired-invitation' });
  });
});
