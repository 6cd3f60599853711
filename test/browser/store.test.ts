// The IndexedDB store, in Chromium: identity, counters, batched writes, upgrades and failure handling.
import { deleteDB, openDB } from 'idb';
import type { IDBPDatabase } from 'idb';
import { nodeIdString } from '../../src/core/identity.ts';
import type { NodeId } from '../../src/core/identity.ts';
import { nobleSigner, webCryptoVerifier } from '../../src/crypto/ed25519.ts';
import {
  DB_VERSION,
  MAX_ENVELOPE_BYTES,
  openFileList,
  openShareStore,
  openStore,
} from '../../src/store/index.ts';
import type { GridNodeDB, IdentityRecord } from '../../src/store/index.ts';
import { check, within } from './assert.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds (timers on a loaded 2-core machine may run late). */
async function until(what: string, condition: () => boolean): Promise<void> {
  await within(
    5000,
    what,
    (async () => {
      while (!condition()) await sleep(10);
    })(),
  );
}
const bytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined) =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
const randomNodeId = (): NodeId => nodeIdString(bytes(32));
const GRID = 'ab'.repeat(32);
const OTHER_GRID = 'cd'.repeat(32);

/** Runs `body` with a fresh database name, and deletes that database afterwards. */
async function withDb(body: (name: string) => Promise<void>): Promise<void> {
  const name = `store-test-${crypto.randomUUID()}`;
  try {
    await body(name);
  } finally {
    // Open handles close themselves on the delete's versionchange, so this cannot hang on a failed test.
    await within(5000, 'deleteDB', deleteDB(name));
  }
}

async function rawRecord(name: string): Promise<IdentityRecord | undefined> {
  const db = await openDB<GridNodeDB>(name);
  try {
    return await db.get('identity', 'node');
  } finally {
    db.close();
  }
}

describe('store: identity', () => {
  it('is created once and reused after reopening; a signature made after reopening verifies', () =>
    withDb(async (name) => {
      const first = await openStore(name);
      const a = await first.loadOrCreateIdentity();
      const again = await first.loadOrCreateIdentity();
      await first.close();
      check(a.kind === 'webcrypto', `Chromium has WebCrypto Ed25519, got ${a.kind}`);
      check(sameBytes(a.publicKey, again.publicKey), 'second call on the same handle returns the same key');

      const second = await openStore(name);
      const b = await second.loadOrCreateIdentity();
      await second.close();
      check(b.publicKey.length === 32, 'raw public key is 32 bytes');
      check(sameBytes(a.publicKey, b.publicKey), 'same public key after reopening');
      check(sameBytes(b.signer.publicKey, a.publicKey), 'the signer signs for that key');

      const message = new TextEncoder().encode('gridnode/announcement/v1\n…');
      const signature = await b.signer.sign(message);
      check(await webCryptoVerifier.verify(a.publicKey, message, signature), 'signature verifies');
      message[0]! ^= 1;
      check(!(await webCryptoVerifier.verify(a.publicKey, message, signature)), 'tampered message fails');
    }));

  it('stores the WebCrypto private key non-extractable', () =>
    withDb(async (name) => {
      const store = await openStore(name);
      await store.loadOrCreateIdentity();
      await store.close();
      const record = await rawRecord(name);
      check(record?.kind === 'webcrypto', 'a WebCrypto record is stored');
      check(record.keyPair.privateKey instanceof CryptoKey, 'the stored private key is a CryptoKey');
      check(record.keyPair.privateKey.extractable === false, 'private key is not extractable');
      let exported = true;
      await crypto.subtle.exportKey('pkcs8', record.keyPair.privateKey).catch(() => (exported = false));
      check(!exported, 'exporting the private key fails');
    }));

  it('falls back to a noble key that survives reopening and verifies on WebCrypto', () =>
    withDb(async (name) => {
      const first = await openStore(name, { keyEngine: 'noble' });
      const a = await first.loadOrCreateIdentity();
      await first.close();
      // The engine option only matters for a new key: a plain reopen finds the noble one.
      const second = await openStore(name);
      const b = await second.loadOrCreateIdentity();
      await second.close();
      check(a.kind === 'noble' && b.kind === 'noble', `noble key kept, got ${a.kind}, ${b.kind}`);
      check(sameBytes(a.publicKey, b.publicKey), 'same public key after reopening');
      const message = bytes(100);
      check(await webCryptoVerifier.verify(a.publicKey, message, await b.signer.sign(message)), 'verifies');
    }));

  it('ends with one identity when two handles create it concurrently', () =>
    withDb(async (name) => {
      const [s1, s2] = await Promise.all([openStore(name), openStore(name)]);
      const [a, b] = await Promise.all([s1.loadOrCreateIdentity(), s2.loadOrCreateIdentity()]);
      const later = await s1.loadOrCreateIdentity();
      await Promise.all([s1.close(), s2.close()]);
      check(sameBytes(a.publicKey, b.publicKey), 'both handles got the same key');
      check(sameBytes(a.publicKey, later.publicKey), 'and it is the stored one');
      check(sameBytes((await rawRecord(name))?.publicKey, a.publicKey), 'the stored record is that key');
    }));
});

