/**
 * src/net/mesh-signaling.ts and mesh-seal.ts: signaling through the mesh, end to end, with real keys
 * (noble Ed25519 signatures, WebCrypto X25519 and AES-GCM) and frames passed in memory along A — C — B.
 * A signal's data reaches its recipient and nobody else can read it; a forwarder that alters a frame, or
 * replays one, gets nothing delivered; a signal to a member that has not said hello is not sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { type NodeId, nodeIdString, utf8 } from '../../src/core/index.ts';
import { nobleSigner, nobleVerifier } from '../../src/crypto/ed25519.ts';
import { MeshSeal } from '../../src/net/mesh-seal.ts';
import { encodeNeighbours } from '../../src/net/mesh-route.ts';
import { MeshSignaling } from '../../src/net/mesh-signaling.ts';
import { rule } from './rules.ts';

const gridId = sha256(utf8('mesh signaling grid'));
const settle = () => new Promise((r) => setTimeout(r, 50));

function line() {
  const names = ['a', 'c', 'b'] as const;
  const keys = Object.fromEntries(names.map((n) => [n, nobleSigner(sha256(utf8(`mesh ${n}`)))]));
  const ids = Object.fromEntries(names.map((n) => [n, nodeIdString(keys[n]!.publicKey)])) as Record<
    (typeof names)[number],
    NodeId
  >;
  const links: Record<string, NodeId[]> = { a: [ids.c], c: [ids.a, ids.b], b: [ids.c] };
  type Name = (typeof names)[number];
  const got: Record<Name, { from: NodeId; payload: Record<string, unknown> }[]> = { a: [], b: [], c: [] };
  const seen: Record<Name, Uint8Array[]> = { a: [], b: [], c: [] };
  const byId = new Map<NodeId, MeshSignaling>();
  let tamper: ((frame: Uint8Array) => Uint8Array) | undefined;
  const nameOf = (id: NodeId) => names.find((n) => ids[n] === id)!;
  const nodes = Object.fromEntries(
    names.map((n) => {
      const node = new MeshSignaling({
        selfId: ids[n],
        signer: keys[n]!,
        verifier: nobleVerifier,
        gridId,
        session: `session-${n}`,
        links: () => links[n]!,
        known: () => true,
        sendFrame: (peer, frame) => {
          const to = byId.get(peer)!;
          const bytes = n === 'c' && tamper ? tamper(frame) : frame;
          seen[nameOf(peer)].push(bytes);
          setTimeout(() => {
            if (bytes[0] === MeshSignaling.FRAME_ROUTE) to.receiveRoute(ids[n], bytes.subarray(1));
            else to.receiveNeighbours(ids[n], bytes.subarray(1));
          }, 1);
          return true;
        },
        onSignal: (from, payload) => got[n].push({ from, payload }),
      });
      byId.set(ids[n], node);
      return [n, node];
    }),
  ) as Record<(typeof names)[number], MeshSignaling>;
  return { nodes, ids, got, seen, setTamper: (t: typeof tamper) => (tamper = t) };
}

describe('signaling through the mesh', () => {
  it('a hello and a sealed signal cross a forwarder; only the recipient reads the signal', async () => {
    const { nodes, ids, got, seen } = line();
    assert.equal(
      await nodes.b.send({ t: 'signal', c: 'x1', data: { sdp: 'early' } }, ids.a),
      0,
      'no key yet',
    );
    assert.equal(nodes.b.status().refused['signal-no-key'], 1);
    assert.equal(await nodes.a.send({ t: 'hello' }, ids.b), 1);
    await settle();
    assert.equal(got.b.length, 1);
    assert.equal(got.b[0]!.from, ids.a);
    assert.equal(got.b[0]!.payload.t, 'hello');
    assert.equal(got.c.length, 0, 'the forwarder is handed nothing');
    const secret = 'candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host';
    assert.equal(await nodes.b.send({ t: 'signal', c: 'c1', data: { candidate: secret } }, ids.a), 1);
    await settle();
    assert.deepEqual(got.a.at(-1)!.payload, { t: 'signal', c: 'c1', data: { candidate: secret } });
    const atForwarder = seen.c.map((f) => new TextDecoder().decode(f)).join('\n');
    assert.ok(!atForwarder.includes('192.168.1.20'), 'the forwarder never saw the address');
    assert.ok(atForwarder.includes('\\"t\\":\\"signal\\"'), 'it sees that a signal passes, and between whom');
    assert.equal(nodes.c.status().forwarded, 2);
    assert.equal(nodes.a.status().delivered, 1);
  });

  it('a forwarder that alters the signed message, or replays a frame, gets nothing delivered', async () => {
    const { nodes, ids, got, setTamper } = line();
    await nodes.a.send({ t: 'hello' }, ids.b);
    await settle();
    let captured: Uint8Array | undefined;
    setTamper((frame) => {
      captured = frame;
      const text = new TextDecoder().decode(frame.subarray(1)).replace('\\"hello\\"', '\\"hellO\\"');
      return Uint8Array.of(frame[0]!, ...new TextEncoder().encode(text));
    });
    await nodes.a.send({ t: 'hello' }, ids.b);
    await settle();
    assert.equal(got.b.length, 1, 'the altered hello was refused');
    assert.equal(nodes.b.status().unsigned['bad-signature'], 1);
    setTamper(undefined);
    nodes.b.receiveRoute(ids.c, captured!.subarray(1));
    nodes.b.receiveRoute(ids.c, captured!.subarray(1));
    await settle();
    assert.equal(got.b.length, 1);
    assert.ok((nodes.b.status().dropped['route-duplicate'] ?? 0) >= 1, 'a replayed frame id is a duplicate');
  });

  it('neighbour lists travel over links and steer routes', async () => {
    const { nodes, ids } = line();
    nodes.c.linksChanged();
    await new Promise((r) => setTimeout(r, 200));
    const sends = nodes.a.router.originate(ids.b, 'x', Date.now());
    assert.deepEqual(
      sends.map((s) => s.to),
      [ids.c],
    );
    assert.equal(nodes.a.router.status().flooded, 0, 'C listed B: no flood');
  });

  it(
    rule('Of the neighbours above `targetLinks`, one that another neighbour also links to goes first'),
    () => {
      const id = (n: string) => nodeIdString(sha256(utf8(`surplus ${n}`)));
      const [self, p, q, r, x] = ['self', 'p', 'q', 'r', 'x'].map(id) as NodeId[];
      const mesh = new MeshSignaling({
        selfId: self!,
        signer: nobleSigner(sha256(utf8('surplus self'))),
        verifier: nobleVerifier,
        gridId,
        session: 'session-self',
        links: () => [p!, q!, r!],
        known: () => true,
        sendFrame: () => true,
        onSignal: () => {},
      });
      const lists = (from: NodeId, ids: NodeId[]) => mesh.receiveNeighbours(from, encodeNeighbours(ids));
      // P has the most links, but only through us is it linked to Q and R; Q also links R (a triangle).
      lists(p!, [self!, x!, id('y'), id('z')]);
      lists(q!, [self!, r!, x!]);
      lists(r!, [self!, q!, id('w'), id('u')]);
      assert.equal(mesh.surplus([p!, q!, r!], 2), r, 'R: Q lists it, and its list is longer than Q’s');
      // Nobody shares a neighbour with us: the longest list goes, as before.
      lists(q!, [self!, x!, id('v')]);
      lists(r!, [self!, id('w'), id('u')]);
      assert.equal(mesh.surplus([p!, q!, r!], 2), p);
      assert.equal(mesh.surplus([p!, q!, r!], 4), undefined, 'nobody above the target');
      // The announced mesh knows more than two hops: one shown reachable without us goes first, and one
      // whose only way is through us never goes (mesh-graph.ts).
      const known = (keeps: Record<string, boolean>) => (v: NodeId) => keeps[v];
      assert.equal(mesh.surplus([p!, q!, r!], 2, known({ [r!]: true, [p!]: false })), r);
      assert.equal(mesh.surplus([p!, q!, r!], 2, known({ [p!]: false, [r!]: false })), q);
      assert.equal(
        mesh.surplus([p!, q!, r!], 2, known({ [p!]: false, [q!]: false, [r!]: false })),
        undefined,
      );
    },
  );
});

describe('the mesh seal', () => {
  it('opens what the peer sealed to this node; refuses other keys, bad keys and bad ciphertexts', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => nodeIdString(sha256(utf8(`seal ${n}`)))) as NodeId[];
    const sa = new MeshSeal(a!);
    const sb = new MeshSeal(b!);
    const sc = new MeshSeal(c!);
    await Promise.all([sa.ready, sb.ready, sc.ready]);
    const sealed = (await sa.seal(b!, sb.x, 'offer'))!;
    assert.equal(await sb.open(a!, sa.x, sealed), 'offer');
    assert.equal(await sc.open(a!, sa.x, sealed), undefined, 'a third key cannot open it');
    assert.equal(await sb.open(c!, sa.x, sealed), undefined, 'bound to the two node ids');
    assert.equal(await sb.open(a!, 'not-a-key', sealed), undefined);
    assert.equal(await sb.open(a!, sa.x, sealed.slice(0, -2) + 'AA'), undefined);
    assert.equal(await sa.seal(b!, 'A'.repeat(43), 'x'), undefined, 'a low-order key is refused');
  });
});
