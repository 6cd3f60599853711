import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeIdString, type NodeId } from '../../src/core/identity.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../src/core/bytes.ts';
import { encodeLinkList, type LinkLists, MeshGraph, parseLinkList } from '../../src/net/mesh-graph.ts';
import { rule } from './rules.ts';

/** Node ids named by letters, sorted as the letters are (repair picks by id order). */
const ids = new Map<string, NodeId>();
const sorted = [...'abcdefghijklmnop']
  .map((n) => nodeIdString(sha256(utf8(`graph ${n}`))))
  .sort() as NodeId[];
[...'abcdefghijklmnop'].forEach((n, i) => ids.set(n, sorted[i]!));
const id = (n: string) => ids.get(n)!;

/** Lists from "a-b b-c …": every member listing each link it is on (as announced). */
function lists(links: string): Map<NodeId, NodeId[]> {
  const out = new Map<NodeId, NodeId[]>();
  for (const pair of links.split(' ').filter(Boolean)) {
    const [x, y] = pair.split('-').map(id) as [NodeId, NodeId];
    out.set(x, [...(out.get(x) ?? []), y]);
    out.set(y, [...(out.get(y) ?? []), x]);
  }
  return out;
}

function graph(self: string, links: string, tweak?: (l: Map<NodeId, NodeId[]>) => void): MeshGraph {
  const all = lists(links);
  tweak?.(all);
  const own = all.get(id(self)) ?? [];
  all.delete(id(self));
  return new MeshGraph(id(self), own, all as LinkLists);
}