describe('store: counters', () => {
  it('saves and loads per grid, never lowers, and survives reopening', () =>
    withDb(async (name) => {
      const store = await openStore(name);
      check((await store.loadCounter(GRID)) === 0, 'a new grid starts at 0');
      await store.saveCounter(GRID, 5);
      check((await store.loadCounter(GRID)) === 5, 'saved 5');
      await store.saveCounter(GRID, 3);
      check((await store.loadCounter(GRID)) === 5, 'a lower save does not lower the counter');
      await Promise.all([store.saveCounter(GRID, 9), store.saveCounter(GRID, 7)]);
      check((await store.loadCounter(GRID)) === 9, 'concurrent saves end at the maximum');
      await store.saveCounter(OTHER_GRID, 1);
      check((await store.loadCounter(GRID)) === 9, 'grids have separate counters');
      let threw = false;
      await store.saveCounter(GRID, -1).catch(() => (threw = true));
      check(threw, 'a negative seqnum is refused');
      await store.close();

      const reopened = await openStore(name);
      check((await reopened.loadCounter(GRID)) === 9, 'counter survives reopening');
      check((await reopened.loadCounter(OTHER_GRID)) === 1, 'other grid survives reopening');
      await reopened.close();
    }));
});

describe('store: batched writes', () => {
  it('writes 1000 queued announcements in one or two transactions', () =>
    withDb(async (name) => {
      const store = await openStore(name);
      const written = new Map<NodeId, Uint8Array>();
      for (let i = 0; i < 1000; i++) {
        const id = randomNodeId();
        const envelope = bytes(200);
        written.set(id, envelope);
        check(store.queueAnnouncement(GRID, id, envelope, 1000 + i), 'queued');
      }
      await store.flush();
      const stats = store.stats();
      check(stats.recordsWritten === 1000, `1000 records written, got ${stats.recordsWritten}`);
      check(stats.batches >= 1 && stats.batches <= 2, `one or two transactions, got ${stats.batches}`);
      check(stats.queued === 0, 'nothing left queued');
      await store.close();

      const reopened = await openStore(name);
      const loaded = await reopened.loadAnnouncements(GRID);
      await reopened.close();
      check(loaded.length === 1000, `1000 loaded, got ${loaded.length}`);
      check(
        loaded.every((a) => sameBytes(a.envelope, written.get(a.nodeId))),
        'every envelope loads byte for byte',
      );
    }));

  it('writes on its own after batchDelayMs, in one transaction', () =>
    withDb(async (name) => {
      const store = await openStore(name, { batchDelayMs: 50 });
      for (let i = 0; i < 3; i++) store.queueAnnouncement(GRID, randomNodeId(), bytes(10), i);
      store.queuePeerHistory(GRID, randomNodeId(), {
        lastConnectedAt: 1,
        lastFailureAt: undefined,
        failuresInRow: 0,
        uptimeMs: 10,
        rttMs: 40,
      });
      check(store.stats().batches === 0 && store.stats().queued === 4, 'held before the delay');
      await until('the timer writes', () => store.stats().batches > 0);
      const stats = store.stats();
      check(
        stats.batches === 1 && stats.recordsWritten === 4,
        `one batch of 4, got ${JSON.stringify(stats)}`,
      );
      await store.close();
    }));

  it('writes once maxBatch records are queued, without waiting for the delay', () =>
    withDb(async (name) => {
      const store = await openStore(name, { batchDelayMs: 60_000, maxBatch: 10 });
      for (let i = 0; i < 10; i++) store.queueAnnouncement(GRID, randomNodeId(), bytes(10), i);
      await until('a full batch is written', () => store.stats().batches > 0);
      check(store.stats().recordsWritten === 10, 'all ten written');
      await store.close();
    }));

  it('keeps the later of two writes to one key, and a forget cancels a queued put', () =>
    withDb(async (name) => {
      const store = await openStore(name);
      const replaced = randomNodeId();
      const forgotten = randomNodeId();
      const stored = randomNodeId();
      const newer = bytes(30);
      store.queueAnnouncement(GRID, replaced, bytes(30), 1);
      store.queueAnnouncement(GRID, replaced, newer, 2);
      store.queueAnnouncement(GRID, forgotten, bytes(30), 1);
      store.queuePeerHistory(GRID, forgotten, {
        lastConnectedAt: 5,
        lastFailureAt: 6,
        failuresInRow: 1,
        uptimeMs: 0,
        rttMs: undefined,
        connectedSince: 5,
      });
      store.queueForget(GRID, forgotten);
      store.queueAnnouncement(GRID, stored, bytes(30), 1);
      await store.flush();
      check(
        store.stats().recordsWritten === 4,
        `4 records (2 puts, 2 deletes), got ${store.stats().recordsWritten}`,
      );

      let loaded = await store.loadAnnouncements(GRID);
      check(loaded.length === 2, `two announcements held, got ${loaded.length}`);
      const held = loaded.find((a) => a.nodeId === replaced);
      check(held && sameBytes(held.envelope, newer) && held.receivedAt === 2, 'the later write won');
      check(!loaded.some((a) => a.nodeId === forgotten), 'the forgotten put was cancelled');
      check(!(await store.loadPeerHistory(GRID)).has(forgotten), 'and so was its history');

      // A forget after a write already committed deletes it.
      store.queueForget(GRID, stored);
      await store.flush();
      loaded = await store.loadAnnouncements(GRID);
      check(loaded.length === 1 && loaded[0]?.nodeId === replaced, 'the stored announcement was deleted');
      await store.close();
    }));

  it('loads see queued writes before they are flushed', () =>
    withDb(async (name) => {
      const store = await openStore(name, { batchDelayMs: 60_000 });
      const kept = randomNodeId();
      const dropped = randomNodeId();
      store.queueAnnouncement(GRID, kept, bytes(10), 1);
      store.queueAnnouncement(GRID, dropped, bytes(10), 1);
      await store.flush();
      store.queueForget(GRID, dropped);
      const queued = randomNodeId();
      store.queueAnnouncement(GRID, queued, bytes(10), 2);
      store.queueAnnouncement(OTHER_GRID, randomNodeId(), bytes(10), 2);
      const ids = (await store.loadAnnouncements(GRID)).map((a) => a.nodeId).sort();
      check(ids.join() === [kept, queued].sort().join(), `queued put and forget applied, got ${ids.join()}`);
      check(store.stats().batches === 1, 'loading did not write');
      await store.close();
    }));

  it('refuses and counts an oversized envelope, and accepts one at the limit', () =>
    withDb(async (name) => {
      const store = await openStore(name);
      const big = randomNodeId();
      const limit = randomNodeId();
      check(!store.queueAnnouncement(GRID, big, new Uint8Array(MAX_ENVELOPE_BYTES + 1), 1), 'refused');
      check(store.queueAnnouncement(GRID, limit, new Uint8Array(MAX_ENVELOPE_BYTES), 1), 'accepted');
      await store.flush();
      check(store.stats().refused['oversized-envelope'] === 1, 'counted');
      const ids = (await store.loadAnnouncements(GRID)).map((a) => a.nodeId);
      check(ids.length === 1 && ids[0] === limit, 'only the one at the limit is stored');
      await store.close();
      check(!store.queueAnnouncement(GRID, big, bytes(10), 1), 'refused after close');
      check(store.stats().refused.closed === 1, 'counted as closed');
    }));

  it('stores only the bytes of a view, not the whole buffer behind it', () =>
    withDb(async (name) => {
      const store = await openStore(name);
      const message = bytes(4096);
      const id = randomNodeId();
      store.queueAnnouncement(GRID, id, message.subarray(100, 164), 1);
      await store.close();
      const db = await openDB<GridNodeDB>(name);
      const record = await db.get('announcements', [GRID, id]);
      db.close();
      check(
        record?.envelope.buffer.byteLength === 64,
        `64-byte buffer, got ${record?.envelope.buffer.byteLength}`,
      );
      check(sameBytes(record.envelope, message.subarray(100, 164)), 'the right bytes');
    }));

  it('never throws from the timer: a failed batch is counted, kept and retried', () =>
    withDb(async (name) => {
      const unhandled: unknown[] = [];
      const onUnhandled = (event: PromiseRejectionEvent) => {
        unhandled.push(event.reason);
        event.preventDefault();
      };
      addEventListener('unhandledrejection', onUnhandled);
      const store = await openStore(name, { batchDelayMs: 20 });
      // Reach inside to break the connection under the store, as a browser shutting IndexedDB down would.
      // The batches are written by its write queue (write-queue.ts), which holds the same connection.
      const internals = store as unknown as {
        db: IDBPDatabase<GridNodeDB>;
        queue: { db: IDBPDatabase<GridNodeDB> };
      };
      internals.db.close();
      const id = randomNodeId();
      store.queueAnnouncement(GRID, id, bytes(10), 1);
      await until('the timer tries to write', () => store.stats().writeFailures > 0);
      await sleep(50); // unhandledrejection is dispatched a task later
      let stats = store.stats();
      check(stats.writeFailures >= 1, `failure counted, got ${JSON.stringify(stats)}`);
      check(stats.queued === 1 && stats.batches === 0, 'the batch is kept');
      check(stats.lastError !== undefined, 'the error is recorded');
      removeEventListener('unhandledrejection', onUnhandled);
      check(unhandled.length === 0, `nothing thrown from the timer, got ${String(unhandled[0])}`);
      let threw = false;
      await store.flush().catch(() => (threw = true));
      check(threw, 'an explicit flush reports the failure');

      internals.db = internals.queue.db = await openDB<GridNodeDB>(name);
      await until('the retry', () => store.stats().batches > 0);
      stats = store.stats();
      check(stats.queued === 0 && stats.recordsWritten === 1, 'the kept batch was written by a retry');
      const loaded = await store.loadAnnouncements(GRID);
      check(loaded.length === 1 && loaded[0]?.nodeId === id, 'and is stored');
      await store.close();
    }));

  it('writes its queue and steps aside when another tab upgrades the schema', () =>
    withDb(async (name) => {
      const store = await openStore(name, { batchDelayMs: 60_000 });
      const id = randomNodeId();
      store.queueAnnouncement(GRID, id, bytes(10), 1);
      const newer = await within(
        5000,
        'the upgrade is not blocked',
        openDB<GridNodeDB>(name, DB_VERSION + 1),
      );
      const record = await newer.get('announcements', [GRID, id]);
      newer.close();
      check(record !== undefined, 'the queued announcement was written before closing');
      check(!store.queueAnnouncement(GRID, id, bytes(10), 2), 'the old handle refuses new writes');
    }));
});

