/**
 * Issue "Liveness" in real browsers, with intervals in seconds instead of hours and days (`?config=`):
 * a closed tab is shown offline and then forgotten on the others' dashboards; a reloaded tab dials the
 * peers it saw last before one that went away earlier.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type NodePage, type Site, eventually, launch, openNode, startSite } from './harness.ts';

const config = {
  refreshIntervalMs: 2_000,
  expireAfterMs: 5_000,
  forgetAfterMs: 15_000,
  minPeersToForget: 2,
  settleMs: 1_000,
  antiEntropyMs: 2_000,
  maxDialsInFlight: 1,
  dialTimeoutMs: 3_000,
  reconnectBaseMs: 500,
  reconnectMaxMs: 2_000,
};

/** How the dashboard's member list shows `id`: 'connected', 'last seen …', or undefined when absent. */
async function shown(page: Page, id: string): Promise<string | undefined> {
  // One read in the page: a row forgotten between a count and a read would leave the read waiting.
  const rows = page.locator(`grid-members tr[data-id="${id}"]`);
  const text = await rows.evaluateAll(
    (found) => (found[0] as HTMLElement | undefined)?.querySelectorAll('td')[1]?.innerText,
  );
  return text?.trim();
}

const known = (page: Page) => page.evaluate(() => window.gridNode!.getPeers().map((p): string => p.id));

describe('liveness in real browsers', { timeout: 240_000 }, () => {
  let site: Site;
  const browsers: Browser[] = [];
  const nodes: NodePage[] = [];
  const [A, B, C, X] = [0, 1, 2, 3];

  before(async () => {
    site = await startSite();
    for (let i = 0; i < 4; i++) browsers.push(await launch());
    const query = { grid: 'liveness', config: JSON.stringify(config) };
    for (let i = 0; i < 4; i++) nodes.push(await openNode(browsers[i]!, site, { ...query, nick: `n${i}` }));
    await eventually(
      'every node linked to the three others',
      () =>
        Promise.all(
          nodes.map((n) =>
            n.page.evaluate(() => window.gridNode!.getPeers().filter((p) => p.connected).length),
          ),
        ),
      (links) => links.every((l) => l === 3),
      60_000,
    );
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await site?.close();
  });

  it('a closed tab is shown offline, then forgotten, on the others', async () => {
    const others = [nodes[A]!, nodes[B]!, nodes[X]!];
    const closed = nodes[C]!;
    for (const n of others) assert.equal(await shown(n.page, closed.id), 'connected');
    const closedAt = Date.now();
    await closed.page.close();
    await browsers[C]!.close();

    await eventually(
      'shown offline everywhere',
      () => Promise.all(others.map((n) => shown(n.page, closed.id))),
      (states) => states.every((s) => s?.startsWith('last seen') === true),
      20_000,
    );
    const offlineAfter = Date.now() - closedAt;
    assert.ok(
      offlineAfter < config.forgetAfterMs,
      `offline after ${offlineAfter} ms, before it is forgotten`,
    );

    await eventually(
      'forgotten everywhere',
      () => Promise.all(others.map((n) => shown(n.page, closed.id))),
      (states) => states.every((s) => s === undefined),
      config.forgetAfterMs + 20_000,
    );
    const forgottenAfter = Date.now() - closedAt;
    assert.ok(forgottenAfter >= config.forgetAfterMs, `forgotten after ${forgottenAfter} ms, not before`);
    for (const n of others) {
      assert.ok(!(await known(n.page)).includes(closed.id), 'gone from the node, not only from the list');
      const activity = await n.page.locator('grid-activity li.forgotten').count();
      assert.ok(activity >= 1, 'the activity log says so');
    }
    // What was forgotten stays forgotten across a reload: the floor is saved and restored with the rest.
    const b = nodes[B]!;
    await eventually(
      'B has written what it forgot',
      () => b.page.evaluate(() => window.gridNode!.stats().store?.queued),
      (queued) => queued === 0,
    );
    await b.page.reload();
    await b.page.waitForFunction(
      () => window.gridNode?.role === 'leader' && window.gridNode.status === 'online',
    );
    const floors = await b.page.evaluate(() => window.gridNode!.stats().core?.floors);
    assert.equal(floors, 1, 'the floor of the forgotten tab survived the reload');
    // Still gone a refresh and an anti-entropy round later: nobody gossips it back.
    await new Promise((r) => setTimeout(r, 2 * config.refreshIntervalMs + config.antiEntropyMs));
    for (const n of others) assert.ok(!(await known(n.page)).includes(closed.id), 'not back through gossip');
  });

  it('a reloaded tab reconnects to its most recent peers first', async () => {
    // A new member D joins, links with X, then goes away: X saw D less recently than A and B.
    browsers.push(await launch());
    const d = await openNode(browsers[4]!, site, {
      grid: 'liveness',
      config: JSON.stringify(config),
      nick: 'd',
    });
    const x = nodes[X]!;
    const linkedTo = (page: Page) =>
      page.evaluate(() =>
        window
          .gridNode!.getPeers()
          .filter((p) => p.connected)
          .map((p): string => p.id),
      );
    await eventually(
      'X linked with D',
      () => linkedTo(x.page),
      (ids) => ids.includes(d.id),
      30_000,
    );
    await browsers[4]!.close();
    await eventually(
      'X saw D go',
      () => linkedTo(x.page),
      (ids) => !ids.includes(d.id),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1_500)); // A and B are now seen more recently than D, and saved

    await x.page.reload();
    await x.page.waitForFunction(() => window.gridNode?.role === 'leader');
    const recent = [nodes[A]!.id, nodes[B]!.id];
    await eventually(
      'X linked with A and B again',
      () => linkedTo(x.page),
      (ids) => recent.every((id) => ids.includes(id)),
    );
    const { dials } = await x.page.evaluate(() => window.gridNode!.stats());
    assert.ok(dials && dials.length > 0, 'it dialed');
    assert.ok(recent.includes(dials[0]!.id), `the first dial went to A or B: ${JSON.stringify(dials)}`);
    for (const dial of dials.filter((dd) => dd.id === d.id)) {
      assert.ok(dial.links >= 2, `D was dialed only once A and B were linked: ${JSON.stringify(dials)}`);
    }
    assert.ok(!(await linkedTo(x.page)).includes(d.id));
  });
});
