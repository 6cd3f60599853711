import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HELD, OriginIndex, type Origins, SharedOrigins, WANTED } from '../../../src/core/origins.ts';
import { type NodeId, type Tag, tagOf } from '../../../src/core/identity.ts';
import { DeadlineQueue, Wants } from '../../../src/core/wants.ts';

const id = (name: string) => name as NodeId;

/** Tags from a small key space, so that adds, finds and releases keep meeting the same origins. */
const tagFrom = (n: number): Tag => {
  const bytes = new Uint8Array(8);
  // Few distinct first bytes: many tags share probe neighbourhoods, which deletion must keep findable.
  bytes[0] = n % 3;
  bytes[7] = n;
  return tagOf(bytes);
};

/** Checks origin indices made by `make` against a model, under any order of adds and releases. */
function behavesAsAMap(make: () => Origins): void {
  const op = fc.record({ add: fc.boolean(), n: fc.integer({ min: 0, max: 60 }), wanted: fc.boolean() });
  fc.assert(
    fc.property(fc.array(op, { minLength: 100, maxLength: 400 }), (ops) => {
      const index = make();
      const model = new Map<Tag, { i: number; holders: number }>();
      for (const { add, n, wanted } of ops) {
        const tag = tagFrom(n);
        const holder = wanted ? WANTED : HELD;
        const known = model.get(tag);
        if (add) {
          const i = index.add(tag, holder);
          if (known) {
            assert.equal(i, known.i, 'an origin keeps its index while held');
            known.holders |= holder;
          } else {
            for (const other of model.values()) assert.notEqual(other.i, i, 'indices are distinct');
            model.set(tag, { i, holders: holder });
          }
        } else if (known) {
          index.release(known.i, holder);
          known.holders &= ~holder;
          if (known.holders === 0) model.delete(tag);
        }
        assert.equal(index.count, model.size);
        for (let m = 0; m <= 60; m++) {
          const t = tagFrom(m);
          assert.equal(index.find(t), model.get(t)?.i ?? -1);
        }
        for (const [t, { i }] of model) {
          assert.equal(index.tagOf(i), t);
          assert.ok(i < index.bound);
        }
      }
    }),
    { numRuns: 200 },
  );
}

describe('origin indices (origins.ts)', () => {
  it('behave as a map from tag to index, with holders, under any order of adds and releases', () => {
    behavesAsAMap(() => new OriginIndex());
  });

  it('drawn from a shared numbering, behave the same for each node, whatever the others hold', () => {
    const numbering = new OriginIndex();
    const other = new SharedOrigins(numbering);
    // Another node holds some tags of the same space: this node's view must not see them.
    for (let n = 0; n < 60; n += 3) other.add(tagFrom(n), HELD);
    behavesAsAMap(() => new SharedOrigins(numbering));
    for (let n = 0; n <= 60; n++)
      assert.equal(
        other.find(tagFrom(n)) >= 0,
        n % 3 === 0 && n < 60,
        'the other node still holds what it held',
      );
    assert.equal(other.count, 20);
  });
});

describe('want rows (wants.ts)', () => {
  it('keep up to 8 advertisers in the order heard, and a row queued anew voids its older deadline', () => {
    const wants = new Wants();
    const row = wants.add(5, 1, 7, -1, 100, wants.peer(id('a')));
    for (const name of ['b', 'c', 'd']) wants.pushSource(row, wants.peer(id(name)));
    assert.equal(wants.shiftSource(row), wants.peer(id('b')));
    for (const name of ['e', 'f', 'g', 'h', 'i', 'j']) wants.pushSource(row, wants.peer(id(name)));
    const ids: NodeId[] = [];
    wants.sourceIds(row, ids);
    assert.deepEqual(ids, ['c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    assert.ok(wants.hasSource(row, wants.peer(id('j'))) && !wants.hasSource(row, wants.peer(id('b'))));

    const queue: DeadlineQueue = wants.askQueue;
    wants.queue(row, false);
    wants.deadline[row] = 200;
    wants.queue(row, false);
    assert.equal(queue.peek(wants), row);
    assert.equal(queue.headDeadline, 200, 'the first queueing is void');
    wants.remove(row);
    assert.equal(queue.peek(wants), -1, 'a removed row has nothing queued');
    assert.equal(wants.rowFor(5), -1);
  });
});
