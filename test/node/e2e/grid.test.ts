/**
 * Issue "The node in the browser": four separate Chromium processes form a grid through the real relay
 * on loopback and keep it when the relay goes away.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  type NodePage,
  type Site,
  connectedWithout,
  eventually,
  launch,
  linkLists,
  meshReport,
  openNode,
  ownSeqnum,
  startSite,
  view,
} from './harness.ts';

/** Each page's attempts that are not links yet. */
const pendingAttempts = (pages: readonly Page[]) =>
  Promise.all(
    pages.map((page) =>
      page.evaluate(() => {
        const mesh = window.gridNode!.stats().mesh;
        return mesh ? mesh.links - mesh.up : 0;
      }),
    ),
  );

describe('a grid of four browsers', { timeout: 240_000 }, () => {
  let site: Site;
  let browsers: Browser[] = [];
  let nodes: NodePage[] = [];

  /** Every node holds every node's newest announcement (each origin's own current seqnum). */
  async function converged(): Promise<boolean> {
    const own = await Promise.all(nodes.map(async (n) => [n.id, await ownSeqnum(n.page)] as const));
    const views = await Promise.all(nodes.map((n) => view(n.page)));
    lastViews = { own, views };
    return views.every((v) => own.every(([id, seq]) => seq > 0 && v[id] === seq));
  }
  let lastViews: unknown;
  const convergence = () =>
    eventually('convergence', converged, (ok) => ok).catch((error: Error) => {
      throw new Error(`${error.message}\n${JSON.stringify(lastViews)}`);
    });

  before(async () => {
    site = await startSite();
    browsers = await Promise.all([0, 1, 2, 3].map(() => launch()));
    nodes = await Promise.all(browsers.map((b, i) => openNode(b, site, { grid: 'e2e', nick: `node-${i}` })));
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await site?.close();
  });

  it('all four connect over WebRTC and each holds every other node’s newest announcement', async () => {
    assert.equal(new Set(nodes.map((n) => n.id)).size, 4, 'four distinct identities');
    await convergence();
    const links = await Promise.all(
      nodes.map((n) => n.page.evaluate(() => window.gridNode!.getPeers().filter((p) => p.connected).length)),
    );
    assert.ok(
      links.every((l) => l >= 1),
      `every node has WebRTC links: ${links}`,
    );
  });

  it('linked nodes measure RTT with the ping service, on a data channel of its own', async () => {
    const measured = () =>
      Promise.all(
        nodes.map((n) =>
          n.page.evaluate(() => {
            const node = window.gridNode!;
            const linked = node.getPeers().filter((p) => p.connected && !p.self);
            return {
              pongs: node.stats().services?.ping?.pongs ?? 0,
              rtts: linked.map((p) => node.ping.rttOf(p.id)).filter((ms) => ms !== undefined),
            };
          }),
        ),
      );
    await eventually('every node has ping RTTs', measured, (all) =>
      all.every((m) => m.pongs >= 1 && m.rtts.length >= 1 && m.rtts.every((ms) => ms >= 0 && ms < 5_000)),
    );
  });

  it('a new publish on one node reaches all', async () => {
    await nodes[0]!.page.evaluate(() => window.gridNode!.publish('helper', { note: 'hello' }));
    await eventually(
      'helper service everywhere',
      () => Promise.all(nodes.map((n) => n.page.evaluate(() => window.gridNode!.getPeers('helper').length))),
      (counts) => counts.every((c) => c === 1),
    );
  });

  it('a reloaded node keeps its id, continues its counter and reconnects', async () => {
    const n = nodes[1]!;
    const before = await ownSeqnum(n.page);
    await n.page.reload();
    await n.page.waitForFunction(() => window.gridNode?.role === 'leader');
    assert.equal(await n.page.evaluate(() => window.gridNode!.id), n.id);
    await eventually(
      'reloaded node announced again',
      () => ownSeqnum(n.page),
      (s) => s > before,
    );
    await convergence();
    const linked = await n.page.evaluate(() => window.gridNode!.getPeers().filter((p) => p.connected).length);
    assert.ok(linked >= 1, 'reconnected');
  });

  it('a second tab of the same profile does not start a second node', async () => {
    const leader = nodes[2]!;
    const second = await openNode(browsers[2]!, site, { grid: 'e2e' }, leader.context);
    assert.equal(await second.page.evaluate(() => window.gridNode!.role), 'follower');
    assert.equal(second.id, leader.id);
    await eventually(
      'the follower shows the leader’s members',
      () => second.page.evaluate(() => window.gridNode!.getPeers().length),
      (count) => count === 4,
    );
    await second.page.close();
  });

  it('when the leader tab closes, a follower takes over within seconds', async () => {
    const leader = nodes[2]!;
    const follower = await openNode(browsers[2]!, site, { grid: 'e2e' }, leader.context);
    assert.equal(await follower.page.evaluate(() => window.gridNode!.role), 'follower');
    await leader.page.close();
    const started = Date.now();
    await follower.page.waitForFunction(() => window.gridNode?.role === 'leader', undefined, {
      timeout: 10_000,
    });
    assert.ok(Date.now() - started < 10_000);
    nodes[2] = follower;
    await convergence();
  });

  it('after the relay stops, a new announcement still reaches every node already linked', async () => {
    // Linked, as the test says: one mesh, every link seen from both ends, no attempt under way (the
    // follower that just took over may still be making its links), else nothing signals across a gap.
    const ids = nodes.map((n) => n.id);
    const pages = nodes.map((n) => n.page);
    await eventually(
      'one mesh of proved links, seen from both ends',
      async () => ({ lists: await linkLists(pages), pending: await pendingAttempts(pages) }),
      ({ lists, pending }) =>
        pending.every((p) => p === 0) &&
        connectedWithout(ids, lists, -1) &&
        lists.every((list, i) => list.every((id) => lists[ids.indexOf(id)]?.includes(ids[i]!))),
      30_000,
      () => meshReport(pages),
    );
    await site.relay.close();
    await nodes[3]!.page.evaluate(() => window.gridNode!.publish('after-relay'));
    await eventually(
      'after-relay service everywhere',
      () =>
        Promise.all(nodes.map((n) => n.page.evaluate(() => window.gridNode!.getPeers('after-relay').length))),
      (counts) => counts.every((c) => c === 1),
      30_000,
      () => meshReport(pages),
    );
  });
});
