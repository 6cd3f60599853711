/**
 * The dashboard through its UI only, in two separate browsers: Alice meets the first-run choice, starts a
 * grid, gives herself a nickname that is HTML (it must stay text everywhere), makes an invitation in the
 * invite panel and reads its link off the page; Bob opens that link, joins, and both pictures and member
 * lists show the two of them. `window.gridNode` is only read, for assertions. Screenshots of the key steps
 * land in `test-results/screenshots/`.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Site, eventually, launch, startSite } from './harness.ts';

const SHOTS = join('test-results', 'screenshots');
const NICK = '<img src=x onerror=alert(1)>';
const GRID = 'Friends';
const TIMEOUT = 30_000;

interface Visitor {
  name: string;
  browser: Browser;
  page: Page;
  dialogs: string[];
  errors: string[];
}

/** Every `<img>` in the document and in every shadow root under it. */
function countImages(page: Page): Promise<number> {
  // A loop, not a nested function: tsx would wrap a named one in a helper the page does not have.
  return page.evaluate(() => {
    let count = 0;
    const roots: (Document | ShadowRoot)[] = [document];
    for (let root = roots.pop(); root; root = roots.pop()) {
      count += root.querySelectorAll('img').length;
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
    }
    return count;
  });
}

/** The members drawn in the grid picture (not the legend's dots). */
const graphNodes = (page: Page, which = '') =>
  page.locator(`grid-graph svg[part="svg"] g.members g.member${which}`);

/** The nicknames in the members table, in order. */
const listedNicknames = (page: Page) => page.locator('grid-members tbody .nickname .name').allTextContents();

async function setNickname(page: Page, nickname: string) {
  const field = page.locator('grid-control-panel fieldset[part="nickname"] input[name="nickname"]');
  await field.fill('');
  await field.pressSequentially(nickname);
  await page.locator('grid-control-panel fieldset[part="nickname"] button[type="submit"]').click();
}

