// The files service in Node: four members' storage services linked in a full mesh by in-memory channels
// (the real server, handler, client and channel code; real browsers run the same in
// test/node/e2e/files.test.ts), each with a FilesService choosing servers the way GridNode does.
import { strict as assert } from 'node:assert';
import { afterEach, describe, it } from 'node:test';
import { permutedOrder } from '../../../src/core/permute.ts';
import type { NodeId } from '../../../src/core/identity.ts';
import { FilesError, FilesService } from '../../../src/services/files-service.ts';
import type { FileProgress } from '../../../src/services/files-types.ts';
import { MemoryFileList } from '../../../src/services/file-list.ts';
import { MemoryShareStore } from '../../../src/services/share-store.ts';
import { StorageService } from '../../../src/services/storage-service.ts';
import type { ServiceHost } from '../../../src/services/types.ts';
import { nodeCrypto } from '../files/node-crypto.ts';
import { memoryPair } from './memory-channel.ts';

const GRID = 'ab'.repeat(32);
const NAMES = ['alice', 'bob', 'carol', 'dave'];
const encoder = new TextEncoder();
const bytes = (n: number, seed = 1) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed + (i >> 9)) & 255);

interface Member {
  id: NodeId;
  denied: Set<string>;
  storage: StorageService;
  files: FilesService;
  list: MemoryFileList;
  /** Members this one is linked with. */
  linked: Set<NodeId>;
  counts: Map<string, number>;
}

const live: Member[] = [];

async function member(id: NodeId, everyone: () => Member[], list = new MemoryFileList()): Promise<Member> {
  const denied = new Set<string>();
  const counts = new Map<string, number>();
  const host: ServiceHost = {
    self: id,
    mayUse: (peer) => peer === id || !denied.has(peer),
    now: () => Date.now(),
    count: (counter, by = 1) => void counts.set(counter, (counts.get(counter) ?? 0) + by),
  };
  const storage = await StorageService.create(host, {
    store: new MemoryShareStore(),
    storageManager: undefined,
  });
  const ids = () => everyone().map((m) => m.id);
  const permuted = (si: Uint8Array) => {
    const all = ids();
    return permutedOrder(
      si,
      all.map((x) => encoder.encode(x)),
    ).map((i) => all[i]!);
  };
  const files = await FilesService.create(host, {
    storage,
    list,
    offering: ids,
    permuted,
    grid: () => GRID,
    crypto: nodeCrypto(),
  });
  const m: Member = { id, denied, storage, files, list, linked: new Set(), counts };
  live.push(m);
  return m;
}

function link(a: Member, b: Member): void {
  const [ca, cb] = memoryPair();
  a.storage.linkUp({ peer: b.id, channel: () => ca });
  b.storage.linkUp({ peer: a.id, channel: () => cb });
  a.linked.add(b.id);
  b.linked.add(a.id);
}

function leave(m: Member, all: Member[]): void {
  for (const other of all) {
    if (!other.linked.delete(m.id)) continue;
    other.storage.linkDown(m.id);
    m.storage.linkDown(other.id);
    m.linked.delete(other.id);
  }
}

async function grid(): Promise<Member[]> {
  const all: Member[] = [];
  for (const name of NAMES) all.push(await member(`v0-${name}` as NodeId, () => all));
  for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) link(all[i]!, all[j]!);
  return all;
}

