/**
 * Issue "Run it for real", TURN: two dashboards in separate Chromium processes set a TURN server with
 * `setIceServers(servers, { transportPolicy: 'relay' })` and link only through Debian's coturn on
 * loopback; `stats().mesh.candidates` names the relay pair and coturn reports relayed bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { type TurnServer, startTurnServer } from '../helpers/turn-server.ts';
import { type NodePage, type Site, eventually, launch, openNode, startSite } from './harness.ts';

describe('members linked only through TURN', { timeout: 240_000 }, () => {
  let site: Site;
  let turn: TurnServer;
  let browsers: Browser[] = [];
  let nodes: NodePage[] = [];

  before(async () => {
    [site, turn] = await Promise.all([startSite(), startTurnServer()]);
    browsers = await Promise.all([launch(), launch()]);
    nodes = await Promise.all(browsers.map((b, i) => openNode(b, site, { grid: 'e2e-turn', nick: `t${i}` })));
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await Promise.allSettled([site?.close(), turn?.stop()]);
  });

  it('refuses a relay-only policy without a TURN server', async () => {
    const error = await nodes[0]!.page.evaluate(() =>
      window.gridNode!.setIceServers([{ urls: 'stun:127.0.0.1:3478' }], { transportPolicy: 'relay' }).then(
        () => 'accepted',
        (e: Error) => e.message,
      ),
    );
    assert.match(error, /needs at least one turn/);
    assert.equal(await nodes[0]!.page.evaluate(() => window.gridNode!.iceTransportPolicy()), 'all');
  });

  it('links relay-only through coturn once both set the policy, and keeps it across a reload', async () => {
    for (const { page } of nodes) {
      await page.evaluate(
        (server) => window.gridNode!.setIceServers([server], { transportPolicy: 'relay' }),
        turn.iceServer,
      );
    }
    const [a, b] = nodes as [NodePage, NodePage];
    const pairs = () =>
      Promise.all([
        a.page.evaluate((id) => window.gridNode!.stats().mesh?.candidates[id], b.id),
        b.page.evaluate((id) => window.gridNode!.stats().mesh?.candidates[id], a.id),
      ]);
    const relayPair = { local: 'relay', remote: 'relay' };
    const types = await eventually(
      'a relay/relay link both ways',
      pairs,
      (p) => p.every((t) => JSON.stringify(t) === JSON.stringify(relayPair)),
      60_000,
    );
    assert.deepEqual(types, [relayPair, relayPair]);
    // Gossip crosses the relayed link: a new service offered by one is seen by the other.
    await a.page.evaluate(() => window.gridNode!.publish('turn-probe', { v: '1' }));
    await eventually(
      'the announcement over the relayed link',
      () => b.page.evaluate((id) => window.gridNode!.getPeers('turn-probe').some((p) => p.id === id), a.id),
      (seen) => seen,
    );
    await a.page.reload();
    await a.page.waitForFunction(() => window.gridNode?.role === 'leader');
    assert.equal(await a.page.evaluate(() => window.gridNode!.iceTransportPolicy()), 'relay');
    await eventually(
      'a relay/relay link after the reload',
      pairs,
      (p) => p.every((t) => JSON.stringify(t) === JSON.stringify(relayPair)),
      60_000,
    );
    const relayed = await eventually(
      'coturn to report relayed bytes',
      async () => turn.relayedBytes(),
      (n) => n > 0,
    );
    assert.ok(relayed > 0);
  });
});
