// The storage service end to end in Node: two services linked by an in-memory channel pair, a client
// storing and reading shares through the real server, handler and an in-memory share store.
import { strict as assert } from 'node:assert';
import { afterEach, describe, it } from 'node:test';
import type { NodeId } from '../../../src/core/identity.ts';
import { MemoryShareStore, storeRefusal } from '../../../src/services/share-store.ts';
import { StorageService } from '../../../src/services/storage-service.ts';
import { type ServiceHost, StorageError } from '../../../src/services/types.ts';
import { memoryPair } from './memory-channel.ts';

const A = 'v0-alice' as NodeId;
const B = 'v0-bob' as NodeId;
const SI = new Uint8Array(16).fill(3);
const SECRET = new Uint8Array(32).fill(4);

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

function host(self: NodeId, denied = new Set<string>()) {
  const counts = new Map<string, number>();
  const h: ServiceHost & { denied: Set<string>; counts: Map<string, number> } = {
    self,
    denied,
    counts,
    mayUse: (peer) => !denied.has(peer),
    now: () => Date.now(),
    count: (counter, by = 1) => void counts.set(counter, (counts.get(counter) ?? 0) + by),
  };
  return h;
}

const live: StorageService[] = [];

async function linked(storeB = new MemoryShareStore()) {
  const hostA = host(A);
  const hostB = host(B);
  const a = await StorageService.create(hostA, { store: new MemoryShareStore(), storageManager: undefined });
  const b = await StorageService.create(hostB, { store: storeB, storageManager: undefined });
  live.push(a, b);
  const [ca, cb] = memoryPair();
  a.linkUp({ peer: B, channel: () => ca });
  b.linkUp({ peer: A, channel: () => cb });
  return { a, b, hostA, hostB, storeB, remote: a.remote(B)! };
}

async function rejectsWith(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (e: unknown) => e instanceof StorageError && e.code === code);
}

