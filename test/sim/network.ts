/**
 * An in-memory network of core nodes on a virtual clock: per-hop latency with jitter, message loss,
 * partitions and churn, all driven by one seeded random source, so a seed replays the same run.
 *
 * What is shared between nodes: only the verification cache (nodes of one simulation verify identical
 * bytes; the cache is keyed by the envelope's hash, so sharing changes speed, never results). Everything
 * else — keys, counters, tables, timers — each node has for itself.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type CoreConfig,
  GossipNode,
  type NodeId,
  type Output,
  type Random,
  type Services,
  encodeEnvelope,
  seededRandom,
} from '../../src/core/index.ts';
import { nobleSigner, nobleVerifier } from '../../src/crypto/ed25519.ts';
import { VerificationCache } from '../../src/crypto/verify-cache.ts';

export interface SimOptions {
  nodes: number;
  seed: number;
  /** One-way delay of every message, ms. */
  latencyMs?: number;
  /** Uniform extra delay in [0, jitterMs). */
  jitterMs?: number;
  /** Probability that a message is lost. */
  loss?: number;
  config?: Partial<CoreConfig>;
  gridId?: Uint8Array;
}

export interface SimNode {
  readonly index: number;
  readonly id: NodeId;
  readonly secretKey: Uint8Array;
  node: GossipNode;
  alive: boolean;
  signer: ReturnType<typeof nobleSigner>;
}

type Event =
  | { at: number; seq: number; kind: 'deliver'; from: number; to: number; bytes: Uint8Array }
  | { at: number; seq: number; kind: 'tick'; node: number }
  | { at: number; seq: number; kind: 'call'; fn: () => void };

