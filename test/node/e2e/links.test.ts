/**
 * Links that act ask first (issue 11, item 6; SECURITY-REVIEW.md finding 10, run as the review ran it):
 * - Mallory founds a grid with the same name as Bob's and sends him an `#invite=` link to the dashboard.
 *   Bob, already a member, is asked first, with both grids' short fingerprints; he stays, and his node is
 *   still in his own grid, a member of nothing else. Answering "switch" joins, and the grid switcher moves
 *   him back.
 * - A link to the build meant to be served to others, carrying `?grid=` and fast `?config=` settings, is
 *   obeyed in neither respect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { base32Encode } from '../../../src/core/base32.ts';
import { fromHex } from '../../../src/core/bytes.ts';
import { type NodePage, type Site, eventually, launch, openNode, startSite } from './harness.ts';

const GRID = 'Family photos';
/** A relay the link names besides the real one; it must not outlive the session. */
const ATTACKER_RELAY = 'ws://127.0.0.1:9';
let LINK_QUERY = '';
const fingerprint = (hex: string) => base32Encode(fromHex(hex)).slice(0, 8);

/** Opens `url` as the only tab of `context`, once its node leads (the previous tab's lock is gone). */
async function openAlone(context: BrowserContext, url: string): Promise<Page> {
  await Promise.all(context.pages().map((p) => p.close({ runBeforeUnload: true })));
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.gridNode?.role === 'leader');
  return page;
}

describe('links that act ask first', { timeout: 180_000 }, () => {
  let site: Site;
  let browser: Browser;
  let bob: NodePage;
  let mallory: NodePage;
  let home = '';
  let evil = '';
  let link = '';

  before(async () => {
    site = await startSite();
    browser = await launch();
    LINK_QUERY = String(
      new URLSearchParams([
        ['relay', site.relay.url],
        ['relay', ATTACKER_RELAY],
      ]),
    );
  });

  after(async () => {
    await browser?.close();
    await site?.close();
  });

  it('a member opening a crafted #invite= for a same-named grid is asked first; staying leaves it in its grid', async () => {
    bob = await openNode(browser, site, { nick: 'bob' });
    home = (await bob.page.evaluate((name) => window.gridNode!.createGrid(name), GRID)).id;
    mallory = await openNode(browser, site, { nick: 'mallory' });
    evil = (await mallory.page.evaluate((name) => window.gridNode!.createGrid(name), GRID)).id;
    assert.notEqual(evil, home);
    link = (await mallory.page.evaluate(() => window.gridNode!.createInvite())).url;
    const page = await openAlone(bob.context, `${site.url}?${LINK_QUERY}${new URL(link).hash}`);
    bob.page = page;

    const question = page.locator('grid-switch-confirm [role="alertdialog"]');
    await question.waitFor({ state: 'visible' });
    const text = ((await question.textContent()) ?? '').replace(/\s+/g, ' ');
    assert.ok(text.includes(`${GRID} ${fingerprint(evil)}`), `names the incoming grid: ${text}`);
    assert.ok(text.includes(`${GRID} ${fingerprint(home)}`), `names the current grid: ${text}`);
    assert.equal(new URL(page.url()).hash, '', 'the invitation left the address bar');
    assert.equal(await page.evaluate(() => window.gridNode!.grid?.id), home, 'nothing happened yet');

    await page.getByRole('button', { name: `Stay in ${GRID}` }).click();
    await question.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => window.gridNode!.grid?.id), home, 'still in his grid');
    const grids = await page.evaluate(async () => (await window.gridNode!.grids()).map((g) => g.id));
    assert.deepEqual(grids, [home], 'a member of nothing else');
    assert.equal(await page.locator('grid-switcher select').count(), 0, 'nothing to switch to');
    const reopened = await openAlone(bob.context, site.url);
    assert.ok(
      !(await reopened.evaluate(() => window.gridNode!.relays())).includes(ATTACKER_RELAY),
      'the link’s ?relay= was for that session only',
    );
    assert.equal(
      await reopened.locator('grid-app header [part="fingerprint"]').textContent(),
      fingerprint(home),
      'the header shows his grid’s fingerprint beside its name',
    );
  });

  it('answering "switch" joins; the switcher moves the member back', async () => {
    const page = await openAlone(bob.context, `${site.url}?${LINK_QUERY}${new URL(link).hash}`);
    await page.getByRole('button', { name: `Switch to ${GRID}` }).click();
    await eventually(
      'Bob joined the grid of the link',
      () => page.evaluate(() => window.gridNode!.grid?.id),
      (id) => id === evil,
    );
    const select = page.locator('grid-switcher select');
    await select.waitFor({ state: 'visible' });
    const labels = await select.locator('option').allTextContents();
    assert.deepEqual(
      labels.sort(),
      [`${GRID} · ${fingerprint(evil)}`, `${GRID} · ${fingerprint(home)}`].sort(),
    );
    assert.ok(
      !(await page.evaluate(() => window.gridNode!.relays())).includes(ATTACKER_RELAY),
      'the link’s ?relay= was not kept with the invitation’s relays',
    );
    await select.selectOption(home);
    await eventually(
      'Bob is back in his own grid',
      () => page.evaluate(() => window.gridNode!.grid?.id),
      (id) => id === home,
    );
  });

  it('the build served to others obeys neither ?grid= nor ?config=', async () => {
    const production = await startSite({ mode: 'production' });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const warnings: string[] = [];
      page.on('console', (m) => void (m.type() === 'warning' && warnings.push(m.text())));
      const config = { refreshIntervalMs: 20, expireAfterMs: 30, forgetAfterMs: 30, minPeersToForget: 0 };
      const query = new URLSearchParams({
        relay: production.relay.url,
        grid: GRID,
        config: JSON.stringify(config),
      });
      await page.goto(`${production.url}?${query}`);
      await page.waitForFunction(() => window.gridNode?.role === 'leader');
      assert.equal(await page.evaluate(() => window.gridNode!.grid), undefined, 'no open grid joined');
      await page.locator('grid-first-run form[part="create"]').waitFor({ state: 'visible' });
      assert.deepEqual(warnings, [
        'gridnode: ?grid= ignored: only trial builds obey it',
        'gridnode: ?config= ignored: only trial builds obey it',
      ]);
      // Founding a grid there, the node announces once, not every 20 ms.
      await page.evaluate((name) => window.gridNode!.createGrid(name), GRID);
      await new Promise((r) => setTimeout(r, 1_000));
      const seqnum = await page.evaluate(() => window.gridNode!.getPeers().find((p) => p.self)?.seqnum ?? 0);
      assert.ok(seqnum <= 2, `announced ${seqnum} times in a second`);
      await context.close();
    } finally {
      await production.close();
    }
  });
});
