// src/net/mesh-room.ts: which attempts fit under maxLinks, slots held for a newcomer, and when a full node
// makes room. Pure, on a given clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeId } from '../../src/core/identity.ts';
import { Room } from '../../src/net/mesh-room.ts';
import { attemptOrder } from '../../src/net/mesh.ts';
import { rule } from './rules.ts';

const options = { maxLinks: 3, targetLinks: 2, evictEveryMs: 2_000, reserveMs: 5_000 };
const ids = (...names: string[]) => new Map(names.map((n) => [n as NodeId, true]));
const newcomer = 'newcomer' as NodeId;
const other = 'other' as NodeId;

describe('mesh room', () => {
  it(rule('`maxLinks` holds for every attempt, made or answered'), () => {
    const room = new Room(options);
    assert.equal(room.hasRoomFor(other, ids('a', 'b'), 0), true);
    assert.equal(room.hasRoomFor(other, ids('a', 'b', 'c'), 0), false);
    assert.equal(room.hasRoomFor(undefined, ids('a', 'b', 'c'), 0), false, 'nor for a dial of its own');
  });

  it(rule('a slot made for a peer is held for it for `reserveMs`'), () => {
    const room = new Room(options);
    // A full node let a neighbour go for the newcomer: two attempts left, one slot, the newcomer's.
    room.evicted(newcomer, 1_000);
    const left = ids('a', 'b');
    assert.equal(room.hasRoomFor(other, left, 1_500), false, 'another dialer finds it full');
    assert.equal(room.hasRoomFor(undefined, left, 1_500), false, 'so does a dial of its own');
    assert.equal(room.hasRoomFor(newcomer, left, 1_500), true, 'the newcomer fits');
    // The newcomer's attempt takes the slot: the reservation is spent, not counted twice.
    assert.equal(room.hasRoomFor(other, ids('a', 'b', newcomer), 2_000), false);
    assert.equal(room.hasRoomFor(other, left, 2_100), true, 'its attempt gone, the slot is free again');
    // Unused, the reservation lapses after reserveMs.
    room.reserve(newcomer, 10_000);
    assert.equal(room.hasRoomFor(other, left, 14_999), false);
    assert.equal(room.hasRoomFor(other, left, 15_000), true);
  });

  it('makes room for a member below the target, an asked-for link, or an unknown node with no link; once every evictEveryMs', () => {
    const room = new Room(options);
    assert.equal(room.mayEvictFor({ k: 1 }, true, 0), true, 'a known member below the target');
    assert.equal(room.mayEvictFor({ k: 2 }, true, 0), false, 'at the target');
    assert.equal(room.mayEvictFor({ k: 2, ask: 1 }, true, 0), true, 'asked for by a person');
    assert.equal(room.mayEvictFor({ k: 2, ask: 1 }, false, 0), false, 'asked, but not a known member');
    assert.equal(room.mayEvictFor({ k: 0 }, false, 0), true, 'an unknown newcomer with no link');
    assert.equal(room.mayEvictFor({ k: 1 }, false, 0), false, 'an unknown node with links');
    assert.equal(room.mayEvictFor({ k: '0' }, true, 0), false, 'k must be a number');
    room.evicted(newcomer, 1_000);
    assert.equal(room.mayEvictFor({ k: 1 }, true, 2_999), false, 'at most one eviction every evictEveryMs');
    assert.equal(room.mayEvictFor({ k: 1 }, true, 3_000), true);
  });
});

describe('attempt ids', () => {
  it('order by the count they start with; an id without one (older builds) has none', () => {
    assert.equal(attemptOrder('1-0a0b0c0d0e0f'), 1);
    assert.equal(attemptOrder('z-0a0b0c0d0e0f'), 35);
    assert.ok(attemptOrder('a-00') < attemptOrder('b-00'));
    for (const cid of ['0a0b0c0d0e0f0a0b', '-00', '0-00', 'zzzzzzzzzzzz-00', '!-00', ''])
      assert.equal(attemptOrder(cid), 0, cid);
  });
});
