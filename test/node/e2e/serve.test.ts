/**
 * Issue 16, "Run it for real": the app as `npm run serve` serves it (src/relay/app-server.ts), opened in
 * separate Chromium processes under a name that is not localhost (gridnode.test, mapped to 127.0.0.1).
 * Over plain http the page says it needs https; over https with a self-signed certificate the dashboard
 * starts under its Content-Security-Policy without a violation, and two browsers that know only the https
 * address found a grid and join it through the same-origin relay.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { type AppServer, startAppServer } from '../../../src/relay/app-server.ts';
import { type TestCert, makeCert } from '../helpers/tls-cert.ts';
import { eventually, launch } from './harness.ts';

const NAME = 'gridnode.test';
const TIMEOUT = 30_000;

interface Visitor {
  browser: Browser;
  page: Page;
  /** CSP violations reported by the page, and console errors about them. */
  violations: string[];
  errors: string[];
}

describe('the app served on one port under a real name', { timeout: 240_000 }, () => {
  let outDir: string;
  let cert: TestCert;
  let plain: AppServer;
  let secure: AppServer;
  const visitors: Visitor[] = [];

  async function visit(url: string): Promise<Visitor> {
    const browser = await launch([
      `--host-resolver-rules=MAP ${NAME} 127.0.0.1`,
      `--ignore-certificate-errors-spki-list=${cert.spki}`,
    ]);
    const context = await browser.newContext();
    context.setDefaultTimeout(TIMEOUT);
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) =>
        seen.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const page = await context.newPage();
    const visitor: Visitor = { browser, page, violations: [], errors: [] };
    visitors.push(visitor);
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text()))
        visitor.violations.push(message.text());
    });
    page.on('pageerror', (error) => visitor.errors.push(error.message));
    await page.goto(url);
    return visitor;
  }

  const violations = async (v: Visitor) => [
    ...v.violations,
    ...(await v.page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)),
  ];

  before(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'gridnode-serve-'));
    // As scripts/serve.ts builds: no relay baked in, so the page uses its own origin's /relay.
    delete process.env.VITE_RELAY_URL;
    await build({ logLevel: 'error', build: { outDir, emptyOutDir: true, sourcemap: false } });
    cert = makeCert(NAME);
    plain = await startAppServer({ host: '127.0.0.1', port: 0, root: outDir });
    secure = await startAppServer({
      host: '127.0.0.1',
      port: 0,
      root: outDir,
      tls: { cert: cert.cert, key: cert.key },
    });
  });

  after(async () => {
    await Promise.allSettled(visitors.map((v) => v.browser.close()));
    await Promise.allSettled([plain?.close(), secure?.close()]);
    cert?.remove();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('over plain http under a real name, the page says it needs https and why', async () => {
    const v = await visit(`http://${NAME}:${plain.port}/`);
    const alert = v.page.locator('#insecure-context[role="alert"]');
    await alert.waitFor({ state: 'visible' });
    assert.equal(await v.page.evaluate(() => isSecureContext), false);
    assert.equal(await alert.locator('h1').textContent(), 'This page needs https');
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /plain http on gridnode\.test/);
    assert.match(text, /Web Crypto/);
    assert.match(text, /Web Locks/);
    assert.equal(
      await alert.locator('a').getAttribute('href'),
      `https://${NAME}:${plain.port}/`,
      'it links to the https address',
    );
    assert.equal(await v.page.locator('grid-app').count(), 0, 'no half-started dashboard');
    assert.deepEqual(await violations(v), [], 'the explanation runs under the CSP');
    assert.equal(await v.page.evaluate(() => window.gridNode), undefined);
    await v.browser.close();
  });

  it('the same http server on loopback is a secure context and starts the dashboard', async () => {
    const v = await visit(`http://127.0.0.1:${plain.port}/`);
    await v.page.locator('grid-first-run form[part="create"]').waitFor({ state: 'visible' });
    assert.equal(await v.page.locator('#insecure-context').count(), 0);
    await v.browser.close();
  });

  it('over https, two browsers that know only the address found a grid and join it through its relay', async () => {
    const origin = `https://${NAME}:${secure.port}`;
    const alice = await visit(`${origin}/`);
    assert.equal(await alice.page.evaluate(() => isSecureContext), true);
    await alice.page
      .locator('grid-first-run form[part="create"] button[type="submit"]:not([disabled])')
      .waitFor();
    await alice.page.locator('grid-first-run input[name="name"]').fill('Served');
    await alice.page.getByRole('button', { name: 'Start a grid' }).click();
    await alice.page.locator('grid-invite form[part="form"] button[type="submit"]').click();
    const anchor = alice.page.locator('grid-invite a[part="link"]');
    await anchor.waitFor({ state: 'visible' });
    const link = (await anchor.textContent())?.trim() ?? '';
    assert.ok(link.startsWith(`${origin}/#invite=`), `the invitation points at the serving origin: ${link}`);

    const bob = await visit(link);
    await eventually(
      'Bob is a member',
      () => bob.page.evaluate(() => window.gridNode?.grid?.role),
      (role) => role === 'member',
    );
    for (const v of [alice, bob]) {
      await eventually(
        'a WebRTC link to the other',
        () => v.page.evaluate(() => window.gridNode!.getPeers().filter((p) => p.connected && !p.self).length),
        (n) => n === 1,
      );
    }
    // Neither page was given a relay: both used this origin's /relay, on the server they were loaded from.
    const health = secure.relay.health();
    // One connection each for signaling, and one each for the invitation-code rendezvous (a member that
    // holds pending invitations listens there; PROTOCOL.md §11): all to this origin's relay.
    assert.ok(health.connections >= 2 && health.connections <= 4, JSON.stringify(health));
    assert.ok(health.framesRelayed > 0, JSON.stringify(health));
    assert.equal(plain.relay.health().framesRelayed, 0);
    for (const v of [alice, bob]) {
      assert.deepEqual(await violations(v), [], 'no Content-Security-Policy violation');
      assert.deepEqual(v.errors, [], 'no page errors');
    }
  });
});
