/**
 * Issue 17's outside check, as written: seven Chromium processes, the relay started apart from the app
 * (its own process, `src/relay/cli.ts`), every page with `?config={"targetLinks":2,"maxLinks":3}`.
 *
 * Alice founds a grid and invites five members one by one with codes of at most 32 characters; she makes
 * a sixth invitation, waits until another member holds it, and closes her browser; the seventh member
 * joins with it while she is offline. The relay process is stopped; `gridNode.link(id)` links two members
 * that were not linked (through the mesh alone); then a member closes its browser and every other member
 * is back to two links within 20 s, with no relay.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  type NodePage,
  type Site,
  eventually,
  launch,
  meshReport,
  noCutMember,
  openNode,
  startSite,
} from './harness.ts';

const CONFIG = JSON.stringify({ targetLinks: 2, maxLinks: 3 });
const GRID = 'Seven';

const linked = (page: Page) => page.evaluate(() => window.gridNode!.stats().mesh?.up ?? 0);
const peersOf = (page: Page) =>
  page.evaluate(() =>
    window
      .gridNode!.getPeers()
      .filter((p) => p.connected && !p.self)
      .map((p) => p.id as string),
  );
const relayOpen = (page: Page) =>
  page.evaluate(() => window.gridNode!.stats().mesh!.signaling.relays.some((r) => r.state === 'open'));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The relay as an operator runs it: its own process, started and stopped apart from the app. */
async function startRelayProcess(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/relay/cli.ts', '--host', '127.0.0.1', '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('relay listening')) resolve();
    });
  });
  return child;
}

