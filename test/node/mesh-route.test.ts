/**
 * src/net/mesh-route.ts: the rules by which signaling travels through the mesh (PROTOCOL.md §10) — where a
 * frame goes next, and every bound: size, hops, loops, dedup, deadlines, rates, unknown members, and what
 * a forwarder does when its next hop is gone. Real node ids, a seeded random source, time as input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type NodeId, seededRandom } from '../../src/core/index.ts';
import {
  MeshRouter,
  type RouteFrame,
  encodeRouteFrame,
  meshRouteDefaults,
  parseNeighbours,
  parseRouteFrame,
} from '../../src/net/mesh-route.ts';
import { idOf } from './core/fixtures.ts';
import { rule } from './rules.ts';

const [A, B, C, D, E, F, G] = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(idOf) as [
  NodeId,
  NodeId,
  NodeId,
  NodeId,
  NodeId,
  NodeId,
  NodeId,
];
const T0 = 1_000_000;

/** A router for `self` with mutable links and membership. */
function router(self: NodeId, links: NodeId[], known = (_: NodeId) => true, options = {}) {
  const state = { links, known };
  const random = seededRandom(7);
  const r = new MeshRouter(
    { self, links: () => state.links, known: (id) => state.known(id) },
    () => random.next(),
    options,
  );
  return Object.assign(r, { state });
}

const frame = (fields: Partial<RouteFrame> = {}): RouteFrame => ({
  id: '0123456789abcdef',
  o: A,
  t: D,
  e: T0 + 10_000,
  p: [A],
  d: { m: '{}', g: 'x' },
  ...fields,
});
const bytes = (fields: Partial<RouteFrame> = {}) => encodeRouteFrame(frame(fields));
const decoded = (b: Uint8Array) => parseRouteFrame(b, 1 << 20, 16) as RouteFrame;

describe('mesh routing: where a frame goes', () => {
  it(
    rule(
      'to the target if linked; else along a route learnt from recent frames; else to a link whose neighbour list names the target; else, while the path is at most `floodHops` long, to every link not on the path.',
    ),
    () => {
      const r = router(A, [B, C]);
      assert.deepEqual(
        r.originate(B, 'hi', T0).map((s) => s.to),
        [B],
      );
      r.neighbours(C, [A, D]);
      const viaList = r.originate(D, 'hi', T0);
      assert.deepEqual(
        viaList.map((s) => s.to),
        [C],
      );
      const sent = decoded(viaList[0]!.bytes);
      assert.deepEqual(sent.p, [A], 'the path starts at the origin');
      assert.equal(sent.t, D);
      // E is reachable through B: A learns it from a frame E sent that came in from B.
      r.receive(B, bytes({ id: 'aaaaaaaaaaaaaaaa', o: E, t: A, p: [E, F, B] }), T0);
      assert.deepEqual(
        r.originate(E, 'hi', T0).map((s) => s.to),
        [B],
      );
      assert.deepEqual(
        r.originate(F, 'hi', T0).map((s) => s.to),
        [B],
        'every node on the path is learnt',
      );
    },
  );

  it('two disjoint first hops when two neighbours list the target', () => {
    const r = router(A, [B, C, E]);
    r.neighbours(B, [D]);
    r.neighbours(C, [D]);
    assert.deepEqual(
      r
        .originate(D, 'hi', T0)
        .map((s) => s.to)
        .sort(),
      [B, C].sort(),
    );
  });

  it('with no way known, a bounded flood to every link not on the path', () => {
    const r = router(B, [A, C, E]);
    const out = r.receive(A, bytes({ t: G }), T0);
    assert.deepEqual(out.sends.map((s) => s.to).sort(), [C, E].sort(), 'never back to the sender');
    assert.deepEqual(decoded(out.sends[0]!.bytes).p, [A, B], 'the forwarder adds itself');
    const far = r.receive(A, bytes({ id: 'bbbbbbbbbbbbbbbb', o: D, t: G, p: [D, F, C, A] }), T0);
    assert.equal(far.sends.length, 0, `past floodHops (${meshRouteDefaults.floodHops}) it stops`);
    assert.equal(r.dropped['route-no-way'], 1);
  });

  it('a learnt route whose next hop is gone: the forwarder re-routes from its own view', () => {
    const r = router(B, [A, C, E]);
    r.receive(C, bytes({ id: 'cccccccccccccccc', o: G, t: B, p: [G, C] }), T0);
    let out = r.receive(A, bytes({ t: G }), T0);
    assert.deepEqual(
      out.sends.map((s) => s.to),
      [C],
    );
    r.state.links = [A, E];
    r.linkDown(C);
    out = r.receive(A, bytes({ id: '1111111111111111', t: G }), T0);
    assert.deepEqual(
      out.sends.map((s) => s.to),
      [E],
      'C gone: flooded to the remaining link',
    );
  });

  it('delivers a frame for itself, with its origin and hop count', () => {
    const r = router(D, [C]);
    const out = r.receive(C, bytes({ p: [A, B, C] }), T0);
    assert.deepEqual(out.deliver, { origin: A, payload: { m: '{}', g: 'x' }, hops: 3 });
    assert.equal(out.sends.length, 0);
  });

  it('delivers to itself when its membership view lists other members only (a grid with membership)', () => {
    // Regression: the node's own id is not among the members its guard admitted; frames for it were
    // dropped as `route-unknown`, so no link through the mesh came up in a grid made by invitations.
    const r = router(D, [C], (id) => id !== D);
    const out = r.receive(C, bytes({ p: [A, B, C] }), T0);
    assert.deepEqual(out.deliver, { origin: A, payload: { m: '{}', g: 'x' }, hops: 3 });
    assert.equal(r.status().dropped['route-unknown'], undefined);
  });
});

