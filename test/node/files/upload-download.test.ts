import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  download,
  downloadStream,
  FileReadError,
  placeShares,
  shareCountsFor,
  upload,
  UploadUnhappyError,
  type UploadProgress,
} from '../../../src/files/index.ts';
import { MemoryStorage, type Behaviour } from './memory-storage.ts';
import { nodeCrypto } from './node-crypto.ts';

const crypto = nodeCrypto();
const bytes = (length: number, seed = 1): Uint8Array<ArrayBuffer> =>
  Uint8Array.from({ length }, (_, i) => (i * 131 + seed * 17) & 255);
const servers = (count: number, behaviour: (i: number) => Behaviour = () => ({})): MemoryStorage[] =>
  Array.from({ length: count }, (_, i) => new MemoryStorage(`v0-server${i}`, behaviour(i)));

describe('share counts for the servers in reach', () => {
  it("use Tahoe's 3/7/10 from ten servers, and the documented table below", () => {
    assert.deepEqual(shareCountsFor(12), { k: 3, happy: 7, n: 10 });
    assert.deepEqual(shareCountsFor(10), { k: 3, happy: 7, n: 10 });
    assert.deepEqual(shareCountsFor(7), { k: 2, happy: 5, n: 7 });
    assert.deepEqual(shareCountsFor(5), { k: 2, happy: 4, n: 5 });
    assert.deepEqual(shareCountsFor(3), { k: 2, happy: 2, n: 3 });
    assert.deepEqual(shareCountsFor(2), { k: 1, happy: 2, n: 2 });
    assert.deepEqual(shareCountsFor(1), { k: 1, happy: 1, n: 1 });
  });
});

describe('placement by servers of happiness', () => {
  const room = (ids: number, r = 10) =>
    Array.from({ length: ids }, (_, i) => ({ id: `s${i}`, room: r, has: [] }));

  it('spreads N shares over S servers, at most ⌈N/S⌉ each, earlier servers first', () => {
    const p = placeShares(room(4), 10, 4);
    assert.ok(p.ok);
    assert.equal(p.value.happiness, 4);
    const loads = [...p.value.toSend.values()].map((s) => s.length);
    assert.ok(Math.max(...loads) <= 3);
    assert.deepEqual([...p.value.toSend.keys()], ['s0', 's1', 's2', 's3']);
  });

  it('keeps shares where servers already hold them', () => {
    const p = placeShares([{ id: 'a', room: 5, has: [3] }, ...room(3)], 4, 4);
    assert.ok(p.ok);
    assert.equal(p.value.owner.get(3), 'a');
    assert.ok(!p.value.toSend.get('a')?.includes(3));
  });

  it('is unhappy, with a reason, when too few servers can take shares', () => {
    const p = placeShares([...room(2), { id: 'full', room: 0, has: [] }], 10, 7);
    assert.equal(p.ok, false);
    if (!p.ok) assert.match(p.reason, /^unhappy/);
    assert.equal(placeShares(room(3, 1), 10, 3).ok, false);
  });
});

