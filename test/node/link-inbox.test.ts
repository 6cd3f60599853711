// Issue 12: each link's messages are verified in their own line, so a slow link never holds up another's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeId } from '../../src/core/index.ts';
import { LinkInbox } from '../../src/node/link-inbox.ts';

const later = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('LinkInbox', () => {
  it("keeps each link's order, lets a fast link pass a slow one, and bounds a link's backlog", async () => {
    let refused = 0;
    const inbox = new LinkInbox(() => refused++, 4);
    const delivered: string[] = [];
    const slow = 'slow' as NodeId;
    const fast = 'fast' as NodeId;
    for (let i = 0; i < 6; i++)
      inbox.push(
        slow,
        () => later(30).then(() => `slow ${i}`),
        (v) => delivered.push(v),
      );
    inbox.push(
      fast,
      async () => 'fast 0',
      (v) => delivered.push(v),
    );
    await later(10);
    assert.deepEqual(delivered, ['fast 0'], 'the fast link is not behind the slow one');
    assert.equal(refused, 2, 'the slow link holds at most 4 waiting');
    await later(200);
    assert.deepEqual(delivered.slice(1), ['slow 0', 'slow 1', 'slow 2', 'slow 3'], "the slow link's order");
    assert.equal(inbox.busyLinks, 0, 'nothing left waiting');
  });
});
