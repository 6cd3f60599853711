// The storage server's state machine and accounting, against the rules at the top of storage-server.ts.
import { strict as assert } from 'node:assert';
import { beforeEach, describe, it } from 'node:test';
import type { Batch } from '../../../src/services/share-store.ts';
import { type Outcome, StorageServer } from '../../../src/services/storage-server.ts';

const A = 'v0-alice';
const B = 'v0-bob';
const C = 'v0-carol';
const SI = new Uint8Array(16).fill(7);
const SI2 = new Uint8Array(16).fill(9);
const SECRET = new Uint8Array(32).fill(1);
const OTHER_SECRET = new Uint8Array(32).fill(2);
const LEASE = 10_000;
const ABANDON = 500;

let now: number;
let members: Set<string>;
let denied: Set<string>;
let server: StorageServer;
/** The chunks committed so far, as a store would hold them. */
let chunks: Map<string, Uint8Array>;

function fresh(offer = 1_000_000) {
  now = 1000;
  members = new Set([A, B, C]);
  denied = new Set();
  chunks = new Map();
  server = new StorageServer((id) => members.has(id) && !denied.has(id), {
    maxShareSize: 300_000,
    leaseMs: LEASE,
    abandonAfterMs: ABANDON,
    defaultOfferBytes: offer,
  });
}

function apply(batch: Batch): void {
  for (const d of batch.deleteShares ?? [])
    for (const key of [...chunks.keys()]) if (key.startsWith(`${d.si}/${d.share}/`)) chunks.delete(key);
  for (const c of batch.chunks ?? []) chunks.set(`${c.si}/${c.share}/${c.index}`, c.bytes);
  server.apply(batch);
}

function ok<T>(outcome: Outcome<T>, what = ''): T {
  if (!outcome.ok) assert.fail(`${what} refused: ${outcome.code} (${outcome.message})`);
  apply(outcome.batch);
  return outcome.value;
}

function code(outcome: { ok: boolean; code?: unknown }): string {
  assert.equal(outcome.ok, false, 'refused');
  return (outcome as { code: string }).code;
}

function write(
  caller: string,
  share: number,
  offset: number,
  bytes: Uint8Array,
  si = SI,
): Outcome<undefined> {
  const plan = server.planWrite(caller, now, si, share, offset, bytes.length);
  if (!plan.ok) return plan;
  const stored = [];
  for (let i = plan.first; i <= plan.last; i++) stored.push(chunks.get(`${plan.record.si}/${share}/${i}`));
  return server.write(caller, now, si, share, offset, bytes, stored);
}

function read(caller: string, share: number, offset: number, length: number): Uint8Array | string {
  const plan = server.planRead(caller, now, SI, share, offset, length);
  if (!plan.ok) return plan.code;
  const out = new Uint8Array(plan.length);
  for (let i = 0; i < plan.length; i++) {
    const at = plan.offset + i;
    out[i] = chunks.get(`${plan.si}/${share}/${Math.floor(at / 65536)}`)![at % 65536]!;
  }
  return out;
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 255);

/** Allocates, writes and closes shares of `size` bytes for `caller`. */
function store(caller: string, shares: number[], size: number, si = SI): void {
  const { allocated } = ok(server.allocate(caller, now, si, shares, size, SECRET));
  assert.deepEqual(allocated, shares);
  for (const s of shares) {
    ok(write(caller, s, 0, bytes(size, s), si));
    ok(server.close(caller, now, si, s));
  }
}