describe('upload and download against storage servers', () => {
  it('round-trips a multi-segment Blob over ten servers with progress, one share each', async () => {
    const s = servers(10);
    const data = bytes(300_000);
    const progress: UploadProgress[] = [];
    const up = await upload(new Blob([data]), { servers: s, crypto, onProgress: (p) => progress.push(p) });
    assert.deepEqual([up.k, up.happy, up.n], [3, 7, 10]);
    assert.equal(up.servers.size, 10);
    for (const held of up.servers.values()) assert.equal(held.length, 1);
    assert.deepEqual(progress.at(-1), { phase: 'done', bytesSent: 300_000, size: 300_000 });
    assert.ok(progress.filter((p) => p.phase === 'sending').length >= 3);
    const seen: number[] = [];
    const got = await download(up.cap, { servers: s, crypto, onProgress: (done) => seen.push(done) });
    assert.deepEqual(got, data);
    assert.equal(seen.at(-1), 300_000);
    const chunks: Uint8Array[] = [];
    const reader = (await downloadStream(up.cap, { servers: s, crypto })).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    assert.ok(chunks.length >= 3);
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(data));
  });

  it('takes servers in the permuted order given for the storage index', async () => {
    const s = servers(3);
    const seen: Uint8Array[] = [];
    const up = await upload(bytes(9000), {
      servers: s,
      crypto,
      order: (si, list) => {
        seen.push(si);
        return [...list].reverse();
      },
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.length, 16);
    assert.deepEqual(up.servers.get('v0-server2'), [0]);
    assert.deepEqual(up.servers.get('v0-server0'), [2]);
  });

  it('reads from k servers only, the fastest first', async () => {
    const s = servers(5);
    const up = await upload(bytes(50_000), { servers: s, crypto });
    s[0]!.behaviour = { delayMs: 300 };
    s[1]!.behaviour = { delayMs: 300 };
    s.forEach((x) => (x.calls.length = 0));
    assert.deepEqual(await download(up.cap, { servers: s, crypto }), bytes(50_000));
    const readers = s.filter((x) => x.calls.includes('read')).map((x) => x.id);
    assert.deepEqual(readers.sort(), ['v0-server2', 'v0-server3'].sort().slice(0, readers.length));
    assert.equal(readers.length, up.k);
  });

  it('survives offline servers on both sides, and refusing ones at upload', async () => {
    const s = servers(7, (i) => (i === 0 ? { offline: true } : i === 1 ? { refuse: 'denied' } : {}));
    const up = await upload(bytes(80_000), { servers: s, crypto });
    assert.ok(!up.servers.has('v0-server0') && !up.servers.has('v0-server1'));
    assert.equal(s[0]!.heldShares() + s[1]!.heldShares(), 0);
    for (const x of s.slice(2, 5)) x.behaviour = { offline: true };
    assert.deepEqual(await download(up.cap, { servers: s, crypto }), bytes(80_000));
  });

  it('switches shares on corrupted bytes and advises the server', async () => {
    const s = servers(4);
    const up = await upload(bytes(20_000), { servers: s, crypto });
    const [bad] = [...up.servers].find(([, shares]) => shares.length > 0)!;
    const server = s.find((x) => x.id === bad)!;
    server.behaviour = { corrupt: [{ share: up.servers.get(bad)![0]!, at: 0x30 }] };
    assert.deepEqual(await download(up.cap, { servers: s, crypto }), bytes(20_000));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      server.advised.map((a) => a.reason),
      ['bad-block'],
    );
  });

  it('fails plainly when too few servers can take the file, leaving nothing allocated', async () => {
    const s = servers(10, (i) => (i < 5 ? { offline: true } : i < 8 ? { refuse: 'quota' } : {}));
    await assert.rejects(upload(bytes(10_000), { servers: s, crypto }), (e: unknown) => {
      assert.ok(e instanceof UploadUnhappyError);
      // Five in reach (the offline five are not; the three refusing are): the table's 2/4/5, and only two
      // servers can take shares.
      assert.match(e.message, /unhappy.*happy=4, N=5/);
      assert.match(e.message, /v0-server4: v0-server4 is offline; v0-server5: refused/);
      return true;
    });
    for (const x of s) assert.equal(x.open.size + x.heldShares(), 0);
  });

  it('drops a server that fails mid-upload and goes on while happiness holds', async () => {
    const s = servers(6, (i) => (i === 2 ? { failWritesAfter: 2 } : {}));
    const up = await upload(bytes(200_000), { servers: s, crypto, maxSegmentSize: 40_000 });
    assert.ok(!up.servers.has('v0-server2'));
    assert.equal(s[2]!.open.size + s[2]!.heldShares(), 0);
    assert.deepEqual(await download(up.cap, { servers: s, crypto }), bytes(200_000));
  });

  it('deduplicates with a convergence secret, and LIT caps need no server', async () => {
    const s = servers(3);
    const a = await upload(bytes(5000), { servers: s, crypto, convergence: new Uint8Array(16) });
    const b = await upload(bytes(5000), { servers: s, crypto, convergence: new Uint8Array(16) });
    assert.equal(a.cap, b.cap);
    assert.equal(
      s.reduce((sum, x) => sum + x.heldShares(), 0),
      3,
    );
    const lit = await upload(bytes(40), { servers: [], crypto });
    assert.match(lit.cap, /^URI:LIT:/);
    assert.deepEqual(await download(lit.cap, { servers: [] }), bytes(40));
  });

  it('says why when a file cannot be read', async () => {
    const s = servers(3);
    const up = await upload(bytes(9000), { servers: s, crypto });
    for (const x of s.slice(1)) x.behaviour = { offline: true };
    await assert.rejects(download(up.cap, { servers: s, crypto }), (e: unknown) => {
      assert.ok(e instanceof FileReadError);
      assert.match(e.reason, /^not-enough-shares: \d of 2/);
      return true;
    });
    await assert.rejects(download('URI:CHK:nonsense', { servers: s }), FileReadError);
  });
});