describe('the mesh as announced', () => {
  it(rule('a link between two other members counts only when both ends list it'), () => {
    // a-b-c-d in a line; b still lists d, but d does not list b (one of them let the link go).
    const g = graph('a', 'a-b b-c c-d', (l) => l.get(id('b'))!.push(id('d')));
    assert.equal(g.degree(id('b')), 2, 'b–d is one-sided: not a link');
    assert.equal(g.keepsWithout(id('b')), false, 'a reaches b only over their link');
    // A member not heard from yet is taken at the others' word.
    const h = graph('a', 'a-b b-c c-a', (l) => {
      l.get(id('c'))!.push(id('e'));
      l.delete(id('e'));
    });
    assert.equal(h.degree(id('e')), 1);
  });

  it(rule('A node never lets go of a neighbour whose link is the only way to it'), () => {
    // A triangle a-b-c with a tail c-d: a may let b or c go (each still reached through the other); d
    // hangs on c alone.
    const fromA = graph('a', 'a-b b-c c-a c-d');
    assert.equal(fromA.keepsWithout(id('b')), true);
    assert.equal(fromA.keepsWithout(id('c')), true);
    assert.equal(fromA.keepsWithout(id('d')), undefined, 'not a neighbour');
    const fromC = graph('c', 'a-b b-c c-a c-d');
    assert.equal(fromC.keepsWithout(id('d')), false);
    // A ring of six: every link is safe; a bridge between two rings is not.
    assert.equal(graph('a', 'a-b b-c c-d d-e e-f f-a').keepsWithout(id('b')), true);
    const rings = 'a-b b-c c-a c-d d-e e-f f-d';
    assert.equal(graph('c', rings).keepsWithout(id('d')), false);
    assert.equal(graph('c', rings).keepsWithout(id('a')), true);
  });

  it(
    rule(
      'for each member whose leaving would cut the part a node is in into pieces, the member with room and the smallest id dials the member with room and the smallest id in another piece',
    ),
    () => {
      // Two triangles joined at c: c's leaving cuts {a, b} from {d, e}.
      const links = 'a-b b-c c-a c-d d-e e-c';
      const repairs = [...'abcde'].map((n) =>
        graph(n, links).repair(3, (lists(links).get(id(n))?.length ?? 0) < 3),
      );
      // a (2 links, room) dials d (the smallest with room in the other piece); nobody else dials.
      assert.deepEqual(repairs, [id('d'), undefined, undefined, undefined, undefined]);
      // a full, or skipping d: the next pick.
      assert.equal(graph('b', links).repair(3, true, new Set()), undefined, 'a goes first');
      assert.equal(graph('a', links).repair(3, true, new Set([id('d')])), id('e'));
      assert.equal(graph('a', links).repair(2, false), undefined, 'nobody has room with maxLinks 2');
      // A ring: no member's leaving splits it, so nothing to repair.
      const ring = 'a-b b-c c-d d-e e-a';
      assert.deepEqual(
        [...'abcde'].map((n) => graph(n, ring).repair(3, true)),
        [undefined, undefined, undefined, undefined, undefined],
      );
      // A line a-b-c: b's leaving cuts a from c; a dials c. After that link, a ring of three.
      assert.equal(graph('a', 'a-b b-c').repair(3, true), id('c'));
      assert.equal(graph('c', 'a-b b-c').repair(3, true), undefined);
      assert.equal(graph('a', 'a-b b-c c-a').repair(3, true), undefined);
    },
  );

  it('settles a random sparse mesh with no member whose leaving splits it', () => {
    // Every member's repair, round after round, from a tree (the most fragile connected mesh).
    const members = [...'abcdefghij'];
    let links = 'a-b a-c b-d b-e c-f c-g d-h e-i f-j';
    for (let round = 0; round < 20; round++) {
      const now = lists(links);
      const made = members.flatMap((n) => {
        const target = graph(n, links).repair(4, (now.get(id(n))?.length ?? 0) < 4);
        return target ? [`${n}-${[...ids].find(([, v]) => v === target)![0]}`] : [];
      });
      if (made.length === 0) break;
      const pairs = made.map((pair) => pair.split('-').sort().join('-'));
      assert.equal(new Set(pairs).size, pairs.length, 'never one link from each piece');
      links += ` ${made.join(' ')}`;
    }
    const now = lists(links);
    for (const n of members) assert.ok((now.get(id(n))?.length ?? 0) <= 4, 'maxLinks holds');
    for (const cut of members) {
      const rest = members.filter((m) => m !== cut);
      const pairs = links.split(' ').map((pair) => pair.split('-'));
      const seen = new Set([rest[0]!]);
      for (let grew = true; grew;) {
        grew = false;
        for (const [x, y] of pairs)
          if (x !== cut && y !== cut && seen.has(x!) !== seen.has(y!))
            grew = !!seen.add(seen.has(x!) ? y! : x!);
      }
      assert.equal(seen.size, rest.length, `${cut} leaving splits ${links}`);
    }
  });

  it('a grid larger than the picture holds is not judged: nothing repaired, no link the only way', () => {
    const all = lists('a-b b-c c-d d-e');
    const own = all.get(id('b'))!;
    all.delete(id('b'));
    const small = new MeshGraph(id('b'), own, all as LinkLists, 3);
    assert.equal(small.partial, true);
    assert.equal(small.keepsWithout(id('a')), undefined, 'a hangs on b alone, but the picture is partial');
    assert.equal(small.repair(3, true), undefined);
    const whole = new MeshGraph(id('b'), own, all as LinkLists, 5);
    assert.equal(whole.partial, false);
    assert.equal(whole.keepsWithout(id('a')), false);
  });

  it('link lists round-trip, bounded; a list with anything but ids is ignored', () => {
    const isId = (s: string) => [...ids.values()].includes(s as NodeId);
    const all = [...ids.values()];
    const value = encodeLinkList(all, 200);
    assert.ok(value.length <= 200);
    const back = parseLinkList(value, isId)!;
    assert.equal(back.length, Math.floor((200 + 1) / (all[0]!.length + 1)));
    assert.deepEqual(parseLinkList(encodeLinkList(all.slice(0, 3), 1024), isId), [...all.slice(0, 3)].sort());
    assert.equal(parseLinkList(`${all[0]} nonsense`, isId), undefined);
    assert.deepEqual(parseLinkList('', isId), []);
    assert.equal(parseLinkList(undefined, isId), undefined);
  });
});
