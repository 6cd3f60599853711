/**
 * Issue "Storage servers", across separate Chromium processes through GridNode: a member stores a share
 * on another member's browser over their link, the server's owner sees it in `storage.clients()`, it
 * survives the server's reload, and once the owner denies the client, nothing more is stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { type NodePage, type Site, eventually, launch, openNode, startSite } from './harness.ts';

const SIZE = 256 * 1024;

describe('storage between two browsers', { timeout: 240_000 }, () => {
  let site: Site;
  let browsers: Browser[] = [];
  let nodes: NodePage[] = [];

  before(async () => {
    site = await startSite();
    browsers = await Promise.all([launch(), launch()]);
    nodes = await Promise.all(
      browsers.map((b, i) => openNode(b, site, { grid: 'e2e-storage', nick: `s${i}` })),
    );
    const [a, b] = nodes as [NodePage, NodePage];
    await eventually(
      'a storage channel from the client to the server',
      () => a.page.evaluate((id) => window.gridNode!.storage.remote(id as never) !== undefined, b.id),
      (ok) => ok,
      60_000,
    );
  });

  after(async () => {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await site?.close();
  });

  /** Stores share `share` of a fresh storage index on `to`, from the client page; returns the index. */
  const store = (client: NodePage, to: string, share: number) =>
    client.page.evaluate(
      async ([server, size, share]) => {
        const remote = window.gridNode!.storage.remote(server as never)!;
        const si = crypto.getRandomValues(new Uint8Array(16));
        const bytes = new Uint8Array(size).map((_, i) => (i * 31 + si[i % 16]!) & 255);
        try {
          await remote.allocate(si, [share], size, crypto.getRandomValues(new Uint8Array(32)));
          await remote.write(si, share, 0, bytes);
          await remote.close(si, share);
          const back = await remote.read(si, share, 0, size);
          const same = back.length === size && back.every((x, i) => x === bytes[i]);
          return { ok: true as const, si: Array.from(si), same, sum: bytes.reduce((a, x) => a + x, 0) };
        } catch (error) {
          return { ok: false as const, code: (error as { code?: string }).code, message: String(error) };
        }
      },
      [to, SIZE, share] as const,
    );

  it('stores a share on the other member, shown in its clients(), read back after its reload', async () => {
    const [a, b] = nodes as [NodePage, NodePage];
    const stored = await store(a, b.id, 0);
    assert.ok(stored.ok, JSON.stringify(stored));
    assert.equal(stored.same, true, 'read back the bytes written');
    const clients = await b.page.evaluate(() => window.gridNode!.storage.clients());
    const mine = clients.find((c) => c.id === a.id);
    assert.ok(mine && mine.bytes >= SIZE && mine.shares === 1, JSON.stringify(clients));
    assert.ok((await b.page.evaluate(() => window.gridNode!.storage.usage().used)) >= SIZE);

    await b.page.reload();
    await b.page.waitForFunction(() => window.gridNode?.role === 'leader');
    const after = await b.page.evaluate(() => window.gridNode!.storage.clients());
    assert.ok(
      after.some((c) => c.id === a.id && c.shares === 1),
      'kept across the reload',
    );
    const sum = await eventually(
      'the share read back after the reload',
      () =>
        a.page.evaluate(
          async ([server, si, size]) => {
            const remote = window.gridNode!.storage.remote(server as never);
            if (!remote) return undefined;
            const back = await remote.read(new Uint8Array(si), 0, 0, size).catch(() => undefined);
            return back?.reduce((s, x) => s + x, 0);
          },
          [b.id, stored.si, SIZE] as const,
        ),
      (s) => s !== undefined,
      60_000,
    );
    assert.equal(sum, stored.sum);
  });

  it('gossip on the same link is not held behind a large share being written', async (t) => {
    const [a, b] = nodes as [NodePage, NodePage];
    // B answers A's probe announcement with one of its own as soon as it holds it.
    await b.page.evaluate(() => {
      const node = window.gridNode!;
      node.subscribe('probe', (event) => {
        if (event.type !== 'removed' && !event.peer.self) void node.publish('probe-ack', {});
      });
    });
    // A writes a 24 MiB share to B, 1 MiB at a time, and an eighth of the way through publishes the
    // probe. The ack must come back over the same link while the share is still being written: the
    // storage channel is a data channel of its own, so bulk bytes never queue gossip behind them.
    const outcome = await a.page.evaluate(
      async ([server, size]) => {
        const node = window.gridNode!;
        const remote = node.storage.remote(server as never)!;
        const si = crypto.getRandomValues(new Uint8Array(16));
        await remote.allocate(si, [5], size, crypto.getRandomValues(new Uint8Array(32)));
        const t0 = performance.now();
        let publishedAt = -1;
        let ackAt = -1;
        node.subscribe('probe-ack', (event) => {
          if (ackAt < 0 && event.peer.id === server) ackAt = performance.now() - t0;
        });
        const chunk = 1024 * 1024;
        for (let at = 0; at < size; at += chunk) {
          if (at === size / 8) {
            publishedAt = performance.now() - t0;
            void node.publish('probe', {});
          }
          await remote.write(si, 5, at, new Uint8Array(chunk).fill(at / chunk));
        }
        const writtenAt = performance.now() - t0;
        await remote.close(si, 5);
        return { publishedAt, ackAt, writtenAt };
      },
      [b.id, 24 * 1024 * 1024] as const,
    );
    t.diagnostic(`gossip round trip during a 24 MiB share write (ms): ${JSON.stringify(outcome)}`);
    assert.ok(outcome.publishedAt >= 0 && outcome.ackAt > outcome.publishedAt, JSON.stringify(outcome));
    assert.ok(
      outcome.ackAt < outcome.writtenAt,
      `gossip went both ways during the write: ${JSON.stringify(outcome)}`,
    );
  });

  it('refuses a denied client before any work, and stores nothing of it', async () => {
    const [a, b] = nodes as [NodePage, NodePage];
    await b.page.evaluate((id) => window.gridNode!.setPolicy(id, 'deny'), a.id);
    const before = await b.page.evaluate(() => window.gridNode!.storage.usage().used);
    const refused = await store(a, b.id, 1);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.code, 'denied', JSON.stringify(refused));
    assert.equal(await b.page.evaluate(() => window.gridNode!.storage.usage().used), before);
  });
});
