/**
 * Issue 17, points 2 and 3 — naming whom you invite, and cancelling an invitation, in three Chromium
 * processes on the real relay and the built dashboard.
 *
 * Alice founds a grid and, in her dashboard's invite form, makes an invitation "For" Bobby; Bob opens the
 * link and joins; Alice's dashboard then shows him as Bobby (her petname for him) and her list says the
 * invitation was joined by him; Carol, invited by Bob, sees who invited whom. Alice makes a second
 * invitation, which Bob's node holds; she presses Cancel in her list: Bob and Carol drop the pending
 * record, its code is answered by nobody, and its long form is refused by the witnesses as cancelled.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type NodePage, type Site, eventually, launch, openNode, startSite } from './harness.ts';

const GRID = 'Named grid';
const inGrid = (page: Page) => page.evaluate(() => window.gridNode?.grid?.name);
const invites = (page: Page) => page.evaluate(() => window.gridNode!.invites());
const codeStats = (page: Page) =>
  page.evaluate(() => {
    const s = window.gridNode!.stats().invites;
    return { pending: s?.pending ?? 0, cancelled: s?.cancelled ?? 0 };
  });
const accept = (page: Page, code: string) =>
  page.evaluate(
    (c) =>
      window.gridNode!.acceptInvite(c).then(
        (g) => `joined ${g.name}`,
        (e: Error) => `${e.name}: ${e.message}`,
      ),
    code,
  );

async function openLink(browser: Browser, site: Site, url: string, nick: string): Promise<NodePage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  const query = new URLSearchParams({ relay: site.relay.url, nick });
  await page.goto(`${site.url}?${query}${new URL(url).hash}`);
  await eventually(
    `${nick} joined`,
    () => inGrid(page),
    (name) => name === GRID,
  );
  return { page, context, id: await page.evaluate(() => window.gridNode!.id) };
}

describe('naming whom you invite, and cancelling an invitation', { timeout: 240_000 }, () => {
  let site: Site;
  let browsers: Browser[] = [];
  let alice: NodePage;
  let bob: NodePage;
  let carol: NodePage;

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

  it('an invitation made "For Bobby" in the form: Bob joins and Alice’s dashboard shows him as Bobby', async () => {
    const page = alice.page;
    await page.locator('grid-invite input[name="name"]').fill('Bobby');
    await page.locator('grid-invite input[name="canInvite"]').check();
    await page.locator('grid-invite form[part="form"] button[type="submit"]').click();
    const anchor = page.locator('grid-invite a[part="link"]');
    await anchor.waitFor();
    const url = (await anchor.getAttribute('href'))!;
    assert.match(url, /#invite=[a-z2-7]{26}$/);
    const [made] = await invites(page);
    assert.equal(made?.name, 'Bobby');
    assert.equal(made?.state, 'pending');
    assert.equal(
      await page.locator('grid-invite [part="list"] li').first().locator('.for').textContent(),
      'Bobby',
    );

    bob = await openLink(browsers[1]!, site, url, 'bob');
    await eventually(
      'Alice’s list says Bob joined with it',
      () => invites(page),
      (list) => list[0]?.state === 'joined' && list[0].joinedBy === bob.id,
    );
    await eventually(
      'Alice’s petname for Bob is Bobby',
      () => page.evaluate(() => JSON.parse(localStorage.getItem('gridnode:petnames') ?? '{}')),
      (names: Record<string, string>) => names[bob.id] === 'Bobby',
    );
    await eventually(
      'the members list shows Bobby in Bob’s row',
      () => page.locator(`grid-members tr[data-id="${bob.id}"] input.petname`).inputValue(),
      (value) => value === 'Bobby',
    );
    assert.match(
      (await page.locator('grid-invite [part="list"] li').first().innerText()).replace(/\s+/g, ' '),
      /Bobby .*joined as Bobby/,
    );
    // Bob's own dashboard has no such name: the petname stays in Alice's browser.
    const bobNames = await bob.page.evaluate(() => localStorage.getItem('gridnode:petnames') ?? '{}');
    assert.ok(!bobNames.includes('Bobby'), bobNames);
  });

  it('who invited whom stays visible to all', async () => {
    const { url } = await bob.page.evaluate(() => window.gridNode!.createInvite({ name: 'Caz' }));
    carol = await openLink(browsers[2]!, site, url, 'carol');
    await eventually(
      'Carol sees Bob invited by Alice and herself by Bob',
      () =>
        carol.page.evaluate(() =>
          Object.fromEntries(window.gridNode!.getPeers().map((p) => [p.nickname, p.invitedBy ?? null])),
        ),
      (by: Record<string, string | null>) => by.bob === alice.id && by.carol === bob.id,
    );
    await eventually(
      'Bob’s list says Carol joined',
      () => invites(bob.page),
      (list) => list[0]?.name === 'Caz' && list[0].joinedBy === carol.id,
    );
  });

  it('Cancel in Alice’s list: the record is dropped grid-wide and the code answered by nobody', async () => {
    const page = alice.page;
    const made = await page.evaluate(() => window.gridNode!.createInvite({ name: 'Dave' }));
    await eventually(
      'Alice hears that Bob and Carol hold the new pending invitation',
      () => page.evaluate((c) => window.gridNode!.invitationHeldBy(c), made.code),
      (n) => n >= 2,
    );
    // Each also holds the records of the invitations already used (a late claimant is told "used").
    const before = [(await codeStats(bob.page)).pending, (await codeStats(carol.page)).pending];
    const row = page.locator(`grid-invite [part="list"] li[data-code="${made.code}"]`);
    await row.locator('button[part="cancel"]').click();
    await eventually(
      'Alice’s list says cancelled',
      () => invites(page),
      (list) => list.find((i) => i.code === made.code)?.state === 'cancelled',
    );
    assert.equal(await row.locator('button[part="cancel"]').count(), 0, 'no Cancel button any more');
    await eventually(
      'Bob and Carol dropped it',
      async () => [await codeStats(bob.page), await codeStats(carol.page)],
      (s) => s.every((x, i) => x.pending === before[i]! - 1 && x.cancelled === 1),
    );

    const dave = await openNode(browsers[2]!, site, { nick: 'dave' });
    assert.match(await accept(dave.page, made.code), /^InviteError: nobody online holds this invitation/);
    assert.match(
      await accept(dave.page, made.longUrl),
      /^InviteError: this invitation was cancelled by whoever made it/,
    );
    assert.equal(await inGrid(dave.page), undefined, 'Dave is in no grid');
    const joined = (await invites(page)).find((i) => i.state === 'joined')!;
    assert.match(
      await page.evaluate(
        (c) =>
          window.gridNode!.cancelInvite(c).then(
            () => 'cancelled',
            (e: Error) => e.message,
          ),
        joined.code,
      ),
      /already been used/,
    );
  });
});
