/**
 * The embeddable widget on a third-party page: a page served from another loopback origin loads
 * `widget.js` from the dashboard's server (a cross-origin module, so CORS must allow it) and holds one
 * `<grid-node-widget>` with an invitation made by a founder's dashboard in another browser. The widget's
 * node runs in a frame of the dashboard's origin (issue 11, item 7), which asks the person before joining;
 * once "Join" is clicked in it, the widget shows the grid's name and "2 of 2 online", says so in its DOM
 * events, and the founder sees its node as a member. Scripts of the embedding page (SECURITY-REVIEW.md
 * #11, as the review ran it) find no node object, cannot reach into the frame or its IndexedDB, and get
 * nothing signed by sending the frame messages.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type {
  GridNodeMembersDetail,
  GridNodeStatusDetail,
} from '../../../src/ui/grid-node-widget/grid-node-widget.ts';
import { type NodePage, type Site, eventually, launch, openNode, startSite } from './harness.ts';

const SHOTS = join('test-results', 'screenshots');
const GRID = 'Widget grid';

declare global {
  interface Window {
    widgetEvents?: { type: string; detail: unknown }[];
  }
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function thirdPartyPage(site: Site, code: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Bob's allotment club</title>
    <script type="module" src="${escape(site.url)}widget.js"></script>
    <style>
      body { font: 16px/1.5 Georgia, serif; max-width: 40rem; margin: 2rem auto; color: #333; }
      h1 { font-size: 1.6rem; }
    </style>
  </head>
  <body>
    <h1>Bob's allotment club</h1>
    <p>Our shared storage grid:</p>
    <grid-node-widget relay="${escape(site.relay.url)}" invitation="${escape(code)}" nickname="widget"></grid-node-widget>
    <p>Questions? Ask at the shed.</p>
  </body>
</html>`;
}

describe('the widget on a third-party page', { timeout: 180_000 }, () => {
  let site: Site;
  let server: Server | undefined;
  let pageOrigin = '';
  const browsers: Browser[] = [];
  let founder: NodePage;
  let page: Page;
  const siteResponses: { url: string; status: number; allowOrigin: string | undefined }[] = [];
  const failures: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    site = await startSite();
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await site?.close();
  });

  it('the dashboard’s server lets another loopback origin load the widget’s modules', async () => {
    const allowed = await fetch(`${site.url}widget.js`, { headers: { Origin: 'http://127.0.0.1:1' } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://127.0.0.1:1');
    assert.match(
      await allowed.text(),
      /\.\/assets\/shared-[\w-]+\.js/,
      'chunks are imported by relative URL',
    );
  });

  it('a widget joins with its invitation attribute; it and the founder see each other', async () => {
    browsers.push(await launch());
    founder = await openNode(browsers[0]!, site, { nick: 'founder' });
    await founder.page.evaluate((name) => window.gridNode!.createGrid(name), GRID);
    // A 26-character code, as typed (upper case, in groups): the frame fetches its invitation from the
    // grid once "Join" is clicked (before that it signs nothing, so it cannot name the grid yet).
    const { code: short } = await founder.page.evaluate(() => window.gridNode!.createInvite());
    const code = short.toUpperCase().replace(/(.{4})(?!$)/g, '$1 ');

    server = createServer((req, res) => {
      if (req.url === '/' || req.url === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(thirdPartyPage(site, code));
      } else if (req.url === '/favicon.ico') {
        res.writeHead(204).end();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    pageOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    assert.notEqual(`${pageOrigin}/`, site.url, 'another origin than the dashboard’s');

    browsers.push(await launch());
    const context = await browsers[1]!.newContext({ viewport: { width: 900, height: 600 } });
    context.setDefaultTimeout(30_000);
    page = await context.newPage();
    page.on('pageerror', (error) => failures.push(`page error: ${error.message}`));
    page.on('requestfailed', (r) => failures.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('console', (m) => {
      if (m.type() === 'error') failures.push(`console: ${m.text()}`);
    });
    page.on('response', async (response) => {
      // The frame's own requests are same-origin to it; CORS concerns what the page loads.
      if (!response.url().startsWith(site.url) || response.frame() !== page.mainFrame()) return;
      siteResponses.push({
        url: response.url(),
        status: response.status(),
        allowOrigin:
          (await response.headerValue('access-control-allow-origin').catch(() => undefined)) ?? undefined,
      });
    });
    // Listen before any module runs, so no event is missed.
    await page.addInitScript(() => {
      window.widgetEvents = [];
      for (const type of ['grid-node-status', 'grid-node-members']) {
        document.addEventListener(type, (e) =>
          window.widgetEvents!.push({ type, detail: (e as CustomEvent).detail }),
        );
      }
    });
    await page.goto(`${pageOrigin}/`);

    const part = (name: string) => page.locator(`grid-node-widget [part="${name}"]`);
    const frame = page.frameLocator('grid-node-widget iframe');
    const joinButton = frame.getByRole('button', { name: 'Join', exact: true });
    await joinButton.waitFor({ state: 'visible' });
    assert.equal(await frame.locator('[part="name"]').textContent(), 'Join this grid?');
    assert.equal(await part('members').count(), 0, 'not joined before the click');
    await joinButton.click();
    await eventually(
      'the widget shows the grid’s name',
      () => part('name').textContent(),
      (t) => t === GRID,
    );
    await eventually(
      'the widget counts two members online',
      () => part('members').textContent(),
      (t) => t === '2 of 2 online',
    );
    await eventually(
      'the widget says it is online',
      () => part('status').textContent(),
      (t) => t === 'Online',
    );
    assert.equal(await part('error').count(), 0, 'no error shown');

    const events = await page.evaluate(() => window.widgetEvents!);
    const statuses = events
      .filter((e) => e.type === 'grid-node-status')
      .map((e) => e.detail as GridNodeStatusDetail);
    const counts = events
      .filter((e) => e.type === 'grid-node-members')
      .map((e) => e.detail as GridNodeMembersDetail);
    assert.ok(
      statuses.some((s) => s.status === 'joining'),
      'joining after the click',
    );
    const last = statuses.at(-1)!;
    assert.equal(last.status, 'online');
    assert.equal(last.grid?.name, GRID);
    assert.equal(
      last.grid?.id,
      await founder.page.evaluate(() => window.gridNode!.grid?.id),
      'the founder’s grid',
    );
    assert.match(last.id ?? '', /^v0-/);
    assert.ok(
      statuses.every((s) => s.error === undefined),
      `no status carried an error: ${JSON.stringify(statuses)}`,
    );
    assert.deepEqual(counts.at(-1), { online: 2, total: 2 });

    const widgetId = last.id!;
    assert.notEqual(widgetId, founder.id);
    await eventually(
      'the founder sees the widget’s node, linked',
      () => founder.page.evaluate((id) => window.gridNode!.getPeers().find((p) => p.id === id), widgetId),
      (p) => p?.nickname === 'widget' && p.connected,
    );
    // The widget's node lives in the dashboard's origin, in the frame, in its own database.
    const nodeFrame = page.frames().find((f) => f.url().startsWith(`${site.url}widget-frame.html`));
    assert.ok(nodeFrame, 'the frame comes from the dashboard’s origin');
    const frameDatabases = await nodeFrame.evaluate(async () =>
      (await indexedDB.databases()).map((d) => d.name),
    );
    assert.ok(frameDatabases.includes('gridnode-widget'), `the widget's database: ${frameDatabases}`);

    // Every module came from the dashboard's server with CORS allowing this page's origin.
    const scripts = siteResponses.filter((r) => r.url.endsWith('.js'));
    assert.ok(
      scripts.some((r) => r.url === `${site.url}widget.js`),
      'widget.js was loaded',
    );
    assert.ok(
      scripts.some((r) => /\/assets\/shared-[\w-]+\.js$/.test(r.url)),
      'its chunk was loaded',
    );
    for (const r of scripts) {
      assert.equal(r.status, 200, r.url);
      assert.equal(r.allowOrigin, pageOrigin, `CORS for ${r.url}`);
    }
    assert.deepEqual(failures, []);

    await page.screenshot({ path: join(SHOTS, 'widget-third-party-page.png'), fullPage: true });
  });

  it('a script of the embedding page can neither reach the node, nor its storage, nor sign', async () => {
    const attempt = await page.evaluate(async () => {
      const widget = document.querySelector('grid-node-widget')!;
      const iframe = widget.shadowRoot!.querySelector('iframe')!;
      const tries: Record<string, string> = {};
      // Inline functions only: tsx would wrap named ones in a helper the page does not have.
      const probes: [string, () => unknown][] = [
        ['frame document', () => iframe.contentWindow!.document.body],
        ['frame gridNode', () => (iframe.contentWindow as unknown as { gridNode: unknown }).gridNode],
        ['frame indexedDB', () => iframe.contentWindow!.indexedDB],
      ];
      for (const [name, f] of probes) {
        try {
          tries[name] = `reached: ${typeof f()}`;
        } catch (error) {
          tries[name] = (error as Error).name;
        }
      }
      const heard: unknown[] = [];
      addEventListener('message', (e) => e.source === iframe.contentWindow && heard.push(e.data));
      // Ask the frame to sign, to export, and to run on another database and relay.
      const target = new URL(iframe.src).origin;
      iframe.contentWindow!.postMessage({ type: 'gridnode-widget:sign', bytes: [1, 2, 3] }, target);
      iframe.contentWindow!.postMessage({ type: 'gridnode-widget:exportGridKey' }, target);
      iframe.contentWindow!.postMessage(
        {
          type: 'gridnode-widget:init',
          relays: ['ws://127.0.0.1:9'],
          dbName: 'stolen',
          nickname: '',
          invitation: '',
        },
        target,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      return {
        tries,
        node: 'node' in widget,
        gridNode: 'gridNode' in window,
        pageDatabases: (await indexedDB.databases()).map((d) => d.name),
        heard: heard.map((m) => (m as { type?: unknown }).type),
      };
    });
    assert.deepEqual(attempt.tries, {
      'frame document': 'SecurityError',
      'frame gridNode': 'SecurityError',
      'frame indexedDB': 'SecurityError',
    });
    assert.equal(attempt.node, false, 'no widget.node');
    assert.equal(attempt.gridNode, false, 'no window.gridNode');
    assert.ok(!attempt.pageDatabases.includes('gridnode-widget'), `page databases: ${attempt.pageDatabases}`);
    const known = ['gridnode-widget:status', 'gridnode-widget:members', 'gridnode-widget:asking'];
    assert.ok(
      attempt.heard.every((t) => known.includes(t as string)),
      `the frame answered only with what the tag shows: ${JSON.stringify(attempt.heard)}`,
    );
    const nodeFrame = page.frames().find((f) => f.url().startsWith(`${site.url}widget-frame.html`))!;
    const frameDatabases = await nodeFrame.evaluate(async () =>
      (await indexedDB.databases()).map((d) => d.name),
    );
    assert.ok(!frameDatabases.includes('stolen'), 'a second init does not reopen the node elsewhere');
    assert.equal(
      await page.locator('grid-node-widget [part="members"]').textContent(),
      '2 of 2 online',
      'nothing else disturbed',
    );
    await page.locator('grid-node-widget').screenshot({ path: join(SHOTS, 'widget-element.png') });
  });
});