describe('store: persistence and schema', () => {
  it('keeps everything across close and reopen; close flushes the queue', () =>
    withDb(async (name) => {
      const store = await openStore(name, { batchDelayMs: 60_000 });
      const identity = await store.loadOrCreateIdentity();
      await store.saveCounter(GRID, 42);
      const peer = randomNodeId();
      const envelope = bytes(500);
      store.queueAnnouncement(GRID, peer, envelope, 1234);
      store.queuePeerHistory(GRID, peer, {
        lastConnectedAt: 100,
        lastFailureAt: 90,
        failuresInRow: 0,
        uptimeMs: 5000,
        rttMs: 33.5,
        connectedSince: 100,
      });
      await store.putGrid(GRID, {
        name: 'test grid',
        joinedAt: 7,
        relays: ['wss://relay.example'],
        data: { a: 1 },
      });
      await store.setSetting('nickname', 'alice');
      await store.setSetting('ui', { theme: 'dark', panes: [1, 2] });
      check(store.stats().batches === 0, 'nothing written before close');
      await store.close();

      const reopened = await openStore(name);
      check(sameBytes((await reopened.loadOrCreateIdentity()).publicKey, identity.publicKey), 'identity');
      check((await reopened.loadCounter(GRID)) === 42, 'counter');
      const [announcement] = await reopened.loadAnnouncements(GRID);
      check(
        announcement?.nodeId === peer &&
          announcement.receivedAt === 1234 &&
          sameBytes(announcement.envelope, envelope),
        'announcement',
      );
      const history = (await reopened.loadPeerHistory(GRID)).get(peer);
      check(
        JSON.stringify(history) ===
          JSON.stringify({
            lastConnectedAt: 100,
            lastFailureAt: 90,
            failuresInRow: 0,
            uptimeMs: 5000,
            rttMs: 33.5,
          }),
        `peer history without connectedSince, got ${JSON.stringify(history)}`,
      );
      check(history !== undefined && !('connectedSince' in history), 'connectedSince is not stored');
      const grid = await reopened.getGrid(GRID);
      check(grid?.name === 'test grid' && grid.relays[0] === 'wss://relay.example', 'grid');
      check((await reopened.listGrids()).size === 1, 'one grid listed');
      check((await reopened.getSetting('nickname')) === 'alice', 'string setting');
      check(
        JSON.stringify(await reopened.getSetting('ui')) === '{"theme":"dark","panes":[1,2]}',
        'object setting',
      );
      await reopened.deleteSetting('nickname');
      check((await reopened.getSetting('nickname')) === undefined, 'setting deleted');
      await reopened.close();
    }));

  it('leaving a grid drops its data but keeps its counter', () =>
    withDb(async (name) => {
      const store = await openStore(name);
      await store.putGrid(GRID, { name: 'a', joinedAt: 1, relays: [] });
      await store.saveCounter(GRID, 10);
      const other = randomNodeId();
      store.queueAnnouncement(GRID, randomNodeId(), bytes(10), 1);
      store.queueAnnouncement(OTHER_GRID, other, bytes(10), 1);
      await store.flush();
      store.queueAnnouncement(GRID, randomNodeId(), bytes(10), 2);
      await store.deleteGrid(GRID);
      await store.flush();
      check((await store.getGrid(GRID)) === undefined, 'membership gone');
      check((await store.loadAnnouncements(GRID)).length === 0, 'stored and queued announcements gone');
      check((await store.loadCounter(GRID)) === 10, 'counter kept');
      const rest = await store.loadAnnouncements(OTHER_GRID);
      check(rest.length === 1 && rest[0]?.nodeId === other, 'other grid untouched');
      await store.close();
    }));

  it('upgrades a version 1 database and keeps its data', () =>
    withDb(async (name) => {
      check(DB_VERSION === 6, 'this test builds the v1 layout; extend it when adding a version');
      // The v1 layout, by hand: identity, counters and announcements only.
      const secretKey = bytes(32);
      const v1 = await openDB(name, 1, {
        upgrade(db) {
          db.createObjectStore('identity');
          db.createObjectStore('counters');
          db.createObjectStore('announcements');
        },
      });
      const publicKey = nobleSigner(secretKey).publicKey;
      const peer = randomNodeId();
      const envelope = bytes(64);
      await v1.put('identity', { kind: 'noble', secretKey, publicKey, createdAt: 1 }, 'node');
      await v1.put('counters', 17, GRID);
      await v1.put('announcements', { envelope, receivedAt: 99 }, [GRID, peer]);
      v1.close();

      const store = await openStore(name);
      const identity = await store.loadOrCreateIdentity();
      check(identity.kind === 'noble' && sameBytes(identity.publicKey, publicKey), 'identity kept');
      check((await store.loadCounter(GRID)) === 17, 'counter kept');
      const [announcement] = await store.loadAnnouncements(GRID);
      check(announcement?.nodeId === peer && sameBytes(announcement.envelope, envelope), 'announcement kept');
      // The v2 stores exist and work.
      store.queuePeerHistory(GRID, peer, {
        lastConnectedAt: 1,
        lastFailureAt: undefined,
        failuresInRow: 0,
        uptimeMs: 0,
        rttMs: undefined,
      });
      await store.flush();
      await store.putGrid(GRID, { name: 'g', joinedAt: 1, relays: [] });
      await store.setSetting('k', true);
      check((await store.loadPeerHistory(GRID)).size === 1, 'peers store works');
      check((await store.getSetting('k')) === true, 'settings store works');
      // The v3 store exists and works.
      store.queueForget(GRID, peer, { seqnum: 5, until: 1_000 });
      await store.flush();
      const floors = await store.loadFloors(GRID);
      check(floors.get(peer)?.seqnum === 5 && floors.get(peer)?.until === 1_000, 'floors store works');
      check((await store.loadPeerHistory(GRID)).size === 0, 'forgetting drops the history');
      // The v5 stores (revocations, grid secrets) exist and work.
      await store.membership.saveRevocation(GRID, 'ab'.repeat(8), bytes(8));
      check((await store.membership.loadRevocations(GRID)).length === 1, 'revocations store works');
      await store.membership.putGridSecret(GRID, bytes(32), 1);
      check((await store.membership.getGridSecret(GRID))?.length === 32, 'gridSecrets store works');
      await store.close();
      // The v4 stores (the storage server's) exist and work.
      const shares = await openShareStore(name);
      const chunk = bytes(10);
      check((await shares.commit({ chunks: [{ si: 'ab', share: 1, index: 0, bytes: chunk }] })).ok, 'commit');
      const [read] = await shares.readChunks('ab', 1, 0, 0);
      check(read !== undefined && sameBytes(read, chunk), 'shareChunks store works');
      shares.close();
      // The v6 store (the files list) exists and works; a garbled record is dropped, not thrown.
      const files = await openFileList(name);
      const entry = {
        cap: 'URI:LIT:nbswy3dp',
        name: 'a',
        size: 5,
        k: 1,
        n: 1,
        happy: 1,
        uploadedAt: 3,
        shares: {},
      };
      await files.put(GRID, entry);
      const raw = await openDB(name, DB_VERSION);
      await raw.put('files', { cap: 7 }, [GRID, 'URI:CHK:garbled']);
      raw.close();
      const loaded = await files.load(GRID);
      check(loaded.entries.length === 1 && loaded.entries[0]?.cap === entry.cap, 'files store works');
      check(loaded.dropped === 1, 'a garbled file record is dropped and counted');
      check((await files.convergence()).length === 32, 'a convergence secret is made');
      check(sameBytes(await files.convergence(), await files.convergence()), 'and kept');
    }));

  it('refuses malformed keys loudly', () =>
    withDb(async (name) => {
      const store = await openStore(name);
      let threw = 0;
      for (const bad of ['', 'AB'.repeat(32), 'ab'.repeat(31), GRID + '00'])
        await store.loadCounter(bad).catch(() => threw++);
      check(threw === 4, `every bad grid id refused, ${threw}/4`);
      let queueThrew = false;
      try {
        store.queueAnnouncement(GRID, 'not-an-id' as NodeId, bytes(1), 1);
      } catch {
        queueThrew = true;
      }
      check(queueThrew && store.stats().queued === 0, 'a bad node id is refused');
      await store.close();
    }));
});