describe('StorageService', () => {
  afterEach(async () => {
    for (const s of live.splice(0)) await s.stop();
  });

  it('stores shares from a client and reads them back, a 3 MiB share split into 1 MiB requests', async () => {
    const { b, remote, storeB } = await linked();
    const size = 3 * 1024 * 1024 + 17;
    const data = bytes(size);
    const version = await remote.version();
    assert.equal(version.available, 1024 ** 3);
    assert.deepEqual(await remote.allocate(SI, [0, 2], size, SECRET), { alreadyHave: [], allocated: [0, 2] });
    await remote.write(SI, 0, 0, data);
    await remote.write(SI, 2, 0, data.subarray(0, 10));
    await remote.close(SI, 0);
    await rejectsWith(remote.close(SI, 2), 'bad-request');
    await remote.abort(SI, 2);
    assert.deepEqual(await remote.list(SI), [0]);
    assert.deepEqual(await remote.read(SI, 0, 0, size), data);
    assert.deepEqual(await remote.read(SI, 0, size - 5, 100), data.subarray(size - 5));
    assert.equal(storeB.bytes, size, 'the store holds exactly the share');
    assert.deepEqual(
      b.clients().map(({ id, bytes, shares }) => ({ id, bytes, shares })),
      [{ id: A, bytes: size, shares: 1 }],
    );
    assert.deepEqual(b.usage(), { offered: 1024 ** 3, used: size, free: 1024 ** 3 - size });
    assert.equal(b.params()['available-space'], String(1024 ** 3 - size));
  });

  it('keeps shares in its store across a restart', async () => {
    const { remote, storeB } = await linked();
    await remote.allocate(SI, [1], 100, SECRET);
    await remote.write(SI, 1, 0, bytes(100));
    await remote.close(SI, 1);
    const again = await linked(storeB);
    assert.deepEqual(await again.remote.read(SI, 1, 0, 100), bytes(100));
    assert.deepEqual(await again.remote.allocate(SI, [1], 100, SECRET), { alreadyHave: [1], allocated: [] });
  });

  it('refuses a denied client with denied and stores nothing; the next request after allow is served', async () => {
    const { b, hostB, remote, storeB } = await linked();
    hostB.denied.add(A);
    b.policyChanged();
    await rejectsWith(remote.version(), 'denied');
    await rejectsWith(remote.allocate(SI, [0], 100, SECRET), 'denied');
    await rejectsWith(remote.write(SI, 0, 0, bytes(100)), 'denied');
    assert.equal(storeB.bytes, 0);
    assert.equal(storeB.commits, 0, 'no transaction at all');
    assert.deepEqual(b.clients(), []);
    hostB.denied.delete(A);
    assert.deepEqual(await remote.allocate(SI, [0], 100, SECRET), { alreadyHave: [], allocated: [0] });
  });

  it('turns a full disk into a full refusal and frees the half-written share', async () => {
    const { b, remote, storeB } = await linked(new MemoryShareStore(150_000));
    await remote.allocate(SI, [0], 300_000, SECRET);
    await remote.write(SI, 0, 0, bytes(100_000));
    await rejectsWith(remote.write(SI, 0, 100_000, bytes(100_000)), 'full');
    assert.equal(storeB.bytes, 0, 'nothing of the share is left');
    assert.equal(b.usage().used, 0);
    await rejectsWith(remote.write(SI, 0, 0, bytes(10)), 'not-found');
  });

  it('applies quotas, offers and deletions from the owner', async () => {
    const { b, remote } = await linked();
    await b.setQuota(A, 250);
    await rejectsWith(remote.allocate(SI, [0, 1, 2], 100, SECRET), 'quota');
    await remote.allocate(SI, [0, 1], 100, SECRET);
    assert.equal((await remote.version()).available, 50);
    await b.setOffer(150);
    assert.deepEqual(b.usage(), { offered: 150, used: 200, free: 0 });
    assert.equal((await remote.version()).available, 0);
    await b.deleteClient(A);
    assert.equal(b.usage().used, 0);
    assert.deepEqual(b.clients(), [
      { id: A, bytes: 0, shares: 0, leases: 0, lastUsedAt: b.clients()[0]!.lastUsedAt, quota: 250 },
    ]);
    await assert.rejects(b.setOffer(-1), { name: 'OfferError' });
  });

  it('never offers more than the browser estimate allows, and asks for persistence when offering', async () => {
    let asked = 0;
    const manager = {
      estimate: async () => ({ quota: 10_000, usage: 4000 }),
      persisted: async () => false,
      persist: async () => (asked++, true),
    };
    const s = await StorageService.create(host(B), {
      store: new MemoryShareStore(),
      storageManager: manager,
    });
    live.push(s);
    assert.equal(s.offerLimit, 6000);
    assert.equal(s.persisted, true);
    await s.setOffer(1e9);
    assert.equal(s.usage().offered, 6000);
    assert.ok(asked >= 1);
  });

  it('no longer has a remote once the link is down, and rejects what was in flight with closed', async () => {
    const { a, remote } = await linked();
    const pending = remote.version();
    a.linkDown(B);
    await rejectsWith(pending, 'closed');
    assert.equal(a.remote(B), undefined);
  });

  it("answers a caller's requests past maxPerCaller with busy, without doing them", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const inner = new MemoryShareStore();
    const slow = Object.assign(Object.create(inner) as MemoryShareStore, {
      commit: async (batch: Parameters<MemoryShareStore['commit']>[0]) => (await gate, inner.commit(batch)),
    });
    const a = await StorageService.create(host(A), {
      store: new MemoryShareStore(),
      storageManager: undefined,
    });
    const b = await StorageService.create(host(B), {
      store: slow,
      storageManager: undefined,
      maxPerCaller: 2,
    });
    live.push(a, b);
    const [ca, cb] = memoryPair();
    a.linkUp({ peer: B, channel: () => ca });
    b.linkUp({ peer: A, channel: () => cb });
    const remote = a.remote(B)!;
    const first = remote.allocate(SI, [0], 10, SECRET);
    const second = remote.allocate(SI, [1], 10, SECRET);
    await rejectsWith(remote.allocate(SI, [2], 10, SECRET), 'busy');
    open();
    await Promise.all([first, second]);
    assert.deepEqual(
      b.clients().map((c) => c.shares),
      [2],
      'the refused one was not done',
    );
  });

  it('classifies quota and disk-full errors of a storage engine as full', () => {
    assert.equal(storeRefusal(new DOMException('x', 'QuotaExceededError'))?.ok, false);
    assert.deepEqual(storeRefusal(new DOMException('x', 'AbortError')), {
      ok: false,
      code: 'full',
      message: 'x',
    });
    assert.equal(storeRefusal(new TypeError('x')), undefined);
  });
});