describe('the dashboard, through its UI, in two browsers', { timeout: 240_000 }, () => {
  let site: Site;
  const visitors: Visitor[] = [];
  let alice: Visitor;
  let bob: Visitor;
  let link = '';

  async function arrive(name: string, url: string): Promise<Visitor> {
    const browser = await launch();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(TIMEOUT);
    const page = await context.newPage();
    const visitor: Visitor = { name, browser, page, dialogs: [], errors: [] };
    visitors.push(visitor);
    page.on('dialog', (dialog) => {
      visitor.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('pageerror', (error) => {
      visitor.errors.push(error.message);
      console.error(`[${name}] ${error.message}`);
    });
    await page.goto(url);
    return visitor;
  }

  const shot = (v: Visitor, step: string) =>
    v.page.screenshot({ path: join(SHOTS, `${step}.png`), fullPage: true });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    site = await startSite();
  });

  after(async () => {
    await Promise.allSettled(visitors.map((v) => v.browser.close()));
    await site?.close();
  });

  it('Alice, with no grid, sees the first-run choice and starts a grid', async () => {
    alice = await arrive('alice', `${site.url}?${new URLSearchParams({ relay: site.relay.url })}`);
    const { page } = alice;
    await page.locator('grid-first-run form[part="create"]').waitFor({ state: 'visible' });
    await page.locator('grid-first-run form[part="join"]').waitFor({ state: 'visible' });
    await page.locator('grid-first-run form[part="create"] button[type="submit"]:not([disabled])').waitFor();
    assert.equal(await page.locator('grid-graph').count(), 0, 'no dashboard before a grid exists');
    await shot(alice, '1-alice-first-run');

    await page.locator('grid-first-run input[name="name"]').fill(GRID);
    await page.getByRole('button', { name: 'Start a grid' }).click();

    await graphNodes(page).first().waitFor({ state: 'visible' });
    assert.equal(await page.locator('grid-app header h1 .name').textContent(), GRID);
    assert.equal(await page.locator('grid-first-run').count(), 0, 'the first-run choice is gone');
    const grid = await page.evaluate(() => window.gridNode!.grid);
    assert.equal(grid?.name, GRID);
    assert.equal(grid?.role, 'admin');
    assert.equal(await graphNodes(page).count(), 1, 'a grid of one');
  });

  it('Alice’s nickname is HTML, and it is shown as text only', async () => {
    const { page } = alice;
    await setNickname(page, NICK);
    await eventually(
      'the nickname reaches the members list',
      () => listedNicknames(page),
      (names) => names.includes(NICK),
    );
    assert.equal(await page.evaluate(() => window.gridNode!.nickname), NICK);
    // The graph clips long labels; its accessible name carries the whole nickname.
    const self = graphNodes(page, '.self');
    assert.match(
      (await self.getAttribute('aria-label')) ?? '',
      /^<img src=x onerror=alert\(1\)> \([a-z2-7]{8}\), this node$/,
    );
    assert.equal(await self.locator('text:not(.short-id)').textContent(), `${NICK.slice(0, 19)}… (you)`);
    // Beside the name, always, the part of it nobody else chose.
    const ownId = await page.evaluate(() => window.gridNode!.id);
    assert.equal(await self.locator('text.short-id').textContent(), ownId.slice(3, 11));
    assert.equal(await countImages(page), 0, 'no <img> anywhere, shadow roots included');
    await shot(alice, '2-alice-dashboard-alone');
    assert.deepEqual(alice.dialogs, [], 'no dialog fired');
  });

  it('Alice creates an invitation in the invite panel and reads its link and QR code', async () => {
    const { page } = alice;
    await page.locator('grid-invite form[part="form"] button[type="submit"]').click();
    const anchor = page.locator('grid-invite a[part="link"]');
    await anchor.waitFor({ state: 'visible' });
    link = (await anchor.textContent())?.trim() ?? '';
    assert.equal(await anchor.getAttribute('href'), link, 'the shown link is the one it points to');
    assert.ok(link.startsWith(site.url), `the link points to this dashboard: ${link}`);
    // A 26-character invitation code (Tahoe's base32), shown in groups of four.
    assert.match(link, /#invite=[a-z2-7]{26}$/);
    const code = await page.locator('grid-invite input.code').inputValue();
    assert.match(code, /^([a-z2-7]{4} ){6}[a-z2-7]{2}$/, code);
    assert.ok(link.endsWith(`#invite=${code.replaceAll(' ', '')}`), 'the code field holds the link’s code');

    const qr = page.locator('grid-invite svg[part="qr"]');
    await qr.waitFor({ state: 'visible' });
    const box = await qr.boundingBox();
    assert.ok(
      box && box.width >= 100 && box.height >= 100,
      `the QR code is big enough: ${JSON.stringify(box)}`,
    );
    const d = (await qr.locator('path').getAttribute('d')) ?? '';
    assert.ok(d.length > 100, 'the QR code has modules');
  });

  it('Bob opens the link and joins; both pictures and both member lists show the two of them', async () => {
    // A short link names no relay: the invitee uses its page's own (the same origin's, when served).
    // Here the relay is on a port of the test's choosing, so Bob's page is told, as Alice's was.
    const query = `?relay=${encodeURIComponent(site.relay.url)}`;
    bob = await arrive('bob', `${site.url}${query}${link.slice(link.indexOf('#'))}`);
    const { page } = bob;
    // The fragment is a bearer secret: it leaves the address bar at once.
    assert.equal(await page.evaluate(() => location.hash), '');
    assert.ok(!page.url().includes('invite='), `the address bar is clean: ${page.url()}`);
    assert.ok(
      !(await page.evaluate(() => history.state && JSON.stringify(history.state).includes('invite='))),
      'no invitation in the history state',
    );

    await graphNodes(page).first().waitFor({ state: 'visible' });
    assert.equal(await page.locator('grid-app header h1 .name').textContent(), GRID);
    assert.equal(await page.evaluate(() => window.gridNode!.grid?.role), 'member');
    await setNickname(page, 'bob');

    for (const v of [alice, bob]) {
      await eventually(
        `${v.name}'s grid picture shows two members`,
        () => graphNodes(v.page).count(),
        (n) => n === 2,
      );
      await eventually(
        `${v.name}'s picture shows the WebRTC link`,
        () => v.page.locator('grid-graph svg[part="svg"] g.links line.link').count(),
        (n) => n === 1,
      );
      await eventually(
        `${v.name}'s members list shows both`,
        () => listedNicknames(v.page),
        (names) => names.length === 2 && names.includes(NICK) && names.includes('bob'),
      );
      await eventually(
        `${v.name} is online with one link`,
        () => v.page.locator('grid-status [part="label"]').textContent(),
        (label) => label === 'Online · 1 link',
      );
    }
    // Each sees the other online in its picture.
    assert.equal(await graphNodes(alice.page, '.online:not(.self)').count(), 1);
    assert.match(
      (await graphNodes(bob.page, ':not(.self)').getAttribute('aria-label')) ?? '',
      /^<img src=x onerror=alert\(1\)> \([a-z2-7]{8}\), online$/,
    );
    const [aliceId, bobId] = await Promise.all(
      [alice, bob].map((v) => v.page.evaluate(() => window.gridNode!.id)),
    );
    assert.equal(await bob.page.evaluate(() => window.gridNode!.grid?.invitedBy), aliceId);
    assert.equal(
      await alice.page.locator(`grid-members tr[data-id="${bobId}"] .nickname .name`).textContent(),
      'bob',
    );

    // The activity log names members as the rest of the page does, also once their nickname arrives.
    await eventually(
      'Alice’s activity names Bob',
      () => alice.page.locator('grid-activity li.join .name').allTextContents(),
      (names) => names.includes('bob'),
    );
    await eventually(
      'Bob’s activity names Alice',
      () => bob.page.locator('grid-activity li.join .name').allTextContents(),
      (names) => names.includes(NICK),
    );

    await shot(alice, '3-alice-with-bob');
    await shot(bob, '4-bob-joined');
    for (const v of [alice, bob]) {
      assert.equal(await countImages(v.page), 0, `${v.name}: no <img> anywhere`);
      assert.deepEqual(v.dialogs, [], `${v.name}: no dialog fired`);
      assert.deepEqual(v.errors, [], `${v.name}: no page errors`);
    }
  });
});