describe('StorageServer', () => {
  beforeEach(() => fresh());

  it('allocates, and allocating again with the same secret and size is the same allocation', () => {
    assert.deepEqual(ok(server.allocate(A, now, SI, [0, 1, 2], 100, SECRET)), {
      alreadyHave: [],
      allocated: [0, 1, 2],
    });
    const usage = server.usageOf(A, now);
    assert.deepEqual(ok(server.allocate(A, now, SI, [0, 1, 2], 100, SECRET)), {
      alreadyHave: [],
      allocated: [0, 1, 2],
    });
    assert.deepEqual(server.usageOf(A, now), usage, 'no second charge');
    assert.equal(usage.bytes, 300, 'allocated-but-unfinished shares count in full');
    assert.deepEqual(ok(server.allocate(A, now, SI, [0], 100, OTHER_SECRET)), {
      alreadyHave: [],
      allocated: [],
    });
    assert.deepEqual(
      ok(server.allocate(B, now, SI, [1], 100, SECRET)),
      { alreadyHave: [], allocated: [] },
      "another's upload",
    );
  });

  it('answers alreadyHave for complete shares, and leases them to the caller', () => {
    store(A, [0, 1], 100);
    assert.deepEqual(ok(server.allocate(B, now, SI, [0, 1, 2], 100, OTHER_SECRET)), {
      alreadyHave: [0, 1],
      allocated: [2],
    });
    assert.equal(server.usageOf(B, now).bytes, 300, 'two leased, one unfinished');
  });

  it('writes in any order, refuses to close an incomplete share, and reads back clipped at the end', () => {
    const size = 200_000;
    const data = bytes(size, 5);
    ok(server.allocate(A, now, SI, [3], size, SECRET));
    ok(write(A, 3, 100_000, data.subarray(100_000)));
    assert.equal(code(server.close(A, now, SI, 3)), 'bad-request', 'not all bytes written');
    assert.deepEqual(ok(server.list(A, now, SI)), [], 'an unfinished share is not listed');
    assert.equal(read(A, 3, 0, 10), 'not-found', 'nor read');
    ok(write(A, 3, 0, data.subarray(0, 100_000)));
    ok(server.close(A, now, SI, 3));
    ok(server.close(A, now, SI, 3));
    assert.deepEqual(ok(server.list(B, now, SI)), [3]);
    assert.deepEqual(read(B, 3, 65_000, 2000), data.subarray(65_000, 67_000), 'across a chunk boundary');
    assert.deepEqual(read(B, 3, size - 10, 100), data.subarray(size - 10), 'clipped at the end');
    assert.deepEqual(read(B, 3, size + 10, 100), new Uint8Array(0));
    assert.equal(code(write(A, 3, 0, data.subarray(0, 1))), 'not-found', 'a complete share takes no writes');
    assert.deepEqual(server.share(SI, 3)?.leases, { [A]: now + LEASE }, 'the uploader leases it for leaseMs');
  });

  it('takes the same bytes again but calls different bytes over written ones a conflict', () => {
    ok(server.allocate(A, now, SI, [0], 1000, SECRET));
    ok(write(A, 0, 0, bytes(600)));
    ok(write(A, 0, 100, bytes(600).subarray(100, 300)), 'the same bytes again');
    const changed = bytes(600).subarray(500, 900).slice();
    changed[50] = changed[50]! ^ 1;
    assert.equal(code(write(A, 0, 500, changed)), 'conflict');
    assert.deepEqual(server.share(SI, 0)?.written, [[0, 600]], 'a conflicting write changes nothing');
    ok(write(A, 0, 600, bytes(1000).subarray(600)));
    assert.equal(code(write(A, 0, 990, bytes(20))), 'bad-request', 'past the end');
    assert.equal(code(write(B, 0, 0, bytes(1))), 'not-found', 'only the uploader writes');
    ok(server.close(A, now, SI, 0));
  });

  it("refuses an allocation past the caller's quota, and version says what is left", () => {
    apply(server.setQuota(A, 1500, now));
    assert.equal(code(server.allocate(A, now, SI, [0, 1], 1000, SECRET)), 'quota');
    assert.equal(server.usageOf(A, now).bytes, 0, 'all or nothing');
    ok(server.allocate(A, now, SI, [0], 1000, SECRET));
    assert.deepEqual(ok(server.version(A, now)), { maxShareSize: 300_000, available: 500 });
    assert.equal(ok(server.version(B, now)).available, 1_000_000 - 1000, 'others: only the offer');
    apply(server.setQuota(A, undefined, now));
    ok(server.allocate(A, now, SI, [1], 1000, SECRET));
    assert.equal(code(server.allocate(A, now, SI, [2], 300_001, SECRET)), 'too-large');
  });

  it('refuses an allocation past the node-wide offer, counting unfinished shares in full', () => {
    fresh(2500);
    ok(server.allocate(A, now, SI, [0, 1], 1000, SECRET));
    assert.equal(code(server.allocate(B, now, SI2, [0], 1000, SECRET)), 'full');
    assert.equal(ok(server.version(B, now)).available, 500);
    apply(server.setOffer(4000));
    ok(server.allocate(B, now, SI2, [0], 1000, SECRET));
    assert.equal(server.used(), 3000);
  });

  it('charges every leaseholder the full share size, and frees a share when its last lease goes', () => {
    store(A, [0], 1000);
    ok(server.addLease(B, now, SI));
    assert.equal(server.usageOf(A, now).bytes, 1000);
    assert.equal(server.usageOf(B, now).bytes, 1000, 'not pro-rated');
    assert.equal(server.used(), 1000, 'the node counts the share once');
    apply(server.setQuota(C, 999, now));
    assert.equal(code(server.addLease(C, now, SI)), 'quota', 'a lease is charged against the quota');
    assert.equal(code(server.addLease(C, now, SI2)), 'not-found');
    ok(server.cancelLease(A, now, SI));
    assert.deepEqual(ok(server.list(A, now, SI)), [0], 'B still holds it');
    assert.equal(code(server.cancelLease(A, now, SI)), 'not-found');
    ok(server.cancelLease(B, now, SI));
    assert.deepEqual(ok(server.list(A, now, SI)), []);
    assert.equal(server.used(), 0);
  });

  it('lets leases expire after leaseMs (31 days by default) unless renewed', () => {
    assert.equal(new StorageServer(() => true).config.leaseMs, 31 * 24 * 3600_000);
    store(A, [0], 100);
    store(B, [0], 100, SI2);
    now += LEASE - 1;
    ok(server.addLease(B, now, SI2));
    now += 2;
    assert.equal(server.usageOf(A, now).bytes, 0, 'an expired lease is not charged');
    apply(server.tick(now));
    assert.deepEqual(ok(server.list(C, now, SI)), [], "A's share, lease expired, is freed");
    assert.deepEqual(ok(server.list(C, now, SI2)), [0], "B's renewed one stays");
  });

  it('frees an upload that stopped half way after abandonAfterMs, and on abort', () => {
    ok(server.allocate(A, now, SI, [0, 1], 1000, SECRET));
    ok(write(A, 0, 0, bytes(400)));
    now += ABANDON - 1;
    ok(write(A, 1, 0, bytes(10)), 'a write keeps share 1 alive');
    apply(server.tick(now));
    assert.ok(server.share(SI, 0), 'not yet');
    now += 1;
    apply(server.tick(now));
    assert.equal(server.share(SI, 0), undefined, 'share 0 freed');
    assert.ok(server.share(SI, 1), 'share 1 was touched later');
    assert.equal(code(server.abort(B, now, SI, 1)), 'not-found', 'only its uploader aborts it');
    ok(server.abort(A, now, SI, 1));
    assert.equal(server.usageOf(A, now).bytes, 0);
    assert.equal(chunks.size, 0, 'no bytes left behind');
  });

  it('refuses a denied, revoked or non-member caller before any work, and a change applies at once', () => {
    store(A, [0], 100);
    const before = structuredClone(server.share(SI, 0));
    denied.add(B);
    const refusals = [
      server.version(B, now),
      server.allocate(B, now, SI2, [0], 10, SECRET),
      server.planWrite(B, now, SI, 0, 0, 1),
      server.close(B, now, SI, 0),
      server.abort(B, now, SI, 0),
      server.list(B, now, SI),
      server.planRead(B, now, SI, 0, 0, 10),
      server.addLease(B, now, SI),
      server.cancelLease(B, now, SI),
      server.adviseCorrupt(B, now, SI, 0, 'bad'),
      server.allocate('v0-stranger', now, SI2, [0], 10, SECRET),
    ];
    for (const r of refusals) assert.equal(code(r), 'denied');
    assert.deepEqual(
      server.clientsUsage(now).map((c) => c.id),
      [A],
      'nothing recorded of them',
    );
    assert.deepEqual(server.share(SI, 0), before);
    denied.delete(B);
    assert.deepEqual(ok(server.list(B, now, SI)), [0], 'allowed again: the next request is served');
    members.delete(A);
    assert.equal(code(server.addLease(A, now, SI)), 'denied', 'a revoked member is refused');
  });

  it('deletes what a client stored when the owner asks, keeping shares others lease', () => {
    store(A, [0, 1], 100);
    ok(server.addLease(B, now, SI));
    store(A, [0], 100, SI2);
    ok(server.allocate(A, now, SI2, [5], 100, SECRET));
    apply(server.deleteClient(A, now));
    assert.equal(server.usageOf(A, now).bytes, 0);
    assert.deepEqual(ok(server.list(B, now, SI)), [0, 1], "B's leases keep SI's shares");
    assert.deepEqual(ok(server.list(B, now, SI2)), []);
    assert.equal(server.share(SI2, 5), undefined);
    assert.equal(server.used(), 200);
  });

  it('records and counts advice of corruption, bounded per share', () => {
    store(A, [0], 100);
    for (let i = 0; i < 20; i++) ok(server.adviseCorrupt(B, now + i, SI, 0, `bad block ${i}`));
    const reports = server.share(SI, 0)!.corrupt;
    assert.equal(reports.length, 16);
    assert.deepEqual(reports.at(-1), { by: B, reason: 'bad block 19', at: now + 19 });
    assert.equal(server.corruptReports, 20);
    assert.equal(code(server.adviseCorrupt(B, now, SI, 9, 'x')), 'not-found');
  });

  it('reports each client: bytes, shares, leases, last use and quota', () => {
    store(A, [0, 1], 100);
    now += 50;
    ok(server.list(B, now, SI));
    apply(server.setQuota(C, 5000, now));
    assert.deepEqual(server.clientsUsage(now), [
      { id: A, bytes: 200, shares: 2, leases: 2, lastUsedAt: 1000, quota: undefined },
      { id: B, bytes: 0, shares: 0, leases: 0, lastUsedAt: 1050, quota: undefined },
      { id: C, bytes: 0, shares: 0, leases: 0, lastUsedAt: 1050, quota: 5000 },
    ]);
  });
});
