// Stored records checked on the way back in (SECURITY-REVIEW finding 12), in Chromium with real
// IndexedDB: what the review wrote into the database (null records, garbled counters, settings and grid
// records) is dropped and reported, start-up goes on, and a damaged identity is refused, never replaced.
import { deleteDB, openDB } from 'idb';
import type { IDBPDatabase } from 'idb';
import { nodeIdString } from '../../src/core/identity.ts';
import { GridNode, IdentityDamagedError } from '../../src/node.ts';
import { DB_VERSION, openStore } from '../../src/store/index.ts';
import type { GridNodeDB } from '../../src/store/index.ts';
import { check, equal, waitFor } from './assert.ts';

const relays = ['ws://127.0.0.1:9'];
const GRID = 'ab'.repeat(32);
let n = 0;
const fresh = () => `gridnode-records-${Date.now()}-${n++}`;
const someId = () => nodeIdString(crypto.getRandomValues(new Uint8Array(32)));

/** Writes raw values behind the store's back, as another script of the origin (or a bug) could. */
async function raw(name: string, write: (db: IDBPDatabase<GridNodeDB>) => Promise<unknown>): Promise<void> {
  const db = await openDB<GridNodeDB>(name, DB_VERSION);
  try {
    await write(db);
  } finally {
    db.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

describe('stored records read back', () => {
  const names: string[] = [];
  const dbName = () => {
    const name = fresh();
    names.push(name);
    return name;
  };
  afterEach(async () => {
    for (const name of names.splice(0)) await deleteDB(name);
  });

  it('drops null and garbled announcement, floor, history and counter records, and counts them', async () => {
    const name = dbName();
    const store = await openStore(name);
    const good = someId();
    store.queueAnnouncement(GRID, good, new Uint8Array([1, 2, 3]), 5);
    await store.flush();
    await store.close();
    await raw(name, async (db) => {
      await db.put('announcements', null as never, [GRID, someId()]);
      await db.put('announcements', { envelope: 'x', receivedAt: 1 } as never, [GRID, someId()]);
      await db.put('floors', null as never, [GRID, someId()]);
      await db.put('floors', { seqnum: 1.5, until: 9 } as never, [GRID, someId()]);
      await db.put('peers', null as never, [GRID, someId()]);
      await db.put('counters', 2 ** 53 - 1, GRID);
    });
    const again = await openStore(name);
    const announcements = await again.loadAnnouncements(GRID);
    equal(announcements.map((a) => a.nodeId).join(), good, 'only the good announcement');
    equal((await again.loadFloors(GRID)).size, 0);
    equal((await again.loadPeerHistory(GRID)).size, 0);
    equal(await again.loadCounter(GRID), 0, 'a counter that could never sign again is not believed');
    await again.saveCounter(GRID, 1);
    equal(await again.loadCounter(GRID), 1, 'and the node can sign again');
    equal(
      JSON.stringify(again.stats().garbled),
      JSON.stringify({ announcement: 2, floor: 2, 'peer-history': 1, counter: 1 }),
    );
    await again.close();
  });

  it('refuses to start with a damaged identity, and never replaces it', async () => {
    const name = dbName();
    const first = await openStore(name);
    const { publicKey } = await first.loadOrCreateIdentity();
    await first.close();
    for (const damage of [
      (r: Record<string, unknown>) => ({ ...r, keyPair: null }),
      (r: Record<string, unknown>) => ({ ...r, publicKey: new Uint8Array(5) }),
      () => null,
      () => 'garbage',
    ]) {
      let before: unknown;
      await raw(name, async (db) => {
        before = await db.get('identity', 'node');
        await db.put('identity', damage(before as Record<string, unknown>) as never, 'node');
      });
      const error = await refusal(GridNode.create({ relays, dbName: name }));
      check(error instanceof IdentityDamagedError, `named error: ${error.name}: ${error.message}`);
      check(/will not replace it/.test(error.message), error.message);
      // Still the damaged record: nothing made a new identity behind the person's back.
      await raw(name, async (db) => {
        const now = await db.get('identity', 'node');
        check(
          JSON.stringify(now) === JSON.stringify(damage(before as Record<string, unknown>)),
          'not replaced',
        );
        await db.put('identity', before as never, 'node');
      });
    }
    // Restored, the same identity starts again.
    const node = await GridNode.create({ relays, dbName: name });
    equal(node.id, nodeIdString(publicKey));
    await node.stop();
  });

  it('starts past garbled settings and grid records, says so, and still announces', async () => {
    const name = dbName();
    const node = await GridNode.create({ relays, dbName: name });
    await node.start();
    await node.createGrid('Records');
    const grid = node.grid!.id;
    await waitFor('the first announcement', () => (node.getPeers().find((p) => p.self)?.seqnum ?? 0) > 0);
    await node.stop();
    await raw(name, async (db) => {
      await db.put('settings', 'é'.repeat(40), 'nickname');
      await db.put('settings', { Storage: {}, ok: { Bad: 'x' }, ping: {} }, `services:${grid}`);
      await db.put('settings', 'garbage', 'policy');
      await db.put('settings', [null], 'iceServers');
      await db.put('grids', null as never, 'cd'.repeat(32));
      await db.put(
        'grids',
        { name: 'x', relays: [], data: { membership: null, gridSecret: 'zz' } } as never,
        'ef'.repeat(32),
      );
    });
    const again = await GridNode.create({ relays, dbName: name });
    const activity: string[] = [];
    again.addEventListener('activity', (e) => activity.push(String((e as CustomEvent).detail.reason ?? '')));
    await again.start();
    equal(again.grid?.id, grid, 'the good grid is still active');
    equal(again.nickname, '', 'an 80-byte nickname is not believed');
    const grids = await again.grids();
    equal(grids.length, 1, 'the garbled grid records are left out');
    const before = again.getPeers().find((p) => p.self)?.seqnum ?? 0;
    await again.setNickname('after');
    await waitFor('announcements go on', () => (again.getPeers().find((p) => p.self)?.seqnum ?? 0) > before);
    const services = Object.keys(again.getPeers().find((p) => p.self)?.services ?? {});
    equal(services.join(), 'ping', 'the bad services are dropped, the good one kept');
    const garbled = again.stats()?.store?.garbled ?? {};
    check((garbled['setting:nickname'] ?? 0) >= 1, JSON.stringify(garbled));
    check((garbled['setting:services'] ?? 0) >= 2, JSON.stringify(garbled));
    check((garbled['setting:policy'] ?? 0) >= 1, JSON.stringify(garbled));
    check((garbled['setting:iceServers'] ?? 0) >= 1, JSON.stringify(garbled));
    check((garbled.grid ?? 0) >= 1, JSON.stringify(garbled));
    check(
      activity.some((line) => /damaged stored record/.test(line)),
      activity.join(' | '),
    );
    await again.stop();
  });
});