describe('FilesService', () => {
  afterEach(async () => {
    for (const m of live.splice(0)) await m.storage.stop();
  });

  it('spreads a file over all four members, lists it, and another member downloads the same bytes', async () => {
    const [alice, bob, carol, dave] = (await grid()) as [Member, Member, Member, Member];
    const data = bytes(300 * 1024 + 7);
    const events: FileProgress[] = [];
    alice.files.addEventListener('progress', (e) => events.push((e as CustomEvent<FileProgress>).detail));
    const result = await alice.files.upload(data, { name: 'photo.jpg' });
    assert.match(result.cap, /^URI:CHK:/);
    // Four servers in reach: the table's 2-of-4 with happiness 3, one share on each member.
    assert.deepEqual([result.k, result.happy, result.n, result.size], [2, 3, 4, data.length]);
    assert.deepEqual([...result.servers].sort(), [alice, bob, carol, dave].map((m) => m.id).sort());
    assert.ok(Object.values(result.shares).every((s) => s.length === 1));
    // Progress: placing, sending up to the size, done, all under one id.
    assert.equal(new Set(events.map((e) => e.id)).size, 1);
    assert.equal(events[0]!.phase, 'placing');
    assert.deepEqual(events.at(-1), {
      id: events[0]!.id,
      direction: 'upload',
      name: 'photo.jpg',
      done: data.length,
      total: data.length,
      phase: 'done',
    });
    const [listed] = alice.files.list();
    assert.equal(listed?.cap, result.cap);
    assert.equal(listed?.name, 'photo.jpg');
    assert.deepEqual((await alice.list.load(GRID)).entries.length, 1, 'kept in the list store');
    // Carol sees Alice's bytes among her clients.
    const mine = carol.storage.clients().find((c) => c.id === alice.id);
    assert.ok(mine && mine.shares === 1 && mine.bytes > data.length / 2, JSON.stringify(mine));
    // Alice's own server holds her share too, charged to her.
    assert.equal(alice.storage.clients().find((c) => c.id === alice.id)?.shares, 1);
    assert.deepEqual(await dave.files.download(result.cap), data);
    assert.deepEqual(alice.files.reachability(result.cap)?.reachable, 4);
    const located = await dave.files.locate(result.cap);
    assert.equal(located.reachable, 4);
    assert.equal(bob.files.list().length, 0, 'the list is what this node uploaded');
  });

  it('still downloads once the uploader has left, and says so clearly when too few shares are in reach', async () => {
    const all = await grid();
    const [alice, bob, carol, dave] = all as [Member, Member, Member, Member];
    const data = bytes(200_000, 5);
    const { cap } = await alice.files.upload(data);
    leave(alice, all);
    assert.deepEqual(await bob.files.download(cap), data, 'two of the three other shares suffice');
    leave(carol, all);
    leave(dave, all);
    assert.equal((await bob.files.locate(cap)).reachable, 1);
    const events: FileProgress[] = [];
    bob.files.addEventListener('progress', (e) => events.push((e as CustomEvent<FileProgress>).detail));
    const stream = await bob.files.downloadStream(cap).catch((e: unknown) => e);
    if (stream instanceof ReadableStream) {
      await assert.rejects(new Response(stream).arrayBuffer(), /not enough shares/);
    } else assert.ok(stream instanceof FilesError);
    assert.equal(events.at(-1)?.phase, 'failed', 'a failed stream says so in its progress');
    await assert.rejects(bob.files.download(cap), (e: unknown) => {
      assert.ok(e instanceof FilesError);
      assert.match(e.message, /not enough shares of this file are in reach/);
      return true;
    });
    // Reachability of a listed file follows links.
    assert.equal(alice.files.reachability(cap)?.reachable, 1, 'only its own share is in reach of Alice');
  });

  it('a member who denies an uploader holds none of its shares: the upload lands elsewhere', async () => {
    const [, , carol, dave] = (await grid()) as [Member, Member, Member, Member];
    carol.denied.add(dave.id);
    const before = carol.storage.usage().used;
    const result = await dave.files.upload(bytes(150_000, 9), { name: 'x' });
    assert.ok(!result.servers.includes(carol.id), JSON.stringify(result));
    assert.equal(carol.storage.usage().used, before);
    assert.equal(
      carol.storage.clients().find((c) => c.id === dave.id),
      undefined,
    );
    assert.deepEqual(await carol.files.download(result.cap), bytes(150_000, 9), 'she may still read it');
  });

  it('an upload for a storage club places shares only on its roster', async () => {
    const all = await grid();
    const [alice, bob, carol, dave] = all as [Member, Member, Member, Member];
    const forClub = await FilesService.create(
      { self: alice.id, mayUse: () => true, now: () => Date.now(), count: () => {} },
      {
        storage: alice.storage,
        list: new MemoryFileList(),
        offering: () => all.map((m) => m.id),
        permuted: () => all.map((m) => m.id),
        grid: () => GRID,
        crypto: nodeCrypto(),
        roster: (club) => {
          if (club !== 'pair') throw new Error(`no member announces the club “${club}”`);
          return [alice.id, bob.id];
        },
      },
    );
    const result = await forClub.upload(bytes(90_000, 4), { club: 'pair' });
    assert.deepEqual([...result.servers].sort(), [alice.id, bob.id].sort());
    assert.equal([result.k, result.n].join('/'), '1/2', 'the table for two servers');
    for (const m of [carol, dave]) assert.equal(m.storage.usage().used, 0);
    await assert.rejects(forClub.upload(bytes(90_000), { club: 'nope' }), /no member announces the club/);
  });

  it('fails with a clear message when too few servers take the file, and lists nothing', async () => {
    const all = await grid();
    const [alice, bob, carol, dave] = all as [Member, Member, Member, Member];
    for (const m of [bob, carol, dave]) m.denied.add(alice.id);
    const events: FileProgress[] = [];
    alice.files.addEventListener('progress', (e) => events.push((e as CustomEvent<FileProgress>).detail));
    await assert.rejects(alice.files.upload(bytes(100_000)), (e: unknown) => {
      assert.ok(e instanceof FilesError);
      assert.match(e.message, /^upload failed: .*happ/);
      return true;
    });
    assert.equal(events.at(-1)?.phase, 'failed');
    assert.equal(alice.files.list().length, 0);
    assert.equal(alice.storage.usage().used, 0, 'its own allocation was aborted');
  });

  it('keeps small files in the cap, convergent keys give the same cap, and the list survives a restart', async () => {
    const list = new MemoryFileList();
    const all: Member[] = [];
    const alice = await member('v0-alice' as NodeId, () => all, list);
    all.push(alice, await member('v0-bob' as NodeId, () => all));
    link(all[0]!, all[1]!);
    const tiny = encoder.encode('hello, grid');
    const lit = await alice.files.upload(tiny, { name: 'hi.txt' });
    assert.match(lit.cap, /^URI:LIT:/);
    assert.deepEqual(lit.servers, []);
    assert.deepEqual(await all[1]!.files.download(lit.cap), tiny);
    assert.deepEqual(alice.files.reachability(lit.cap), { k: 1, n: 1, reachable: 1, servers: [] });
    const data = bytes(70_000, 3);
    const one = await alice.files.upload(data, { convergent: true });
    const two = await alice.files.upload(data, { convergent: true });
    const three = await alice.files.upload(data);
    assert.equal(one.cap, two.cap, 'convergent: the same cap');
    assert.notEqual(one.cap, three.cap, 'random keys by default');
    assert.equal(alice.files.list().length, 3, 'the same cap is listed once');
    // A damaged record is dropped and counted on the way back in, not thrown.
    list.putRaw(GRID, 'URI:CHK:junk', { cap: 'URI:CHK:junk', size: -1 });
    list.putRaw(GRID, 'null', null);
    const again = await FilesService.create(
      {
        self: alice.id,
        mayUse: () => true,
        now: () => 0,
        count: (c, by = 1) => void alice.counts.set(c, by),
      },
      { storage: alice.storage, list, offering: () => [], permuted: () => [], grid: () => GRID },
    );
    assert.deepEqual(
      again.list().map((e) => e.cap),
      alice.files.list().map((e) => e.cap),
    );
    assert.equal(alice.counts.get('files.dropped-records'), 2);
  });

  it('refuses what is not a file or a cap, with a clear error', async () => {
    const [alice] = (await grid()) as [Member];
    for (const bad of [
      '',
      'URI:CHK:',
      'https://example.org',
      'URI:CHK:aaaa:bbbb:1:2:3',
      '\u202eURI:LIT:aa',
    ]) {
      await assert.rejects(alice.files.download(bad), FilesError);
      await assert.rejects(alice.files.locate(bad), FilesError);
    }
    await assert.rejects(alice.files.upload('text' as never), /Uint8Array or a Blob/);
    assert.equal(alice.files.reachability('URI:CHK:nope'), undefined);
  });
});
