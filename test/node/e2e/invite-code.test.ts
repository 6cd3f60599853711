/**
 * Issue 17, point 1 — 26-character invitation codes, end to end in three Chromium processes: Alice
 * founds a grid and invites Bob with a code link; she makes a second code, which Bob's node then holds
 * (its pending record reached him over their link); Alice closes her browser; Carol types the second code
 * by hand (upper case, in groups) and joins, Bob answering at the rendezvous and witnessing her claim.
 * The code is single use, a typo is caught locally, and a code nobody holds is answered by nobody.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { formatInviteCode, groupCode } from '../../../src/core/invite-code.ts';
import { type NodePage, type Site, eventually, launch, openNode, startSite } from './harness.ts';

const GRID = 'Code grid';
const inGrid = (page: Page) => page.evaluate(() => window.gridNode?.grid?.name);
const linkedTo = (page: Page, id: string) =>
  page.evaluate((peer) => window.gridNode!.getPeers().some((p) => p.id === peer && p.connected), id);
const pending = (page: Page) => page.evaluate(() => window.gridNode!.stats().invites?.pending ?? 0);
const accept = (page: Page, code: string) =>
  page.evaluate(
    (c) =>
      window.gridNode!.acceptInvite(c).then(
        (g) => `joined ${g.name}`,
        (e: Error) => `${e.name}: ${e.message}`,
      ),
    code,
  );

describe('invitation codes of 26 characters', { timeout: 240_000 }, () => {
  let site: Site;
  let browsers: Browser[] = [];
  let alice: NodePage;
  let bob: NodePage;
  let carol: NodePage;
  let second = '';

  before(async () => {
    site = await startSite();
    browsers = await Promise.all([0, 1, 2].map(() => launch()));
    alice = await openNode(browsers[0]!, site, { nick: 'alice' });
    await alice.page.evaluate((name) => window.gridNode!.createGrid(name), GRID);
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await site?.close();
  });

  it('createInvite() gives a 26-character code carried as #invite=<code>; opening the link joins', async () => {
    const invitation = await alice.page.evaluate(() => window.gridNode!.createInvite());
    assert.equal(invitation.code.length, 26);
    assert.match(invitation.code, /^[a-z2-7]{26}$/);
    assert.ok(invitation.url.endsWith(`#invite=${invitation.code}`), invitation.url);
    assert.ok(new URL(invitation.url).hash.length <= 40, 'the fragment is short');
    assert.ok(invitation.expiresAt > Date.now());
    const context = await browsers[1]!.newContext();
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
    const query = new URLSearchParams({ relay: site.relay.url, nick: 'bob' });
    await page.goto(`${site.url}?${query}${new URL(invitation.url).hash}`);
    await eventually(
      'Bob joined by code',
      () => inGrid(page),
      (name) => name === GRID,
    );
    bob = { page, context, id: await page.evaluate(() => window.gridNode!.id) };
    await eventually(
      'Bob linked to Alice',
      () => linkedTo(page, alice.id),
      (ok) => ok,
    );
  });

  it('a second code’s pending record reaches Bob; with Alice gone, Carol types it by hand and joins', async () => {
    second = (await alice.page.evaluate(() => window.gridNode!.createInvite())).code;
    await eventually(
      'Bob holds the pending invitation',
      () => pending(bob.page),
      (n) => n >= 1,
    );
    await eventually(
      'Alice hears that a member holds it',
      () => alice.page.evaluate((c) => window.gridNode!.invitationHeldBy(c), second),
      (n) => n >= 1,
    );
    await alice.page.close({ runBeforeUnload: true });
    await browsers[0]!.close();
    await eventually(
      'Bob sees Alice gone',
      () => linkedTo(bob.page, alice.id),
      (ok) => !ok,
    );

    carol = await openNode(browsers[2]!, site, { nick: 'carol' });
    const typed = groupCode(second).toUpperCase().replace(/ /g, ' - ');
    assert.equal(await accept(carol.page, typed), `joined ${GRID}`);
    await eventually(
      'Carol linked to Bob',
      () => linkedTo(carol.page, bob.id),
      (ok) => ok,
    );
    const members: string[] = await carol.page.evaluate(() => window.gridNode!.getPeers().map((p) => p.id));
    assert.ok(members.includes(alice.id), 'Carol knows Alice, who invited her, from gossip');
  });

  it('the code is single use; a typo is caught locally; a code nobody holds is answered by nobody', async () => {
    const context = await browsers[2]!.newContext();
    const dave = await openNode(browsers[2]!, site, { nick: 'dave' }, context);
    assert.match(await accept(dave.page, second), /^InviteError: this invitation has already been used/);
    const typo = second.slice(0, 3) + (second[3] === 'a' ? 'b' : 'a') + second.slice(4);
    const started = Date.now();
    assert.match(await accept(dave.page, typo), /^InviteError: this invitation code has a typo/);
    assert.ok(Date.now() - started < 1_000, 'caught at once, nothing sent');
    assert.match(
      await accept(dave.page, 'd77h bsmk geuf'),
      /^InviteError: an invitation code has 26 characters/,
    );
    const unknown = formatInviteCode(crypto.getRandomValues(new Uint8Array(15)));
    assert.match(await accept(dave.page, unknown), /^InviteError: nobody online holds this invitation/);
    assert.equal(await inGrid(dave.page), undefined, 'Dave is in no grid');
  });
});