describe('seven browsers, the relay apart (issue 17’s outside check)', { timeout: 240_000 }, () => {
  let site: Site;
  let relay: ChildProcess | undefined;
  let relayUrl = '';
  const browsers: Browser[] = [];
  const members: NodePage[] = [];
  let alice: NodePage;

  before(async () => {
    const port = await freePort();
    relay = await startRelayProcess(port);
    relayUrl = `ws://127.0.0.1:${port}`;
    site = await startSite();
    browsers.push(...(await Promise.all(Array.from({ length: 7 }, () => launch()))));
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    relay?.kill('SIGKILL');
    await site?.close();
  });

  async function join(browser: Browser, url: string, nick: string): Promise<NodePage> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`[page error ${nick}] ${error.message}`));
    const query = new URLSearchParams({ relay: relayUrl, nick, config: CONFIG });
    await page.goto(`${site.url}?${query}${new URL(url).hash}`);
    await eventually(
      `${nick} joined`,
      () => page.evaluate(() => window.gridNode?.grid?.name),
      (name) => name === GRID,
    );
    const id = await page.evaluate(() => window.gridNode!.id);
    await eventually(
      `${nick} linked`,
      () => linked(page),
      (n) => n >= 1,
    );
    return { page, context, id };
  }

  it('codes of at most 32 characters; the seventh joins while the member who invited it is offline', async () => {
    alice = await openNode(browsers[0]!, site, { relay: relayUrl, nick: 'alice', config: CONFIG });
    await alice.page.evaluate((name) => window.gridNode!.createGrid(name), GRID);
    members.push(alice);
    for (let i = 1; i <= 5; i++) {
      const { url, code } = await alice.page.evaluate(() => window.gridNode!.createInvite());
      assert.ok(code.length <= 32, code);
      members.push(await join(browsers[i]!, url, `member-${i}`));
    }
    const last = await alice.page.evaluate(() => window.gridNode!.createInvite({ name: 'Seventh' }));
    assert.ok(last.code.length <= 32);
    await eventually(
      'another member holds the seventh invitation',
      () => alice.page.evaluate((c) => window.gridNode!.invitationHeldBy(c), last.code),
      (n) => n >= 1,
    );
    await alice.page.close({ runBeforeUnload: true });
    await browsers[0]!.close();
    members.shift();
    await eventually(
      'nobody linked to Alice',
      () => Promise.all(members.map((m) => peersOf(m.page))),
      (lists) => lists.every((l) => !l.includes(alice.id)),
    );
    members.push(await join(browsers[6]!, last.url, 'member-6'));
    assert.equal(members.length, 6);
  });

  it('with the relay stopped, gridNode.link(id) links two members that were not linked', async () => {
    const settled = () =>
      eventually(
        'every member has two or three links, no attempt under way',
        () =>
          Promise.all(
            members.map((m) =>
              m.page.evaluate(() => {
                const mesh = window.gridNode!.stats().mesh!;
                return { up: mesh.up, links: mesh.links };
              }),
            ),
          ),
        (c) => c.every((n) => n.up >= 2 && n.up <= 3 && n.links === n.up),
        45_000,
        () => meshReport(members.map((m) => m.page)),
      );
    await settled();
    relay!.kill('SIGTERM');
    await new Promise((resolve) => relay!.once('exit', resolve));
    relay = undefined;
    await eventually(
      'no relay open anywhere',
      () => Promise.all(members.map((m) => relayOpen(m.page))),
      (open) => open.every((o) => !o),
    );
    await settled();
    const lists = await Promise.all(members.map((m) => peersOf(m.page)));
    // Two members not linked; full ones (maxLinks) if there are any, since they must make room first. A
    // full member can make room only by letting go of a neighbour above targetLinks (nobody drops below
    // it) whose link is not the only way to it; one whose neighbours all have two refuses, rightly, so
    // such a member is not picked. Whether the last rule holds is the asker's picture, not this one: an
    // asker that refuses at once for it (no dial made) is passed over for the next pair.
    const unlinked = (a: number, b: number) => a !== b && !lists[a]!.includes(members[b]!.id);
    const full = (i: number) => lists[i]!.length >= 3;
    const degreeOf = (id: string) => lists[members.findIndex((m) => m.id === id)]?.length ?? 0;
    const canMakeRoom = (i: number) => !full(i) || lists[i]!.some((id) => degreeOf(id) > 2);
    const pairs: [number, number][] = [];
    for (const wantFull of [true, false])
      for (let a = 0; a < members.length; a++)
        for (let b = 0; b < members.length; b++)
          if (unlinked(a, b) && canMakeRoom(a) && canMakeRoom(b) && wantFull === (full(a) && full(b)))
            pairs.push([a, b]);
    assert.ok(pairs.length > 0, `two unlinked members: ${JSON.stringify(lists.map((l) => l.length))}`);
    const refusedAtOnce = 'LinkError: this node has its most links';
    let result = '';
    let [a, b] = pairs[0]!;
    for ([a, b] of pairs) {
      console.log(`linking members with ${lists[a]!.length} and ${lists[b]!.length} links`);
      result = await members[a]!.page.evaluate(
        (id) =>
          window.gridNode!.link(id).then(
            () => 'linked',
            (e: Error) => `${e.name}: ${e.message}`,
          ),
        members[b]!.id,
      );
      if (!result.startsWith(refusedAtOnce)) break;
      console.log(result);
    }
    const why = result === 'linked' ? '' : JSON.stringify(await meshReport(members.map((m) => m.page)));
    assert.equal(result, 'linked', `${result}; ${why}`);
    // link() resolves when this end has the proof; the other end verifies ours a moment later.
    await eventually(
      'both ends to see the link',
      () => peersOf(members[b]!.page),
      (peers) => peers.includes(members[a]!.id),
      5_000,
    );
  });

  it('after a member closes its browser, the others are back to two links each within 20 s, no relay', async () => {
    // With no relay nothing could signal across a split: the members keep the mesh free of any member
    // whose leaving would split it, so any member may leave. A neighbour of a member with exactly two
    // links leaves, so that member must make a new link through the mesh.
    const lists = await noCutMember(members, 20_000);
    const ids = members.map((m) => m.id);
    const leavers = lists.flatMap((l) => (l.length === 2 ? l.map((id) => ids.indexOf(id)) : []));
    const gone = leavers[0] ?? 0;
    const needy = lists.findIndex((l) => l.length === 2 && l.includes(ids[gone]!));
    console.log(`links before: ${lists.map((l) => l.length)}; a new link needed: ${needy >= 0}`);
    const goneId = members[gone]!.id;
    const rest = members.filter((_, i) => i !== gone);
    await members[gone]!.page.close({ runBeforeUnload: true });
    await members[gone]!.context.browser()?.close();
    const started = Date.now();
    const counts = await eventually(
      'the others back to two links, none to the one gone',
      () =>
        Promise.all(
          rest.map((m) =>
            m.page.evaluate((id) => {
              const linked = window.gridNode!.getPeers().filter((p) => p.connected && !p.self);
              // Links to the others only: the one to the member gone may look up for a moment yet.
              return {
                up: linked.filter((p) => p.id !== id).length,
                toGone: linked.some((p) => p.id === id),
              };
            }, goneId),
          ),
        ),
      (c) => c.every((n) => n.up >= 2 && !n.toGone),
      30_000,
      () => meshReport(rest.map((m) => m.page)),
    );
    const healMs = Date.now() - started;
    console.log(JSON.stringify({ healMs, links: counts.map((c) => c.up) }));
    // How the new links came about (or why they took long), for the log.
    if (needy >= 0) console.log(JSON.stringify(await meshReport(rest.map((m) => m.page))));
    assert.ok(healMs <= 20_000, `healed in ${healMs} ms`);
    assert.ok(
      counts.every((c) => c.up <= 3),
      'maxLinks held',
    );
    assert.equal((await Promise.all(rest.map((m) => relayOpen(m.page)))).some(Boolean), false);
  });
});
