// GridNode in one Chromium page, with real IndexedDB and Web Locks: first run, grids, invitations that
// cannot be used, local policy, and one node per profile. (Several browsers together: test/node/e2e.)
import { GridNode } from '../../src/node.ts';
import { check, equal, waitFor } from './assert.ts';

// Nothing listens here: these tests need no peers, and the node must cope with an unreachable relay.
const relays = ['ws://127.0.0.1:9'];
let n = 0;
const fresh = () => `gridnode-test-${Date.now()}-${n++}`;

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    check(pattern.test((error as Error).message), `error "${(error as Error).message}" matches ${pattern}`);
    return;
  }
  throw new Error(`expected a rejection matching ${pattern}`);
}

describe('GridNode', () => {
  const started: GridNode[] = [];
  const open = async (dbName: string) => {
    const node = await GridNode.create({ relays, dbName });
    await node.start();
    started.push(node);
    return node;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
  });

  it('starts with an identity and no grid on a first visit', async () => {
    const node = await open(fresh());
    equal(node.role, 'leader');
    equal(node.status, 'idle');
    equal(node.grid, undefined);
    check(/^v0-[a-z2-7]{52}$/.test(node.id), `Tahoe-style id: ${node.id}`);
  });

  it('founds a grid as its admin, holds the grid key, and makes invitation links', async () => {
    const node = await open(fresh());
    const grid = await node.createGrid('  Friends ');
    equal(grid.name, 'Friends');
    equal(grid.role, 'admin');
    equal(node.grid?.id, grid.id);
    check(/^[0-9a-f]{64}$/.test(node.exportGridKey()), 'grid key exports as hex');
    const invite = await node.createInvite({ expiresInMs: 60_000 });
    check(invite.url.includes('#invite=' + invite.code), 'the code is in the fragment');
    check(Math.abs(invite.expiresAt - (Date.now() + 60_000)) < 5_000, 'expiry is reported');
    await waitFor('the founder announces itself', () =>
      node.getPeers().some((p) => p.self && p.role === 'admin'),
    );
    await rejects(node.createGrid(''), /Give the grid a name/);
    // The descriptor's rule: NFC, at most 128 bytes (33 emoji are 132), no text-direction characters.
    await rejects(node.createGrid('🙂'.repeat(33)), /at most 128 bytes/);
    await rejects(node.createGrid('Friends\u202e'), /text-direction/);
  });

  it('keeps its grid across a restart', async () => {
    const db = fresh();
    const first = await open(db);
    const { id } = await first.createGrid('Kept');
    await first.stop();
    started.length = 0;
    const again = await open(db);
    equal(again.grid?.id, id);
    equal(again.grid?.role, 'admin');
  });

  it('is a member of several grids with one identity, one active at a time', async () => {
    const node = await open(fresh());
    const first = await node.createGrid('Work');
    const second = await node.createGrid('Family');
    equal(node.grid?.id, second.id);
    const names = (await node.grids()).map((g) => g.name).sort();
    equal(names.join(','), 'Family,Work');
    await node.useGrid(first.id);
    equal(node.grid?.name, 'Work');
    await waitFor('announced in the first grid again', () => node.getPeers().some((p) => p.self));
    await rejects(node.useGrid('00'.repeat(32)), /not a member/);
  });

  it('refuses damaged and expired invitations with a clear reason', async () => {
    const founder = await open(fresh());
    await founder.createGrid('Short-lived');
    const soon = await founder.createInvite({ expiresInMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    const visitor = await open(fresh());
    await rejects(visitor.acceptInvite('not a code at all'), /an invitation code has 26 characters/);
    await rejects(visitor.acceptInvite('not a code, at all'), /“,” cannot be part of an invitation code/);
    const typo = soon.code.slice(0, 5) + (soon.code[5] === 'a' ? 'b' : 'a') + soon.code.slice(6);
    await rejects(visitor.acceptInvite(typo), /has a typo/);
    // The long links of before still work, and say what is wrong with them.
    await rejects(visitor.acceptInvite(soon.longUrl.slice(0, -20)), /damaged|not an invitation/);
    await rejects(visitor.acceptInvite(soon.longUrl), /expired/);
    equal(visitor.grid, undefined, 'still in no grid');
  });

  it('keeps a local allow/deny policy, separate from membership, across restarts', async () => {
    const db = fresh();
    const node = await open(db);
    await node.setPolicy('v0-alice', 'deny');
    check(!node.mayUse('v0-alice'), 'denied');
    check(node.mayUse('v0-bob'), 'no allow list: others may');
    await node.setPolicy('v0-carol', 'allow');
    check(!node.mayUse('v0-bob'), 'with an allow list, only those on it');
    check(node.mayUse('v0-carol'), 'allowed');
    await node.stop();
    started.length = 0;
    const again = await open(db);
    equal(JSON.stringify(again.policy()), JSON.stringify({ 'v0-alice': 'deny', 'v0-carol': 'allow' }));
  });

  it('runs one node per profile: a second instance follows the first and takes over when it stops', async () => {
    const db = fresh();
    const leader = await open(db);
    await leader.createGrid('Shared');
    const follower = await open(db);
    equal(follower.role, 'follower');
    equal(follower.id, leader.id, 'same identity');
    await rejects(follower.createGrid('Another'), /follows another tab/);
    await leader.stop();
    const deadline = Date.now() + 5_000;
    while (follower.role !== 'leader' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    equal(follower.role, 'leader', 'took over');
    equal(follower.grid?.name, 'Shared', 'with the stored grid');
  });
});