describe('mesh routing: bounds', () => {
  it(
    rule(
      'A frame id is handled once within a minute; a frame past its deadline, or due more than 30 s ahead, is dropped.',
    ),
    () => {
      const r = router(B, [A, C]);
      assert.equal(r.receive(A, bytes(), T0).sends.length, 1);
      assert.equal(r.receive(C, bytes({ p: [A, C] }), T0).sends.length, 0);
      assert.equal(r.dropped['route-duplicate'], 1);
      assert.equal(meshRouteDefaults.dedupMs, 60_000);
      r.receive(C, bytes({ p: [A, C], e: T0 + 80_000 }), T0 + 60_001);
      assert.equal(r.dropped['route-duplicate'], 1, 'a minute later the id is new again');
    },
  );

  it(
    rule(
      'A route frame is at most 16 KiB; its path holds at most 6 nodes, none twice, and ends at the link it came from.',
    ),
    () => {
      const r = router(B, [A, C]);
      r.receive(A, bytes({ p: [A, B, A] }), T0);
      r.receive(A, bytes({ id: '2222222222222222', o: C, p: [C, B, A] }), T0);
      r.receive(A, bytes({ id: '3333333333333333', p: [A, C] }), T0);
      const long = [A, C, D, E, F, G, idOf('h')];
      r.receive(idOf('h'), bytes({ id: '4444444444444444', p: long }), T0);
      assert.deepEqual(r.dropped, { 'route-bad-path': 3, 'route-loop': 1 });
      assert.equal(parseRouteFrame(bytes({ p: long }), 1 << 20, 6), 'route-bad-path');
    },
  );

  it(
    rule('Nothing is carried for an origin or a target that is not a known member (unknown or revoked).'),
    () => {
      const revoked = new Set([D, E]);
      const r = router(B, [A, C], (id) => !revoked.has(id));
      assert.equal(r.receive(A, bytes({ t: D }), T0).sends.length, 0);
      assert.equal(
        r.receive(A, bytes({ id: '5555555555555555', o: E, p: [E, A], t: C }), T0).sends.length,
        0,
      );
      assert.equal(r.dropped['route-unknown'], 2);
      assert.deepEqual(r.originate(D, 'x', T0), []);
      assert.equal(r.dropped['route-unknown-target'], 1);
    },
  );

  it('drops frames past their deadline or with one too far ahead', () => {
    const r = router(B, [A, C]);
    r.receive(A, bytes({ e: T0 - 1 }), T0);
    r.receive(A, bytes({ id: '6666666666666666', e: T0 + 3 * meshRouteDefaults.deadlineMs }), T0);
    assert.deepEqual(r.dropped, { 'route-late': 1, 'route-deadline-far': 1 });
  });

  it('refuses frames over maxFrameBytes, and originates none', () => {
    const r = router(B, [A, C]);
    const big = 'x'.repeat(meshRouteDefaults.maxFrameBytes);
    r.receive(A, bytes({ d: big }), T0);
    assert.deepEqual(r.originate(C, big, T0), []);
    assert.deepEqual(r.dropped, { 'route-too-large': 2 });
  });

  it(
    rule(
      'Frames are rate-limited per link (64 at once, 32 a second) and per origin (32 at once, 8 a second).',
    ),
    () => {
      const r = router(B, [A, C, D], () => true, {
        linkBurst: 3,
        linkPerSecond: 1,
        originBurst: 2,
        originPerSecond: 1,
      });
      const { linkBurst, linkPerSecond, originBurst, originPerSecond } = meshRouteDefaults;
      assert.deepEqual([linkBurst, linkPerSecond, originBurst, originPerSecond], [64, 32, 32, 8]);
      const id = (i: number) => i.toString(16).padStart(16, '0');
      // Per origin: A's third frame within the burst is refused wherever it comes from.
      for (let i = 0; i < 3; i++) r.receive(C, bytes({ id: id(i), p: [A, C], t: E }), T0);
      assert.equal(r.dropped['route-origin-rate'], 1);
      // Per link: C's fourth frame is refused before it is even parsed.
      r.receive(C, new Uint8Array([1, 2, 3]), T0);
      assert.equal(r.dropped['route-link-rate'], 1);
      // A second later a token is back.
      assert.equal(r.receive(C, bytes({ id: id(9), o: F, p: [F, C], t: E }), T0 + 1_000).sends.length, 2);
    },
  );

  it('never throws on garbage, and counts it', () => {
    const r = router(B, [A]);
    const junk = [
      new Uint8Array([0xff, 0xfe]),
      new TextEncoder().encode('[]'),
      new TextEncoder().encode('{"v":1}'),
      new TextEncoder().encode(JSON.stringify({ ...frame(), v: 1, o: 'nobody' })),
      new TextEncoder().encode(JSON.stringify({ ...frame(), v: 1, id: 'short' })),
      new TextEncoder().encode(JSON.stringify({ ...frame(), v: 1, e: 'soon' })),
      new TextEncoder().encode(JSON.stringify({ v: 1, ...frame(), p: 'A' })),
    ];
    let i = 0;
    for (const b of junk) assert.equal(r.receive(A, b, T0 + i++ * 1_000).sends.length, 0);
    assert.equal(
      Object.values(r.dropped).reduce((a, b) => a + b, 0),
      junk.length,
    );
    assert.equal(parseNeighbours(new TextEncoder().encode('{"a":1}'), 8), 'neighbours-bad-shape');
    assert.equal(
      parseNeighbours(new TextEncoder().encode(JSON.stringify([A, 'x'])), 8),
      'neighbours-bad-shape',
    );
    assert.equal(typeof parseNeighbours(new TextEncoder().encode(JSON.stringify([A, B, C])), 2), 'string');
    assert.deepEqual(parseNeighbours(new TextEncoder().encode(JSON.stringify([A, B])), 2), [A, B]);
  });

  it('every table stays bounded', () => {
    const r = router(B, [A, C], () => true, { maxSeen: 50, maxRoutes: 20, originBurst: 1e6, linkBurst: 1e6 });
    for (let i = 0; i < 500; i++) {
      const o = idOf(`o${i}`);
      r.receive(A, bytes({ id: i.toString(16).padStart(16, '0'), o, p: [o, A], t: C }), T0);
    }
    assert.ok(r.status().routes <= 20);
    assert.equal(r.status().forwarded, 500);
  });
});
