/**
 * Issue 12: "the core never verifies synchronously on the main thread in the browser". Three real nodes
 * in separate Chromium processes go through everything that makes a node check signatures — founding,
 * two invitations redeemed (each witnessed), announcements, a real member revoked (held announcements
 * and links judged again), a restart (the grid, announcements and revocations read back from IndexedDB)
 * — and then every node's signature cache must show that it never verified synchronously (noble) and
 * never had to refuse a signature nobody pre-verified: every check was asynchronous (WebCrypto) or a
 * signature the node made itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Site, arrive, nicknames, eventually, startSite } from './harness.ts';

describe('no synchronous signature check in the browser', { timeout: 300_000 }, () => {
  let site: Site;
  const browsers: Browser[] = [];

  const seqnumOf = (page: Page, id: string) =>
    page.evaluate((x) => window.gridNode!.getPeers().find((p) => p.id === x)?.seqnum ?? 0, id);
  const signatures = (page: Page) => page.evaluate(() => window.gridNode!.stats().verification!.signatures);

  before(async () => {
    site = await startSite();
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await site?.close();
  });

  it('founding, redeeming, witnessing, gossip, a revocation and a restart: every check asynchronous', async () => {
    const alice = await arrive(site, browsers, 'alice');
    await alice.evaluate(() => window.gridNode!.createGrid('Checked'));
    const forBob = await alice.evaluate(() => window.gridNode!.createInvite());
    const forCarol = await alice.evaluate(() => window.gridNode!.createInvite());
    const bob = await arrive(site, browsers, 'bob', forBob.url.slice(forBob.url.indexOf('#')));
    await eventually(
      'bob joined',
      () => nicknames(bob),
      (n) => n === 'alice,bob',
    );
    const carol = await arrive(site, browsers, 'carol', forCarol.url.slice(forCarol.url.indexOf('#')));
    for (const page of [alice, bob, carol])
      await eventually(
        'everyone holds everyone',
        () => nicknames(page),
        (n) => n === 'alice,bob,carol',
      );
    const aliceId: string = await alice.evaluate(() => window.gridNode!.id);
    const carolId: string = await carol.evaluate(() => window.gridNode!.id);

    // Gossip: Alice changes her announcement a few times; Bob and Carol take each version.
    for (let round = 0; round < 3; round++) {
      const before = await seqnumOf(bob, aliceId);
      await alice.evaluate((r) => window.gridNode!.publish('checked', { round: `${r}` }), round);
      await eventually(
        'bob has her new version',
        () => seqnumOf(bob, aliceId),
        (s) => s > before,
      );
    }

    // Alice revokes Carol, a real member: Bob learns it, judges what he holds again, and drops her.
    await alice.evaluate((id) => window.gridNode!.revoke(id), carolId);
    await eventually(
      'bob dropped carol',
      () => nicknames(bob),
      (n) => n === 'alice,bob',
    );

    // Bob restarts: his grid, the announcements he held and the revocation come back from IndexedDB.
    await bob.reload();
    await bob.waitForFunction(() => window.gridNode?.role === 'leader' && window.gridNode.grid !== undefined);
    const before = await seqnumOf(bob, aliceId);
    await alice.evaluate(() => window.gridNode!.publish('checked', { round: 'after-restart' }));
    await eventually(
      'bob, restarted, has her newest version',
      () => seqnumOf(bob, aliceId),
      (s) => s > before,
    );
    await eventually(
      'bob restored the revocation',
      () => bob.evaluate(() => window.gridNode!.stats().revocations ?? 0),
      (n) => n === 1,
    );

    for (const [name, page] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      const s = await signatures(page);
      assert.ok(s.verified > 0, `${name} verified signatures asynchronously: ${JSON.stringify(s)}`);
      assert.equal(s.syncVerified, 0, `${name} never verified synchronously: ${JSON.stringify(s)}`);
      assert.equal(
        s.unverified,
        0,
        `${name} never met a signature nobody pre-verified: ${JSON.stringify(s)}`,
      );
    }
    assert.ok(
      (await signatures(alice)).vouched > 0,
      'alice vouched for what she signed (witness, revocation)',
    );
  });
});
