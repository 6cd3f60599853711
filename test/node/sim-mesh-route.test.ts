/**
 * Mesh signaling in a simulated grid of N = 1,000 (issue 17, "How it will be checked"): real routers
 * (src/net/mesh-route.ts) on a random overlay of about eight links each, with neighbour lists gone stale
 * (a fifth of the links replaced after the lists were exchanged), and forwarders that drop or delay.
 * Each trial is the six signaling messages of one new link between two members that are not linked
 * (hello, hello, offer, answer, two candidates), each sent once the previous one arrived. It prints, per
 * scenario, one JSON line: the share of link requests (first messages) that reach their target, the share
 * of whole exchanges, the hops of delivered messages and the frames sent per link.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { type NodeId, nodeIdString, seededRandom, utf8 } from '../../src/core/index.ts';
import { MeshRouter } from '../../src/net/mesh-route.ts';

interface Scenario {
  n: number;
  trials: number;
  /** Share of links replaced after neighbour lists were exchanged. */
  stale: number;
  /** Share of forwarders that drop every frame they should pass on. */
  droppers: number;
  /** Share of forwarders that hold every frame 2 s. */
  slow: number;
  seed: number;
}

function simulate(s: Scenario) {
  const random = seededRandom(s.seed);
  const rand = () => random.next();
  const ids = Array.from({ length: s.n }, (_, i) => nodeIdString(sha256(utf8(`sim node ${i}`))));
  const adj = ids.map(() => new Set<number>());
  const index = new Map(ids.map((id, i) => [id, i]));
  const addEdge = (a: number, b: number) => {
    adj[a]!.add(b);
    adj[b]!.add(a);
  };
  for (let a = 0; a < s.n; a++)
    for (let tries = 0; adj[a]!.size < 8 && tries < 100; tries++) {
      const b = Math.floor(rand() * s.n);
      if (b !== a && adj[b]!.size < 12) addEdge(a, b);
    }
  const routers = ids.map(
    (self, i) =>
      new MeshRouter({ self, links: () => [...adj[i]!].map((j) => ids[j]!), known: () => true }, rand, {
        originBurst: 1e6,
        linkBurst: 1e6,
      }),
  );
  // Neighbour lists exchanged now, then links churn without new lists (each side sees its own links go).
  for (let i = 0; i < s.n; i++)
    for (const j of adj[i]!)
      routers[i]!.neighbours(
        ids[j]!,
        [...adj[j]!].map((k) => ids[k]!),
      );
  const edges = adj.flatMap((set, a) => [...set].filter((b) => b > a).map((b) => [a, b] as const));
  for (const [a, b] of edges) {
    if (rand() >= s.stale) continue;
    adj[a]!.delete(b);
    adj[b]!.delete(a);
    routers[a]!.linkDown(ids[b]!);
    routers[b]!.linkDown(ids[a]!);
    const c = Math.floor(rand() * s.n);
    if (c !== a && !adj[a]!.has(c)) addEdge(a, c);
  }
  const dropper = ids.map(() => rand() < s.droppers);
  const slow = ids.map(() => rand() < s.slow);

  let now = 0;
  let frames = 0;
  /** Delivers `from`'s frames hop by hop in time order; returns the hops of the delivery to `to`, if any. */
  const run = (origin: number, to: number, payload: string): number | undefined => {
    const queue = new Heap<{ at: number; from: number; to: number; bytes: Uint8Array }>(
      (x, y) => x.at < y.at,
    );
    const push = (from: number, sends: { to: NodeId; bytes: Uint8Array }[]) => {
      for (const send of sends) {
        frames++;
        const next = index.get(send.to)!;
        queue.push({
          at: now + 5 + rand() * 45 + (slow[from] ? 2_000 : 0),
          from,
          to: next,
          bytes: send.bytes,
        });
      }
    };
    push(origin, routers[origin]!.originate(ids[to]!, payload, now));
    let hops: number | undefined;
    while (queue.size > 0) {
      const item = queue.pop()!;
      now = Math.max(now, item.at);
      if (!adj[item.from]!.has(item.to)) continue; // the link went while the frame was on it
      const result = routers[item.to]!.receive(ids[item.from]!, item.bytes, now);
      if (result.deliver) hops ??= result.deliver.hops;
      if (!dropper[item.to]) push(item.to, result.sends);
    }
    return hops;
  };

  let requests = 0;
  let exchanges = 0;
  const hops: number[] = [];
  const startFrames = frames;
  for (let t = 0; t < s.trials; t++) {
    let a = Math.floor(rand() * s.n);
    let b = Math.floor(rand() * s.n);
    while (b === a || adj[a]!.has(b)) b = Math.floor(rand() * s.n);
    let ok = true;
    for (let k = 0; k < 6 && ok; k++) {
      const h = run(a, b, `message ${k} of trial ${t}`);
      if (h === undefined) ok = false;
      else hops.push(h);
      if (k === 0 && ok) requests++;
      [a, b] = [b, a];
    }
    if (ok) exchanges++;
    now += 1_000;
  }
  hops.sort((x, y) => x - y);
  return {
    ...s,
    requestsReached: requests / s.trials,
    exchangesDone: exchanges / s.trials,
    meanHops: Number((hops.reduce((x, y) => x + y, 0) / Math.max(1, hops.length)).toFixed(2)),
    maxHops: hops[hops.length - 1] ?? 0,
    framesPerLink: Math.round((frames - startFrames) / s.trials),
    framesPerNodePerLink: Number(((frames - startFrames) / s.trials / s.n).toFixed(3)),
  };
}

/** A binary min-heap: the simulator's event queue. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

describe('mesh signaling at N = 1,000 (simulated)', { timeout: 120_000 }, () => {
  const base = { n: 1_000, trials: 100, stale: 0.2, droppers: 0, slow: 0, seed: 17 };

  it('with neighbour lists a fifth stale, nearly every link request reaches its target', () => {
    const r = simulate(base);
    console.log(JSON.stringify(r));
    assert.ok(r.requestsReached >= 0.9, `requests reached: ${r.requestsReached}`);
    assert.ok(r.exchangesDone >= 0.85, `exchanges done: ${r.exchangesDone}`);
    assert.ok(r.maxHops <= 6, 'no path longer than six');
    assert.ok(r.framesPerLink < 1_000, `frames per link: ${r.framesPerLink}`);
  });

  it('with one forwarder in ten dropping everything, most still do', () => {
    const r = simulate({ ...base, droppers: 0.1, seed: 18 });
    console.log(JSON.stringify(r));
    assert.ok(r.requestsReached >= 0.75, `requests reached: ${r.requestsReached}`);
  });

  it('with one forwarder in ten holding frames 2 s, requests still arrive (slower paths lose the race)', () => {
    const r = simulate({ ...base, slow: 0.1, seed: 19 });
    console.log(JSON.stringify(r));
    assert.ok(r.requestsReached >= 0.9, `requests reached: ${r.requestsReached}`);
  });
});
