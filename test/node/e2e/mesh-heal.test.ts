/**
 * Issue 17, point 3 — back to `targetLinks` through the mesh: five Chromium processes with
 * `?config={"targetLinks":2,"maxLinks":3}` form a grid through the real relay; the relay is stopped; the
 * best-linked member closes its browser; every other member is back to two links within 20 s, its new
 * links signaled through the mesh alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type NodePage, type Site, eventually, launch, noCutMember, openNode, startSite } from './harness.ts';

const CONFIG = JSON.stringify({ targetLinks: 2, maxLinks: 3 });
const N = 5;

const linked = (page: Page) => page.evaluate(() => window.gridNode!.stats().mesh?.up ?? 0);
const relayOpen = (page: Page) =>
  page.evaluate(() => window.gridNode!.stats().mesh!.signaling.relays.some((r) => r.state === 'open'));
const originated = (page: Page) => page.evaluate(() => window.gridNode!.stats().mesh!.routed.originated);

describe('back to targetLinks through the mesh', { timeout: 180_000 }, () => {
  let site: Site;
  let browsers: Browser[] = [];
  const nodes: NodePage[] = [];

  before(async () => {
    site = await startSite();
    browsers = await Promise.all(Array.from({ length: N }, () => launch()));
    for (const [i, browser] of browsers.entries())
      nodes.push(await openNode(browser, site, { grid: 'mesh-heal', nick: `node-${i}`, config: CONFIG }));
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await site?.close();
  });

  it('after a member closes its browser, the others are back to two links each within 20 s, no relay', async () => {
    const counts = await eventually(
      'every member has two links or more, none more than three',
      () => Promise.all(nodes.map((n) => linked(n.page))),
      (c) => c.every((n) => n >= 2 && n <= 3),
    );
    await site.relay.close();
    await eventually(
      'no relay open anywhere',
      () => Promise.all(nodes.map((n) => relayOpen(n.page))),
      (open) => open.every((o) => !o),
    );
    // With no relay, nothing could signal across a split: the members keep the mesh free of any member
    // whose leaving would split it (they announce their links and link across every such cut).
    const peersOf = await noCutMember(nodes, 20_000);
    // The one to leave is a neighbour of a member with exactly two links (with five members of two or three
    // links, one has two), so that member must make a new link, and only the mesh can carry its signaling.
    const degrees = peersOf.map((p) => p.length);
    assert.ok(degrees.includes(2), `someone has exactly two links: ${degrees}`);
    const ids = nodes.map((n) => n.id);
    const gone = peersOf.flatMap((l) => (l.length === 2 ? l.map((id) => ids.indexOf(id)) : []))[0] ?? -1;
    assert.ok(gone >= 0);
    const rest = nodes.filter((_, i) => i !== gone);
    const before = await Promise.all(rest.map((n) => originated(n.page)));
    // Closing a browser closes its tab: the page hides (its node says goodbye on its links), then it ends.
    await nodes[gone]!.page.close({ runBeforeUnload: true });
    await browsers[gone]!.close();
    const started = Date.now();
    const goneId = nodes[gone]!.id;
    let lastLine = '';
    const after = await eventually(
      'its links seen gone, and the others back to two links',
      () =>
        Promise.all(
          rest.map((n) =>
            n.page.evaluate(
              (id) => ({
                up: window.gridNode!.stats().mesh?.up ?? 0,
                toGone: window.gridNode!.getPeers().some((p) => p.id === id && p.connected),
              }),
              goneId,
            ),
          ),
        ),
      (c) => {
        const line = JSON.stringify(c.map((n) => `${n.up}${n.toGone ? '+gone' : ''}`));
        if (line !== lastLine) console.log(`${Date.now() - started} ms: ${(lastLine = line)}`);
        return c.every((n) => n.up >= 2 && !n.toGone);
      },
      30_000,
    )
      .then((c) => c.map((n) => n.up))
      .catch(async (error: Error) => {
        const stats = await Promise.all(
          rest.map((n) =>
            n.page.evaluate(() => {
              const s = window.gridNode!.stats();
              return { id: window.gridNode!.id.slice(0, 12), mesh: s.mesh, dials: s.dials?.slice(-6) };
            }),
          ),
        );
        throw new Error(`${error.message}\n${JSON.stringify(stats, null, 1)}`);
      });
    const healMs = Date.now() - started;
    console.log(JSON.stringify({ healMs, linksBefore: counts, linksAfter: after }));
    assert.ok(healMs <= 20_000, `healed in ${healMs} ms`);
    assert.ok(
      after.every((n) => n <= 3),
      `maxLinks held: ${after}`,
    );
    const sent = await Promise.all(rest.map((n) => originated(n.page)));
    assert.ok(
      sent.some((s, i) => s > before[i]!),
      `new links were signaled through the mesh: ${before} → ${sent}`,
    );
    assert.equal((await Promise.all(rest.map((n) => relayOpen(n.page)))).some(Boolean), false);
  });
});
