/**
 * Issue "Files on the grid", in four separate Chromium processes of one invitation-made grid: Alice uploads
 * 3 MiB with `files.upload`; Dave downloads identical bytes with `files.download`; Carol's
 * `storage.clients()` shows Alice's bytes; Alice closes her browser and Bob still downloads; Carol denies
 * Dave and holds nothing of his next upload, which lands on the others.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Site, eventually, launch, startSite } from './harness.ts';

const SIZE = 3 * 1024 * 1024;

interface Person {
  name: string;
  browser: Browser;
  page: Page;
  id: string;
}

/** The test file, made the same way in Node and in a page: a counter mixed with a position hash. */
function fill(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('files across four browsers', { timeout: 300_000 }, () => {
  let site: Site;
  const people: Person[] = [];

  async function arrive(name: string, hash = ''): Promise<Person> {
    const browser = await launch();
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => console.error(`[${name}] ${error.message}`));
    const query = new URLSearchParams({ relay: site.relay.url, nick: name });
    await page.goto(`${site.url}?${query}${hash}`);
    await page.waitForFunction(() => window.gridNode?.role === 'leader');
    const person = { name, browser, page, id: await page.evaluate(() => window.gridNode!.id) };
    people.push(person);
    return person;
  }

  /** Linked members that announce storage and have an open storage channel, as this page sees them. */
  const storageInReach = (p: Person) =>
    p.page.evaluate(() => {
      const node = window.gridNode!;
      return node
        .getPeers('storage')
        .filter((peer) => peer.self || node.storage.remote(peer.id as never) !== undefined)
        .map((peer) => peer.nickname)
        .sort();
    });

  // No named functions inside page.evaluate: tsx would wrap them in a helper the page does not have.
  const hashIn = (p: Person, kind: 'download' | 'upload', arg: string | number) =>
    p.page.evaluate(
      async ([kind, arg]) => {
        const node = window.gridNode!;
        try {
          let data: Uint8Array;
          let result;
          if (kind === 'download') {
            data = await node.files.download(arg as string);
          } else {
            // The same generator as the test's `fill`, seed 7.
            data = new Uint8Array(arg as number);
            let x = 7;
            for (let i = 0; i < data.length; i++) {
              x ^= x << 13;
              x ^= x >>> 17;
              x ^= x << 5;
              data[i] = x & 255;
            }
            result = await node.files.upload(new Blob([data as BufferSource]), { name: 'dave.bin' });
          }
          const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource));
          const sha = Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
          return { ok: true as const, size: data.length, sha, result };
        } catch (error) {
          return { ok: false as const, message: String(error) };
        }
      },
      [kind, arg] as const,
    );

  before(async () => {
    site = await startSite();
    const alice = await arrive('alice');
    await alice.page.evaluate(() => window.gridNode!.createGrid('Files'));
    for (const name of ['bob', 'carol', 'dave']) {
      const link = await alice.page.evaluate(() => window.gridNode!.createInvite());
      await arrive(name, link.url.slice(link.url.indexOf('#')));
    }
    const everyone = ['alice', 'bob', 'carol', 'dave'];
    for (const p of people) {
      await eventually(
        `${p.name} reaches the storage of all four`,
        () => storageInReach(p),
        (names) => JSON.stringify(names) === JSON.stringify(everyone),
        90_000,
      );
    }
  });

  after(async () => {
    await Promise.allSettled(people.map((p) => p.browser.close()));
    await site?.close();
  });

  let cap = '';
  const data = fill(SIZE, 1234567);

  it('Alice uploads 3 MiB; Dave downloads identical bytes; Carol sees Alice among her clients', async () => {
    const [alice, , carol, dave] = people as [Person, Person, Person, Person];
    const progress: unknown[] = [];
    await alice.page.exposeFunction('recordProgress', (p: unknown) => void progress.push(p));
    const result = await alice.page.evaluate(async (seed) => {
      const node = window.gridNode!;
      node.files.addEventListener('progress', (e) =>
        (window as unknown as { recordProgress(p: unknown): void }).recordProgress((e as CustomEvent).detail),
      );
      const size = 3 * 1024 * 1024;
      const data = new Uint8Array(size);
      let x = seed;
      for (let i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        data[i] = x & 255;
      }
      return node.files.upload(data, { name: 'holiday.bin' });
    }, 1234567);
    cap = result.cap;
    assert.match(cap, /^URI:CHK:/);
    assert.equal(result.size, SIZE);
    // Four storage servers: 2-of-4, happiness 3, a share on every member.
    assert.deepEqual([result.k, result.happy, result.n], [2, 3, 4]);
    assert.deepEqual([...result.servers].sort(), people.map((p) => p.id).sort());
    assert.ok(progress.length >= 3, 'progress events reached the page');
    const listed = await alice.page.evaluate(() => window.gridNode!.files.list());
    assert.equal(listed[0]?.cap, cap);
    assert.equal(listed[0]?.name, 'holiday.bin');

    const got = await hashIn(dave, 'download', cap);
    assert.ok(got.ok, JSON.stringify(got));
    assert.equal(got.size, SIZE);
    assert.equal(got.sha, sha256(data), 'Dave has the very bytes Alice uploaded');

    const clients = await carol.page.evaluate(() => window.gridNode!.storage.clients());
    const fromAlice = clients.find((c) => c.id === alice.id);
    // One share of a 2-of-4 file: at least half the file's size.
    assert.ok(fromAlice && fromAlice.shares === 1 && fromAlice.bytes >= SIZE / 2, JSON.stringify(clients));
  });

  it('Alice closes her browser; Bob still downloads the file', async () => {
    const [alice, bob] = people as [Person, Person];
    await alice.browser.close();
    await eventually(
      'Bob notices Alice is gone',
      () => storageInReach(bob),
      (names) => !names.includes('alice'),
      60_000,
    );
    const got = await hashIn(bob, 'download', cap);
    assert.ok(got.ok, JSON.stringify(got));
    assert.equal(got.sha, sha256(data));
  });

  it('Carol denies Dave: she holds nothing of his next upload, which lands on the others', async () => {
    const [, bob, carol, dave] = people as [Person, Person, Person, Person];
    await carol.page.evaluate((id) => window.gridNode!.setPolicy(id, 'deny'), dave.id);
    const before = await carol.page.evaluate(() => window.gridNode!.storage.usage().used);
    const up = await hashIn(dave, 'upload', 512 * 1024);
    assert.ok(up.ok, JSON.stringify(up));
    const result = up.result!;
    assert.ok(
      !result.servers.includes(carol.id),
      `Carol holds none of it: ${JSON.stringify(result.servers)}`,
    );
    assert.ok(result.servers.includes(bob.id) && result.servers.includes(dave.id));
    assert.equal(await carol.page.evaluate(() => window.gridNode!.storage.usage().used), before);
    const daveAtCarol = await carol.page.evaluate(
      (id) => window.gridNode!.storage.clients().find((c) => c.id === id),
      dave.id,
    );
    // Dave read from Carol before (Alice's file), so he may be listed: holding nothing.
    assert.equal(daveAtCarol?.bytes ?? 0, 0, JSON.stringify(daveAtCarol));
    assert.equal(daveAtCarol?.shares ?? 0, 0);
    const back = await hashIn(bob, 'download', result.cap);
    assert.ok(back.ok && back.sha === up.sha, JSON.stringify(back));
  });

  it('Carol makes a storage club with Bob; Bob joins and, under an allow list, still serves her club upload', async () => {
    const [, bob, carol, dave] = people as [Person, Person, Person, Person];
    const club = await carol.page.evaluate(
      (bob) => window.gridNode!.clubs.create('pair', { servers: [bob], quota: 4 * 1024 * 1024 }),
      bob.id,
    );
    assert.deepEqual(club.servers, [carol.id, bob.id]);
    await eventually(
      'Bob sees the club',
      () => bob.page.evaluate(() => window.gridNode!.clubs.list().map((c) => c.id)),
      (ids) => ids.includes(club.id),
    );
    // Bob serves only Dave by his own policy; his club membership admits Carol.
    await bob.page.evaluate((dave) => window.gridNode!.setPolicy(dave, 'allow'), dave.id);
    const uploadForClub = () =>
      carol.page.evaluate(async (id) => {
        try {
          const data = crypto.getRandomValues(new Uint8Array(60_000));
          return { ok: true as const, result: await window.gridNode!.files.upload(data, { club: id }) };
        } catch (error) {
          return { ok: false as const, message: String(error) };
        }
      }, club.id);
    const before = await uploadForClub();
    assert.equal(before.ok, false, 'before Bob joins, his allow list refuses Carol');
    assert.match(!before.ok ? before.message : '', /does not serve you/, JSON.stringify(before));
    await bob.page.evaluate((id) => window.gridNode!.clubs.join(id), club.id);
    const after = await uploadForClub();
    assert.ok(after.ok, JSON.stringify(after));
    assert.deepEqual([...after.result.servers].sort(), [bob.id, carol.id].sort(), 'only roster servers');
    const atBob = await bob.page.evaluate(
      (id) => window.gridNode!.storage.clients().find((c) => c.id === id),
      carol.id,
    );
    assert.ok(atBob && atBob.bytes > 0, JSON.stringify(atBob));
    const quota = await carol.page.evaluate(
      async (bob) => (await window.gridNode!.storage.remote(bob as never)!.version()).available,
      bob.id,
    );
    assert.ok(quota <= 4 * 1024 * 1024 - atBob.bytes, `the club's quota applies at Bob: ${quota}`);
  });
});
