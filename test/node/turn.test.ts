// Relay-only WebRTC through TURN: two separate Chromium processes link with PeerLink's
// iceTransportPolicy 'relay' through Debian's coturn on loopback; the selected pair is relay/relay, data
// flows, and coturn reports relaying at least the bytes that were sent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type ViteDevServer, createServer } from 'vite';
import { eventually, launch } from './e2e/harness.ts';
import { type TurnServer, startTurnServer } from './helpers/turn-server.ts';

declare global {
  interface Window {
    makeLink?: (options: import('../../src/net/peer-link.ts').PeerLinkOptions) => void;
    sendMany?: (count: number, size: number) => void;
    link?: import('../../src/net/peer-link.ts').PeerLink;
    received?: number;
    opened?: boolean;
    closedWith?: string;
    toPeer?: (signal: unknown) => Promise<void>;
  }
}

const POLICY: 'relay' | 'all' = 'relay';
const MESSAGES = 64;
const MESSAGE_BYTES = 16 * 1024;

describe('a relay-only link through coturn', { timeout: 120_000 }, () => {
  let turn: TurnServer;
  let vite: ViteDevServer;
  let browsers: Browser[] = [];
  let pages: Page[] = [];

  before(async () => {
    turn = await startTurnServer();
    vite = await createServer({
      logLevel: 'error',
      server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    });
    await vite.listen();
    const address = vite.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error('vite has no port');
    browsers = await Promise.all([launch(), launch()]);
    pages = await Promise.all(browsers.map((b) => b.newPage()));
    for (const page of pages) {
      page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
      await page.goto(`http://127.0.0.1:${address.port}/test/node/helpers/peer-link-page.html`);
      await page.waitForFunction(() => window.makeLink !== undefined);
    }
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await vite?.close();
    await turn?.stop();
  });

  it('links with relay candidates only, carries data, and coturn relayed it', async (t) => {
    const [a, b] = pages as [Page, Page];
    // Signals cross between the two processes through this test, as a relay would carry them.
    await a.exposeFunction('toPeer', (s: unknown) => b.evaluate((d) => window.link!.signal(d), s));
    await b.exposeFunction('toPeer', (s: unknown) => a.evaluate((d) => window.link!.signal(d), s));
    for (const [page, initiator] of [
      [b, false],
      [a, true],
    ] as const) {
      const options = {
        initiator,
        iceServers: [turn.iceServer],
        iceTransportPolicy: POLICY,
        connectTimeoutMs: 30_000,
      };
      await page.evaluate((o) => window.makeLink!(o), options);
    }
    for (const page of pages)
      await page.waitForFunction(() => window.opened || window.closedWith, undefined, { timeout: 40_000 });
    for (const page of pages)
      assert.equal(await page.evaluate(() => window.closedWith), undefined, 'the link opened');

    await a.evaluate(([count, size]) => window.sendMany!(count, size), [MESSAGES, MESSAGE_BYTES] as const);
    await b.waitForFunction((total) => window.received === total, MESSAGES * MESSAGE_BYTES, {
      timeout: 30_000,
    });

    for (const page of pages) {
      const types = await eventually(
        'the selected candidate pair',
        () => page.evaluate(() => window.link!.stats().candidateTypes),
        (t) => t !== undefined,
      );
      assert.deepEqual(types, { local: 'relay', remote: 'relay' });
    }
    // Closing ends the allocations; coturn then logs each session's final usage.
    for (const page of pages) await page.evaluate(() => window.link!.close());
    const relayed = await eventually(
      'coturn to report the relayed bytes',
      async () => turn.relayedBytes(),
      (bytes) => bytes >= MESSAGES * MESSAGE_BYTES,
      30_000,
    );
    t.diagnostic(`coturn relayed ${relayed} bytes for ${MESSAGES * MESSAGE_BYTES} bytes of messages`);
  });
});
