/**
 * Seed 000's story, in separate browsers: Alice starts a grid and invites Bob by link; Bob invites Carol;
 * Alice leaves; Bob and Carol still see each other, and Carol invites Dave, who joins while Alice is gone.
 * Along the way: the invitation never appears in any request or in the relay's traffic, a used invitation
 * admits nobody else, and a revoked member is refused when it comes back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { fromHex } from '../../../src/core/index.ts';
import { gridTopic } from '../../../src/net/seal.ts';
import { type Site, eventually, launch, startSite } from './harness.ts';

interface Person {
  name: string;
  browser: Browser;
  page: Page;
  requests: string[];
}

describe('Alice, Bob, Carol and Dave', { timeout: 300_000 }, () => {
  let site: Site;
  const people: Record<string, Person> = {};
  const relayFrames: string[] = [];
  let sniffer: WebSocket | undefined;

  async function arrive(name: string, hash = ''): Promise<Person> {
    const browser = await launch();
    const page = await (await browser.newContext()).newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(`${request.url()} ${request.postData() ?? ''}`));
    page.on('pageerror', (error) => console.error(`[${name}] ${error.message}`));
    const query = new URLSearchParams({ relay: site.relay.url, nick: name });
    await page.goto(`${site.url}?${query}${hash}`);
    await page.waitForFunction(() => window.gridNode?.role === 'leader');
    const person = { name, browser, page, requests };
    people[name] = person;
    return person;
  }

  const members = (p: Person) =>
    p.page.evaluate(() =>
      window
        .gridNode!.getPeers()
        .map((peer) => peer.nickname)
        .sort(),
    );
  const connected = (p: Person) =>
    p.page.evaluate(() =>
      window
        .gridNode!.getPeers()
        .filter((peer) => peer.connected)
        .map((peer) => peer.nickname)
        .sort(),
    );
  const invite = (p: Person, options: { canInvite?: boolean } = {}) =>
    p.page.evaluate((o) => window.gridNode!.createInvite(o), options);
  const fragmentOf = (url: string) => url.slice(url.indexOf('#'));
  const sees = (p: Person, names: string[]) =>
    eventually(
      `${p.name} sees ${names}`,
      () => members(p),
      (m) => JSON.stringify(m) === JSON.stringify(names.sort()),
    );

  before(async () => {
    site = await startSite();
  });

  after(async () => {
    sniffer?.close();
    await Promise.allSettled(Object.values(people).map((p) => p.browser.close()));
    await site?.close();
  });

  it('Alice starts a grid; Bob opens her invitation link and both see a two-node grid', async () => {
    const alice = await arrive('alice');
    const grid = await alice.page.evaluate(() => window.gridNode!.createGrid('Friends'));
    assert.equal(grid.name, 'Friends');
    assert.equal(grid.role, 'admin');
    // Listen to everything the relay forwards on this grid's topic.
    sniffer = new WebSocket(site.relay.url);
    await new Promise((resolve) => sniffer!.once('open', resolve));
    sniffer.send(JSON.stringify({ type: 'subscribe', topics: [gridTopic(fromHex(grid.id))] }));
    sniffer.on('message', (data) => relayFrames.push(String(data)));

    const link = await invite(alice);
    assert.match(link.url, /#invite=/);
    const bob = await arrive('bob', fragmentOf(link.url));
    assert.equal(await bob.page.evaluate(() => location.hash), '', 'the fragment left the address bar');
    await eventually(
      'bob joined',
      () => bob.page.evaluate(() => window.gridNode!.grid?.name),
      (n) => n === 'Friends',
    );
    await sees(alice, ['alice', 'bob']);
    await sees(bob, ['alice', 'bob']);
    await eventually(
      'a WebRTC link',
      () => connected(bob),
      (c) => c.includes('alice'),
    );
    const invitedBy = await bob.page.evaluate(() => window.gridNode!.grid?.invitedBy);
    assert.equal(
      invitedBy,
      await alice.page.evaluate(() => window.gridNode!.id),
      'Bob knows Alice invited him',
    );
    const code = link.code;
    for (const p of [alice, bob]) {
      assert.ok(
        !p.requests.some((r) => r.includes(code.slice(0, 40))),
        `${p.name}'s requests never carry the invitation`,
      );
    }
    assert.ok(relayFrames.length > 0, 'the sniffer saw signaling');
    assert.ok(!relayFrames.some((f) => f.includes(code.slice(0, 40))), 'the relay never sees the invitation');
  });

  it('a second browser redeeming the used invitation is refused by every member', async () => {
    const link = await invite(people.alice!);
    await arrive('eve', fragmentOf(link.url));
    await sees(people.alice!, ['alice', 'bob', 'eve']);
    const mallory = await arrive('mallory', fragmentOf(link.url));
    const error = await eventually(
      'mallory is told',
      () => mallory.page.evaluate(() => window.gridInviteError),
      (e) => e !== undefined,
    );
    assert.match(error!, /already been used/);
    assert.equal(
      await mallory.page.evaluate(() => window.gridNode!.grid),
      undefined,
      'mallory is in no grid',
    );
    const refused = await people.alice!.page.evaluate(
      () => window.gridNode!.stats().refused?.['invite-used'] ?? 0,
    );
    assert.ok(refused > 0, 'the refusal is counted');
    await sees(people.alice!, ['alice', 'bob', 'eve']);
    await sees(people.bob!, ['alice', 'bob', 'eve']);
  });

  it('a member revoked while offline is refused when it comes back, and is told', async () => {
    const eve = people.eve!;
    const eveId = await eve.page.evaluate(() => window.gridNode!.id);
    const context = eve.page.context();
    await eve.page.close(); // Eve is offline: she will not hear of her revocation
    await people.alice!.page.evaluate((id) => window.gridNode!.revoke(id), eveId);
    await sees(people.alice!, ['alice', 'bob']);
    await sees(people.bob!, ['alice', 'bob']);
    eve.page = await context.newPage();
    await eve.page.goto(`${site.url}?${new URLSearchParams({ relay: site.relay.url, nick: 'eve' })}`);
    await eve.page.waitForFunction(() => window.gridNode?.role === 'leader');
    await eventually(
      'members refuse the revoked member’s link or announcements, and count it',
      () =>
        Promise.all(
          [people.alice!, people.bob!].map((p) =>
            p.page.evaluate(() => {
              const stats = window.gridNode!.stats();
              return (stats.refused?.['revoked-link'] ?? 0) + (stats.core?.dropped.revoked ?? 0);
            }),
          ),
        ),
      (counts) => counts.some((n) => n > 0),
    );
    await eventually(
      'the revoked member is told, and leaves the grid',
      () => eve.page.evaluate(() => window.gridNode!.grid),
      (grid) => grid === undefined,
    );
    await sees(people.alice!, ['alice', 'bob']);
    await sees(people.bob!, ['alice', 'bob']);
  });

  it('Bob invites Carol; Alice leaves; Bob and Carol still see each other', async () => {
    const link = await invite(people.bob!);
    const carol = await arrive('carol', fragmentOf(link.url));
    await sees(carol, ['alice', 'bob', 'carol']);
    await people.alice!.page.evaluate(() => window.gridNode!.leave());
    await sees(people.bob!, ['bob', 'carol']);
    await sees(carol, ['bob', 'carol']);
    await people.alice!.browser.close();
    await eventually(
      'Bob and Carol linked',
      () => connected(carol),
      (c) => c.includes('bob'),
    );
  });

  it('Carol invites Dave, who joins while Alice stays gone', async () => {
    const link = await invite(people.carol!);
    const dave = await arrive('dave', fragmentOf(link.url));
    await sees(dave, ['bob', 'carol', 'dave']);
    await sees(people.bob!, ['bob', 'carol', 'dave']);
    const chain = await dave.page.evaluate(
      () => window.gridNode!.getPeers().find((p) => p.nickname === 'dave')?.invitedBy,
    );
    assert.equal(
      chain,
      await people.carol!.page.evaluate(() => window.gridNode!.id),
      'Dave was invited by Carol',
    );
  });
});
