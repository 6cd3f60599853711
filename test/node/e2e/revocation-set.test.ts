/**
 * Security review finding 3 [3], in separate browsers: more than 16 revocations survive a restart
 * (persisted in IndexedDB) and reach a member that joins later (reconciled over its link), where the old
 * node kept only what "the 16 newest" carried in announcements.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { nodeIdString } from '../../../src/core/index.ts';
import { type Site, arrive, nicknames, eventually, startSite } from './harness.ts';

const REVOKED = 20;

describe('the revocation set', { timeout: 240_000 }, () => {
  let site: Site;
  const browsers: Browser[] = [];

  const revocations = (page: Page) => page.evaluate(() => window.gridNode!.stats().revocations ?? 0);

  before(async () => {
    site = await startSite();
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await site?.close();
  });

  it('20 revocations survive a restart with no peer online, and reach a member who joins later', async () => {
    const alice = await arrive(site, browsers, 'alice');
    await alice.evaluate(() => window.gridNode!.createGrid('Friends'));
    const forBob = await alice.evaluate(() => window.gridNode!.createInvite());
    const forCarol = await alice.evaluate(() => window.gridNode!.createInvite());
    const bob = await arrive(site, browsers, 'bob', forBob.url.slice(forBob.url.indexOf('#')));
    await eventually(
      'bob joined',
      () => nicknames(bob),
      (n) => n === 'alice,bob',
    );

    const ids = Array.from({ length: REVOKED }, () => nodeIdString(randomBytes(32)));
    for (const id of ids) await alice.evaluate((x) => window.gridNode!.revoke(x), id);
    assert.equal(await revocations(alice), REVOKED);
    await eventually(
      'bob holds all revocations',
      () => revocations(bob),
      (n) => n === REVOKED,
    );

    // Alice goes away; Bob restarts alone: only his own IndexedDB can give him the set.
    await browsers[0]!.close();
    await bob.reload();
    await bob.waitForFunction(() => window.gridNode?.role === 'leader' && window.gridNode.grid !== undefined);
    await eventually(
      'bob restored his set',
      () => revocations(bob),
      (n) => n === REVOKED,
      10_000,
    );
    assert.equal(
      await bob.evaluate(() => window.gridNode!.getPeers().filter((p) => p.connected).length),
      0,
      'nobody else was online to send them',
    );

    // Carol redeems her invitation (Bob witnesses) and learns the whole set over her link to Bob.
    const carol = await arrive(site, browsers, 'carol', forCarol.url.slice(forCarol.url.indexOf('#')));
    await eventually(
      'carol joined',
      () => nicknames(carol),
      (n) => n.includes('bob') && n.includes('carol'),
    );
    await eventually(
      'carol reconciled the set',
      () => revocations(carol),
      (n) => n === REVOKED,
    );
    const bad = await carol.evaluate(() => window.gridNode!.stats().core?.dropped['bad-revocation'] ?? 0);
    assert.equal(bad, 0, 'no record was refused');
  });
});
