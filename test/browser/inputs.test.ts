// Inputs checked where they enter (SECURITY-REVIEW finding 12): what the review typed into a real
// GridNode (real IndexedDB) is refused with a message a person can read, nothing of it is persisted, and
// the node goes on announcing.
import { GridNode, InvalidInputError } from '../../src/node.ts';
import { openStore } from '../../src/store/index.ts';
import { check, equal, waitFor } from './assert.ts';

const relays = ['ws://127.0.0.1:9'];
let n = 0;
const fresh = () => `gridnode-inputs-${Date.now()}-${n++}`;

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

describe('GridNode inputs', () => {
  const started: GridNode[] = [];
  const open = async (dbName: string) => {
    const node = await GridNode.create({ relays, dbName });
    await node.start();
    started.push(node);
    return node;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
  });

  const ownSeqnum = (node: GridNode) => node.getPeers().find((p) => p.self)?.seqnum ?? 0;

  it('refuses a nickname of 40 “é” (80 bytes) and still announces', async () => {
    const node = await open(fresh());
    await node.createGrid('Inputs');
    await waitFor('the first announcement', () => ownSeqnum(node) > 0);
    const error = await refusal(node.setNickname('é'.repeat(40)));
    check(error instanceof InvalidInputError, `named error: ${error.name}`);
    check(/at most 64 bytes; this one takes 80/.test(error.message), error.message);
    equal(node.nickname, '');
    const before = ownSeqnum(node);
    await node.setNickname('é'.repeat(32)); // 64 bytes: allowed
    await waitFor('an announcement with the new nickname', () => ownSeqnum(node) > before);
    equal(node.nickname, 'é'.repeat(32));
  });

  it('refuses nicknames with bidi or control characters, and bad service names or parameters', async () => {
    const node = await open(fresh());
    await node.createGrid('Inputs');
    await waitFor('the first announcement', () => ownSeqnum(node) > 0);
    check(/text-direction/.test((await refusal(node.setNickname('alice\u202egnp.exe'))).message), 'bidi');
    check(/control/.test((await refusal(node.setNickname('a\u0007b'))).message), 'control');
    check(/lowercase word/.test((await refusal(node.publish('Storage'))).message), 'service name');
    const key = await refusal(node.publish('storage', { 'anonymous-storage-FURL': 'pb://x' }));
    check(/not a parameter name/.test(key.message), key.message);
    const before = ownSeqnum(node);
    await node.publish('storage', { 'anonymous-storage-furl': 'pb://x' });
    await waitFor('the next announcement goes out', () => ownSeqnum(node) > before);
  });

  it('refuses an empty relay list, and starts with its defaults when the stored list is garbled', async () => {
    const db = fresh();
    const node = await open(db);
    check(/at least one relay/.test((await refusal(node.setRelays([]))).message), 'empty list');
    check(/ws:\/\/ or wss:\/\//.test((await refusal(node.setRelays(['http://x']))).message), 'not ws');
    equal(node.relays().join(), relays.join());
    await node.stop();
    started.splice(0);
    for (const garbage of [[], 'ws://x', null, [42]]) {
      const store = await openStore(db);
      await store.setSetting('relays', garbage as never);
      await store.close();
      const again = await open(db);
      equal(again.relays().join(), relays.join(), `stored ${JSON.stringify(garbage)} is dropped`);
      await again.stop();
      started.splice(0);
    }
  });
});
