/**
 * Issue 17, point 3 — links through the mesh: three Chromium processes form a grid through the real
 * relay; the relay is stopped; one link is closed; `gridNode.link(id)` then links the two unlinked members
 * again with signaling carried, signed and sealed, by the third (PROTOCOL.md §10). With `targetLinks: 1`
 * the core does not redial by itself, so the link is `link()`'s doing. `link()` also rejects plainly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { nodeIdString } from '../../../src/core/identity.ts';
import { type NodePage, type Site, eventually, launch, openNode, startSite } from './harness.ts';

const CONFIG = JSON.stringify({ targetLinks: 1, maxLinks: 4 });

const linked = (page: Page) => page.evaluate(() => window.gridNode!.stats().mesh?.up ?? 0);
const linkedTo = (page: Page, id: string) =>
  page.evaluate((peer) => window.gridNode!.getPeers().some((p) => p.id === peer && p.connected), id);
const relayOpen = (page: Page) =>
  page.evaluate(() => window.gridNode!.stats().mesh!.signaling.relays.some((r) => r.state === 'open'));
const routed = (page: Page) => page.evaluate(() => window.gridNode!.stats().mesh!.routed);

describe('links through the mesh, the relay stopped', { timeout: 180_000 }, () => {
  let site: Site;
  let browsers: Browser[] = [];
  let nodes: NodePage[] = [];

  before(async () => {
    site = await startSite();
    browsers = await Promise.all([0, 1, 2].map(() => launch()));
    for (const [i, browser] of browsers.entries())
      nodes.push(await openNode(browser, site, { grid: 'mesh-e2e', nick: `node-${i}`, config: CONFIG }));
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await site?.close();
  });

  it('with the relay stopped, gridNode.link(id) links two unlinked members through a third', async () => {
    const [a, b, c] = nodes as [NodePage, NodePage, NodePage];
    await eventually(
      'a triangle through the relay',
      () => Promise.all(nodes.map((n) => linked(n.page))),
      (counts) => counts.every((n) => n === 2),
    );
    await site.relay.close();
    await eventually(
      'no relay open anywhere',
      () => Promise.all(nodes.map((n) => relayOpen(n.page))),
      (open) => open.every((o) => !o),
    );
    // Neighbour lists have gone round; now A drops its link to B.
    await a.page.evaluate(
      (peer) =>
        (
          window.gridNode as unknown as { session: { runtime: { mesh: { close(p: string): void } } } }
        ).session.runtime.mesh.close(peer),
      b.id,
    );
    await eventually(
      'A and B unlinked, both still linked to C',
      async () => [
        await linkedTo(a.page, b.id),
        await linkedTo(b.page, a.id),
        await linked(a.page),
        await linked(b.page),
      ],
      ([ab, ba, na, nb]) => ab === false && ba === false && na === 1 && nb === 1,
    );
    const before = await routed(c.page);

    const started = Date.now();
    await a.page.evaluate((peer) => window.gridNode!.link(peer), b.id);
    const ms = Date.now() - started;
    console.log(JSON.stringify({ meshLinkMs: ms }));

    assert.equal(await linkedTo(a.page, b.id), true, 'A is linked to B');
    await eventually(
      'B sees A linked',
      () => linkedTo(b.page, a.id),
      (ok) => ok,
      5_000,
    );
    assert.equal(await relayOpen(a.page), false, 'still no relay');
    const fromA = await routed(a.page);
    const atB = await routed(b.page);
    const viaC = await routed(c.page);
    assert.ok(fromA.originated >= 2, `A sent its signaling into the mesh: ${JSON.stringify(fromA)}`);
    assert.ok(atB.delivered >= 2, `B received signaling through the mesh: ${JSON.stringify(atB)}`);
    assert.ok(viaC.forwarded > before.forwarded, `C forwarded it: ${JSON.stringify(viaC)}`);
    assert.deepEqual(viaC.delivered, before.delivered, 'C was a forwarder only, not a recipient');
    // A resolved link() for a member already linked at once.
    await a.page.evaluate((peer) => window.gridNode!.link(peer), b.id);
  });

  it('gridNode.link(id) rejects plainly: not an id, itself, and a member nobody can reach', async () => {
    const [a] = nodes as [NodePage];
    const reject = (id: string) =>
      a.page.evaluate(
        (peer) =>
          window.gridNode!.link(peer).then(
            () => 'resolved',
            (error: Error) => `${error.name}: ${error.message}`,
          ),
        id,
      );
    assert.match(await reject('nobody'), /^LinkError: not a node id/);
    assert.match(await reject(a.id), /^LinkError: a node cannot link to itself/);
    // A well-formed id of a node nobody runs: the hello goes into the mesh and nobody answers.
    const offline = nodeIdString(randomBytes(32));
    const message = await reject(offline);
    assert.match(
      message,
      /^LinkError: no link to .* within 15 s: it did not answer through the mesh, and no relay is open/,
    );
  });
});