/** A binary min-heap on (at, seq): equal times run in scheduling order, which keeps runs deterministic. */
class EventQueue {
  private heap: Event[] = [];
  get size(): number {
    return this.heap.length;
  }
  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  push(event: Event): void {
    const h = this.heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  peek(): Event | undefined {
    return this.heap[0];
  }
  pop(): Event | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

export interface Delivery {
  from: number;
  to: number;
  bytes: Uint8Array;
}

export class Simulation {
  now = 0;
  readonly random: Random;
  readonly nodes: SimNode[] = [];
  readonly cache = new VerificationCache(nobleVerifier, 1_000_000);
  readonly gridId: Uint8Array;
  /** Observers of every delivered message and every stored announcement (metrics, tests). */
  onDeliver: ((d: Delivery) => void) | undefined;
  onStored: ((node: number, hash: Uint8Array, from: number | undefined) => void) | undefined;
  bytesSent = 0;
  messagesSent = 0;
  messagesLost = 0;

  private readonly queue = new EventQueue();
  private seq = 0;
  private readonly byId = new Map<NodeId, number>();
  private readonly links = new Map<number, Set<number>>();
  private readonly tickAt: number[] = [];
  private readonly options: Required<Omit<SimOptions, 'config' | 'gridId'>> & Pick<SimOptions, 'config'>;
  /** The node whose input is being handled, so stored announcements can name the hop they came from. */
  private handlingFrom: number | undefined;

  constructor(options: SimOptions) {
    this.options = { latencyMs: 50, jitterMs: 10, loss: 0, ...options };
    this.random = seededRandom(options.seed);
    this.gridId = options.gridId ?? sha256(new TextEncoder().encode(`sim-grid-${options.seed}`));
    for (let i = 0; i < options.nodes; i++) this.addNode();
  }

  private addNode(): SimNode {
    const index = this.nodes.length;
    const secretKey = sha256(new TextEncoder().encode(`sim-key-${this.options.seed}-${index}`));
    const signer = nobleSigner(secretKey);
    const node = this.makeCore(signer.publicKey, 0, index);
    const sim: SimNode = { index, id: node.id, secretKey, node, alive: true, signer };
    this.nodes.push(sim);
    this.byId.set(node.id, index);
    this.links.set(index, new Set());
    this.tickAt.push(Number.POSITIVE_INFINITY);
    return sim;
  }

  private makeCore(publicKey: Uint8Array, counter: number, index: number): GossipNode {
    return new GossipNode({
      publicKey,
      gridId: this.gridId,
      random: seededRandom(this.options.seed * 1_000_003 + index),
      counter,
      nickname: `node-${index}`,
      config: this.options.config,
    });
  }

  // ——— Topology ——————————————————————————————————————————————————————————————————————————————————————

  /**
   * A random overlay where each node opens ⌈k/2⌉ links to random others, so the mean degree is about k
   * (links are symmetric). Returns the number of links made.
   */
  randomOverlay(k: number): number {
    const n = this.nodes.length;
    const per = Math.ceil(k / 2);
    let made = 0;
    for (let i = 0; i < n; i++) {
      for (let tries = 0, opened = 0; opened < per && tries < per * 20; tries++) {
        const j = Math.floor(this.random.next() * n);
        if (j === i || this.links.get(i)!.has(j)) continue;
        this.connect(i, j);
        opened++;
        made++;
      }
    }
    return made;
  }

  isLinked(a: number, b: number): boolean {
    return this.links.get(a)!.has(b);
  }

  degree(a: number): number {
    return this.links.get(a)!.size;
  }

  connect(a: number, b: number): void {
    if (a === b || this.isLinked(a, b) || !this.nodes[a]!.alive || !this.nodes[b]!.alive) return;
    this.links.get(a)!.add(b);
    this.links.get(b)!.add(a);
    this.apply(a, this.nodes[a]!.node.linkUp(this.nodes[b]!.id, this.now));
    this.apply(b, this.nodes[b]!.node.linkUp(this.nodes[a]!.id, this.now));
  }

  disconnect(a: number, b: number): void {
    if (!this.isLinked(a, b)) return;
    this.links.get(a)!.delete(b);
    this.links.get(b)!.delete(a);
    this.apply(a, this.nodes[a]!.node.linkDown(this.nodes[b]!.id, this.now));
    this.apply(b, this.nodes[b]!.node.linkDown(this.nodes[a]!.id, this.now));
  }

  /** Cuts every link between different groups; returns the cut links so `heal` can restore them. */
  partition(groupOf: (index: number) => number): [number, number][] {
    const cut: [number, number][] = [];
    for (const [a, peers] of this.links) {
      for (const b of [...peers]) {
        if (a < b && groupOf(a) !== groupOf(b)) {
          this.disconnect(a, b);
          cut.push([a, b]);
        }
      }
    }
    return cut;
  }

  heal(cut: readonly [number, number][]): void {
    for (const [a, b] of cut) this.connect(a, b);
  }

  /** Churn: the node crashes; its peers see the links go down. */
  crash(index: number): number[] {
    const peers = [...this.links.get(index)!];
    for (const peer of peers) this.disconnect(index, peer);
    this.nodes[index]!.alive = false;
    return peers;
  }

  /**
   * The node comes back with the same key. With `keepState` its table survives (a reload from
   * IndexedDB); without it, it starts empty and its counter restarts at `counter` (a lost disk).
   */
  restart(index: number, peers: readonly number[], counter: number, keepState = true): void {
    const sim = this.nodes[index]!;
    if (!keepState) sim.node = this.makeCore(sim.signer.publicKey, counter, index);
    sim.alive = true;
    for (const peer of peers) this.connect(index, peer);
  }

  // ——— Actions —————————————————————————————————————————————————————————————————————————————————————

  /** Signs and publishes a new announcement of node `index` (sync: the simulator signs with noble). */
  announce(index: number): void {
    const sim = this.nodes[index]!;
    const prepared = sim.node.prepareAnnouncement();
    const envelope = encodeEnvelope(
      sim.signer.publicKey,
      prepared.body,
      sim.signer.signSync(prepared.message),
    );
    this.apply(index, sim.node.acceptOwn(envelope, this.now));
  }

  publish(index: number, service: string, params: Record<string, string> = {}): void {
    this.apply(index, this.nodes[index]!.node.publish(service, params));
  }

  setServices(index: number, services: Services): void {
    for (const [name, params] of Object.entries(services)) this.nodes[index]!.node.publish(name, params);
    this.announce(index);
  }

  at(time: number, fn: () => void): void {
    this.queue.push({ at: time, seq: this.seq++, kind: 'call', fn });
  }

  /** Runs events until the clock reaches `until` (inclusive) or nothing is left to do. */
  runUntil(until: number): void {
    for (;;) {
      const next = this.queue.peek();
      if (!next || next.at > until) break;
      this.queue.pop();
      this.now = Math.max(this.now, next.at);
      this.dispatch(next);
    }
    this.now = Math.max(this.now, until);
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  private dispatch(event: Event): void {
    switch (event.kind) {
      case 'deliver': {
        const to = this.nodes[event.to]!;
        if (!to.alive || !this.isLinked(event.from, event.to)) return;
        this.onDeliver?.(event);
        this.handlingFrom = event.from;
        this.apply(
          event.to,
          to.node.receive(this.nodes[event.from]!.id, event.bytes, this.now, this.cache.lookup),
        );
        this.handlingFrom = undefined;
        return;
      }
      case 'tick': {
        if (this.tickAt[event.node] !== event.at) return;
        this.tickAt[event.node] = Number.POSITIVE_INFINITY;
        const sim = this.nodes[event.node]!;
        if (sim.alive) this.apply(event.node, sim.node.tick(this.now));
        return;
      }
      case 'call':
        event.fn();
        return;
    }
  }

  private apply(index: number, outputs: readonly Output[]): void {
    for (const out of outputs) {
      switch (out.type) {
        case 'send': {
          const to = this.byId.get(out.to);
          if (to === undefined) break;
          this.bytesSent += out.bytes.length;
          this.messagesSent++;
          if (this.options.loss > 0 && this.random.next() < this.options.loss) {
            this.messagesLost++;
            break;
          }
          const delay = this.options.latencyMs + this.random.next() * this.options.jitterMs;
          this.queue.push({
            at: this.now + delay,
            seq: this.seq++,
            kind: 'deliver',
            from: index,
            to,
            bytes: out.bytes,
          });
          break;
        }
        case 'announce-needed':
          this.announce(index);
          break;
        case 'stored':
          this.onStored?.(index, out.hash, this.handlingFrom);
          break;
        case 'forgotten':
        case 'flagged':
          break;
      }
    }
    this.scheduleTick(index);
  }

  private scheduleTick(index: number): void {
    const sim = this.nodes[index]!;
    if (!sim.alive) return;
    const at = Math.max(this.now, sim.node.nextDeadline());
    if (!Number.isFinite(at) || at >= this.tickAt[index]!) return;
    this.tickAt[index] = at;
    this.queue.push({ at, seq: this.seq++, kind: 'tick', node: index });
  }

  // ——— Measures ————————————————————————————————————————————————————————————————————————————————————

  live(): SimNode[] {
    return this.nodes.filter((n) => n.alive);
  }

  /** Fraction of live nodes that hold every live origin's newest announcement (its own current one). */
  coverage(): number {
    const live = this.live();
    const newest = live.map((o) => [o.signer.publicKey, o.node.heldHash(o.signer.publicKey)] as const);
    let complete = 0;
    for (const sim of live) {
      if (newest.every(([key, hash]) => hash !== undefined && sameBytes(sim.node.heldHash(key), hash)))
        complete++;
    }
    return live.length === 0 ? 1 : complete / live.length;
  }

  /** Each live node's view as origin → seqnum, for comparing what nodes hold. */
  views(): Map<NodeId, number>[] {
    return this.live().map((sim) => new Map(sim.node.getPeers().map((p) => [p.id, p.seqnum] as const)));
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
