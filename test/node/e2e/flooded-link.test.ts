/**
 * Issue 12 (the hostile bench's peer attack), in two Chromium processes: a member that sends 250 KiB
 * messages back to back on its link has that link closed (`link-flood-closed`), and while its links are
 * refused its tries to link again start nothing — its hellos and offers are dropped before any
 * RTCPeerConnection is built (`refused-peer`), where they used to cost a whole connection (ICE, DTLS,
 * SCTP, the proof) refused only at the end (`link-refused`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Site, arrive, eventually, startSite } from './harness.ts';

describe('a flooding link', { timeout: 180_000 }, () => {
  let site: Site;
  const browsers: Browser[] = [];

  const dropped = (page: Page) =>
    page.evaluate(() => {
      const s = window.gridNode!.stats();
      return { verification: s.verification?.dropped ?? {}, mesh: s.mesh?.dropped ?? {} };
    });

  before(async () => {
    site = await startSite();
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await site?.close();
  });

  it('is closed, and its tries to link again are refused before any connection is built', async () => {
    const alice = await arrive(site, browsers, 'alice');
    await alice.evaluate(() => window.gridNode!.createGrid('Flooded'));
    const invite = await alice.evaluate(() => window.gridNode!.createInvite());
    const mallory = await arrive(site, browsers, 'mallory', invite.url.slice(invite.url.indexOf('#')));
    await eventually(
      'alice and mallory linked',
      () => alice.evaluate(() => window.gridNode!.getPeers().filter((p) => p.connected && !p.self).length),
      (n) => n === 1,
    );
    const aliceId: string = await alice.evaluate(() => window.gridNode!.id);

    // Mallory sends a message near the size limit every 50 ms (5 MiB/s, five times the byte budget).
    await mallory.evaluate((to) => {
      const mesh = (
        window.gridNode as unknown as {
          session: { runtime: { mesh: { send(p: string, b: Uint8Array): boolean } } };
        }
      ).session.runtime.mesh;
      const big = new Uint8Array(250 * 1024);
      big[0] = 1;
      const w = window as unknown as { __flood: ReturnType<typeof setInterval> };
      w.__flood = setInterval(() => mesh.send(to, big), 50);
    }, aliceId);
    await eventually(
      'alice closed the link',
      () => dropped(alice),
      (d) => (d.verification['link-flood-closed'] ?? 0) === 1,
    );
    await mallory.evaluate(() =>
      clearInterval((window as unknown as { __flood: ReturnType<typeof setInterval> }).__flood),
    );

    // Mallory's node dials Alice again by itself (a lost link is redialed); Alice starts nothing for it.
    const after = await eventually(
      'mallory tried again and was refused up front',
      () => dropped(alice),
      (d) => (d.mesh['refused-peer'] ?? 0) + (d.mesh['dial-refused'] ?? 0) >= 1,
      40_000,
    );
    assert.equal(after.mesh['link-refused'], undefined, 'no connection was built only to be refused');
    assert.equal(
      await alice.evaluate(() => window.gridNode!.getPeers().filter((p) => p.connected && !p.self).length),
      0,
      'and no link came up',
    );
  });
});
