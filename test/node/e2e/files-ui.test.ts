/**
 * The Files and Storage panels through the UI only, in three separate Chromium processes of one grid:
 * Alice picks a file in the Files panel and watches its upload's progress bar run to the end, sees its row
 * with one dot per share, and reads the share link off the page ("Copy link"); Bob opens that link, the
 * fragment leaves his address bar at once, and his browser saves a file of that name with the very bytes
 * Alice picked (and again when the link is pasted into his open tab); Carol's Storage panel shows Alice
 * among its clients. Then Carol closes her browser: Alice's picture greys Carol's share and Alice still
 * downloads from the panel; Bob closes too: the row says too few shares are in reach and the panel does
 * not try, while a small file kept in its link still reads. `window.gridNode` is only read (ids, to find
 * rows). Screenshots of the key steps land in `test-results/screenshots/` (not committed).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Site, eventually, launch, startSite } from './harness.ts';

const SHOTS = join('test-results', 'screenshots');
const SIZE = 2 * 1024 * 1024 + 123;
const NAME = 'holiday photos.bin';
const GRID = 'e2e-files-ui';

interface Person {
  name: string;
  browser: Browser;
  page: Page;
  id: string;
}

function fill(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('files through the dashboard, three browsers', { timeout: 300_000 }, () => {
  let site: Site;
  const people: Person[] = [];
  const data = fill(SIZE, 424242);
  let link = '';

  const query = (name: string) => new URLSearchParams({ relay: site.relay.url, grid: GRID, nick: name });

  async function arrive(name: string): Promise<Person> {
    const browser = await launch();
    const page = await // Carol's browser prefers a dark scheme, so the screenshots show both.
    (
      await browser.newContext({ acceptDownloads: true, colorScheme: name === 'carol' ? 'dark' : 'light' })
    ).newPage();
    page.on('pageerror', (error) => console.error(`[${name}] ${error.message}`));
    await page.goto(`${site.url}?${query(name)}`);
    await page.waitForFunction(() => window.gridNode?.role === 'leader');
    const person = { name, browser, page, id: await page.evaluate(() => window.gridNode!.id) };
    people.push(person);
    return person;
  }

  /** How many storage servers this page can reach now (itself included), as its node sees them. */
  const storageInReach = (p: Person) =>
    p.page.evaluate(() => {
      const node = window.gridNode!;
      return node
        .getPeers('storage')
        .filter((peer) => peer.self || node.storage.remote(peer.id as never) !== undefined).length;
    });

  const shot = (p: Person, step: string) =>
    p.page.screenshot({ path: join(SHOTS, `files-ui-${step}-${p.name}.png`), fullPage: true });

  /** The row of the uploaded file in the page's Files panel. */
  const row = (p: Page) => p.locator('grid-files tbody tr').first();

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    site = await startSite();
    for (const name of ['alice', 'bob', 'carol']) await arrive(name);
    for (const p of people)
      await eventually(
        `${p.name} reaches all three storage servers`,
        () => storageInReach(p),
        (n) => n === 3,
        90_000,
      );
  });

  after(async () => {
    await Promise.allSettled(people.map((p) => p.browser.close()));
    await site?.close();
  });

  it('Alice uploads with the file picker, sees the progress and the row, and reads the share link', async () => {
    const [alice, , carol] = people as [Person, Person, Person];
    // Record what the progress bar of the upload shows as it changes (the page's own DOM, nothing else).
    await alice.page.evaluate(() => {
      const root = document.querySelector('grid-app')!.shadowRoot!.querySelector('grid-files')!.shadowRoot!;
      const seen: string[] = [];
      (window as unknown as { seenProgress: string[] }).seenProgress = seen;
      new MutationObserver(() => {
        for (const li of root.querySelectorAll<HTMLElement>('.transfer[data-direction=upload]')) {
          const bar = li.querySelector('progress')!;
          const entry = `${li.dataset.phase}:${bar.value}/${bar.max}`;
          if (seen.at(-1) !== entry) seen.push(entry);
        }
      }).observe(root, { subtree: true, childList: true, attributes: true });
    });
    await alice.page
      .locator('grid-files input.pick')
      .setInputFiles({ name: NAME, mimeType: 'application/octet-stream', buffer: data });
    const transfer = alice.page.locator('grid-files .transfer[data-direction=upload]');
    await transfer.waitFor({ timeout: 30_000 });
    await alice.page
      .locator('grid-files .transfer[data-direction=upload][data-phase=done]')
      .waitFor({ timeout: 120_000 });
    const seen = await alice.page.evaluate(
      () => (window as unknown as { seenProgress: string[] }).seenProgress,
    );
    assert.ok(seen.length >= 2, `the bar moved: ${JSON.stringify(seen)}`);
    assert.ok(
      seen.some((s) => !s.startsWith('done')),
      `progress shown before the end: ${JSON.stringify(seen)}`,
    );
    assert.match(seen.at(-1)!, /^done:(\d+)\/\1$/, 'a full bar at the end');

    await row(alice.page).waitFor();
    const text = await row(alice.page).innerText();
    assert.ok(text.includes(NAME), text);
    assert.ok(text.includes('2 MiB'), text);
    // Three servers: 2-of-3, one share on each member, all in reach.
    assert.equal(await row(alice.page).locator('.dots .dot').count(), 3);
    assert.equal(await row(alice.page).locator('.dots .dot[data-state=online]').count(), 3);
    assert.match(await row(alice.page).locator('.reach').innerText(), /3 of 3 shares in reach, 2 needed/);

    await row(alice.page).locator('.copy-link').click();
    link = await alice.page.locator('grid-files input.link').inputValue();
    assert.equal(await row(alice.page).getAttribute('data-link'), link);
    const url = new URL(link);
    assert.equal(`${url.origin}${url.pathname}`, site.url, 'the page address, no query');
    assert.match(url.hash, /^#file=URI%3ACHK%3A[^&]+&name=holiday%20photos\.bin$/);
    await shot(alice, '1-uploaded');
    await alice.page.locator('grid-files').screenshot({ path: join(SHOTS, 'files-ui-1-panel-alice.png') });

    // Carol's Storage panel lists Alice, by nickname, with about a third... half of the file.
    const client = carol.page.locator(`grid-storage tr[data-id="${alice.id}"]`);
    await client.waitFor({ timeout: 30_000 });
    assert.ok((await client.innerText()).includes('alice'));
    assert.equal((await client.locator('.shares').innerText()).trim(), '1');
    await carol.page.locator('grid-storage').scrollIntoViewIfNeeded();
    await shot(carol, '1-storage');
  });

  it('Bob opens the link: the fragment goes at once, and he saves identical bytes under its name', async () => {
    const bob = people[1]!;
    // A fresh load of the link, as when it is opened from a message (not a fragment change in place).
    await bob.page.goto('about:blank');
    const saved = bob.page.waitForEvent('download', { timeout: 120_000 });
    await bob.page.goto(`${site.url}?${query('bob')}${new URL(link).hash}`);
    await bob.page.waitForFunction(() => window.gridNode !== undefined);
    assert.equal(await bob.page.evaluate(() => location.hash), '', 'the fragment left the address bar');
    assert.ok(!bob.page.url().includes('file='), `the address bar is clean: ${bob.page.url()}`);
    const download = await saved;
    assert.equal(download.suggestedFilename(), NAME);
    const bytes = readFileSync((await download.path())!);
    assert.equal(bytes.length, SIZE);
    assert.equal(sha256(bytes), sha256(data), 'the very bytes Alice picked');
    const card = bob.page.locator('grid-files .link-card');
    await card.locator('text=Saved.').waitFor();
    await bob.page.locator('grid-files .transfer[data-direction=download][data-phase=done]').waitFor();
    await shot(bob, '2-link-saved');

    // The link pasted into the address bar of the open tab changes only the fragment: taken the same way.
    const again = bob.page.waitForEvent('download', { timeout: 60_000 });
    await bob.page.goto(`${site.url}?${query('bob')}${new URL(link).hash}`);
    const second = await again;
    assert.equal(second.suggestedFilename(), NAME);
    assert.equal(sha256(readFileSync((await second.path())!)), sha256(data));
    assert.equal(await bob.page.evaluate(() => location.hash), '', 'the fragment left again');
  });

  it('Carol goes: her share greys out on Alice’s picture, and Alice still downloads from the panel', async () => {
    const [alice, , carol] = people as [Person, Person, Person];
    await carol.browser.close();
    const carolDot = row(alice.page).locator(`.dots .dot[data-server="${carol.id}"]`);
    await eventually(
      "Carol's share shown out of reach",
      () => carolDot.getAttribute('data-state'),
      (state) => state === 'offline',
      60_000,
    );
    assert.match(await row(alice.page).locator('.reach').innerText(), /2 of 3 shares in reach, 2 needed/);
    assert.match(await row(alice.page).locator('.legend').innerText(), /carol\s*\(offline\)/);
    await shot(alice, '3-carol-offline');
    await alice.page.locator('grid-files').screenshot({ path: join(SHOTS, 'files-ui-3-panel-alice.png') });
    const saved = alice.page.waitForEvent('download', { timeout: 60_000 });
    await row(alice.page).locator('.download').click();
    const download = await saved;
    assert.equal(download.suggestedFilename(), NAME);
    assert.equal(sha256(readFileSync((await download.path())!)), sha256(data));
  });

  it('Bob goes too: the row says too few shares are in reach, and the panel does not try', async () => {
    const [alice, bob] = people as [Person, Person];
    await bob.browser.close();
    await row(alice.page).locator('.reach .short').waitFor({ timeout: 60_000 });
    assert.match(
      await row(alice.page).locator('.reach').innerText(),
      /Only 1 of the 2 shares needed are in reach/,
    );
    let downloads = 0;
    const count = () => downloads++;
    alice.page.on('download', count);
    const transfersBefore = await alice.page.locator('grid-files .transfer').count();
    await row(alice.page).locator('.download').click();
    await alice.page.locator('grid-files .notice').waitFor();
    assert.match(await alice.page.locator('grid-files .notice').innerText(), /Only 1 of the 2 shares needed/);
    assert.equal(await alice.page.locator('grid-files .transfer').count(), transfersBefore, 'nothing tried');
    assert.equal(downloads, 0);
    alice.page.off('download', count);
    await shot(alice, '4-below-k');

    // A small file lives in its cap (URI:LIT:): uploaded and read back with every other member gone.
    const note = Buffer.from('twelve bytes');
    await alice.page
      .locator('grid-files input.pick')
      .setInputFiles({ name: 'note.txt', mimeType: 'text/plain', buffer: note });
    const small = alice.page.locator('grid-files tbody tr', { hasText: 'note.txt' });
    await small.locator('.literal').waitFor({ timeout: 30_000 });
    const saved = alice.page.waitForEvent('download', { timeout: 30_000 });
    await small.locator('.download').click();
    const download = await saved;
    assert.equal(download.suggestedFilename(), 'note.txt');
    assert.equal(readFileSync((await download.path())!).toString(), 'twelve bytes');
    await alice.page.locator('grid-files').screenshot({ path: join(SHOTS, 'files-ui-4-panel-alice.png') });
  });
});
