/**
 * An in-memory network of core nodes on a virtual clock: per-hop latency with jitter, message loss,
 * partitions and churn, all driven by one seeded random source, so a seed replays the same run. Times are
 * whole milliseconds. Each node reads its own clock: simulated time plus its `clockOffsetMs`.
 *
 * Links come either from the test (`connect`, `randomOverlay`) or, with `dialing`, from the nodes
 * themselves: a `dial` output reaches a live, reachable peer after a round trip and becomes a link;
 * a dial to a crashed or unreachable peer goes unanswered, and the dialer's own timeout counts it failed.
 * With `persist`, each node keeps what a browser node keeps in IndexedDB (announcements with receipt
 * times, connection history, floors, counter), and `reload` starts a fresh core from it.
 *
 * What is shared between nodes (shared-envelopes.ts): the held form of each distinct envelope (bytes,
 * hash, tag, checked body head) and its verification result — both functions of the bytes alone — and
 * the numbering of origin tags, which no behaviour depends on; so sharing changes memory and speed, never
 * results. Everything else — keys, counters, tables, per-origin tree state, timers — each node has for
 * itself.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type CoreConfig,
  type DisseminationMode,
  GossipNode,
  type PeerHistory,
  nodeIdString,
  type NodeId,
  type Output,
  type Random,
  type RevocationSet,
  type Services,
  encodeEnvelope,
  seededRandom,
} from '../../src/core/index.ts';
import { nodeSigner } from './node-ed25519.ts';
import { SharedEnvelopes } from './shared-envelopes.ts';

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
  /** Nodes dial their own links (rule 2). Without it, `targetLinks` is 0 and the test makes links. */
  dialing?: boolean;
  /** Most links a node accepts when dialed. */
  maxLinks?: number;
  /** Keep each node's persisted state, for `reload`. */
  persist?: boolean;
  /** How nodes disseminate (eager.ts); eager push trees by default. */
  dissemination?: DisseminationMode;
  /**
   * Give every node the grid's revocation set, as the browser node always does: its messages share the
   * link's type byte with gossip, so a simulator without one does not see a clash (eager push's first
   * PUSH numbers did clash). One empty set shared by all nodes; nobody revokes in the simulator. Off by
   * default, which keeps older seeds' runs as they were (its messages draw delays from the seed).
   */
  revocations?: boolean;
}

/** An empty revocation set, the same for every node (so equal fingerprints end each exchange at once). */
const EMPTY_FINGERPRINT = sha256(new Uint8Array(0)).subarray(0, 16);
const noRevocations: RevocationSet = {
  revocationCount: 0,
  revocationFingerprint: () => EMPTY_FINGERPRINT,
  revocationIds: () => [],
  revocationRecord: () => undefined,
  learnRevocationRecord: () => 'refused',
};

/** What a node has written to disk, as the browser node does (see src/node.ts). */
export interface Persisted {
  counter: number;
  announcements: Map<NodeId, { envelope: Uint8Array; receivedAt: number }>;
  history: Map<NodeId, PeerHistory>;
  floors: Map<NodeId, { seqnum: number; until: number }>;
}

export interface SimNode {
  readonly index: number;
  readonly id: NodeId;
  readonly secretKey: Uint8Array;
  node: GossipNode;
  alive: boolean;
  /** Answers dials and dials out; false models a peer behind a dead network. */
  reachable: boolean;
  /** Added to simulated time to give this node's local clock. */
  clockOffsetMs: number;
  signer: ReturnType<typeof nodeSigner>;
  persisted: Persisted | undefined;
}

type Event =
  | { at: number; kind: 'deliver'; from: number; to: number; bytes: Uint8Array }
  | { at: number; kind: 'tick'; node: number }
  | { at: number; kind: 'call'; fn: () => void };

/**
 * Events by time: one array per distinct time (in scheduling order, which keeps runs deterministic: equal
 * times run in the order they were scheduled), and a binary min-heap of the distinct times. A run has
 * millions of events in flight but only a few thousand distinct times, so scheduling is an array push.
 */
class EventQueue {
  private readonly buckets = new Map<number, Event[]>();
  /**
   * The buckets of recent times, direct-mapped by the time's low bits: nearly every event is scheduled a
   * latency ahead, at one of a few dozen times, whose buckets this finds without hashing.
   */
  private readonly recentAt = new Float64Array(RECENT).fill(Number.NaN);
  private readonly recent: (Event[] | undefined)[] = new Array<Event[] | undefined>(RECENT);
  private readonly times: number[] = [];
  private current: Event[] | undefined;
  private currentAt = Number.NaN;
  private index = 0;
  size = 0;

  push(event: Event): void {
    const at = event.at;
    // Earlier than the time being run (a call scheduled in the past): what is left of it waits behind.
    if (this.current && at < this.currentAt) this.park();
    const r = at & (RECENT - 1);
    let bucket = this.recentAt[r] === at ? this.recent[r] : this.buckets.get(at);
    if (!bucket) {
      this.buckets.set(at, (bucket = []));
      heapPush(this.times, at);
    }
    this.recentAt[r] = at;
    this.recent[r] = bucket;
    bucket.push(event);
    this.size++;
  }

  peek(): Event | undefined {
    for (;;) {
      const current = this.current;
      if (current && this.index < current.length) return current[this.index];
      if (current) {
        this.buckets.delete(this.currentAt);
        const r = this.currentAt & (RECENT - 1);
        if (this.recentAt[r] === this.currentAt) {
          this.recentAt[r] = Number.NaN;
          this.recent[r] = undefined;
        }
        this.current = undefined;
      }
      if (this.times.length === 0) return undefined;
      this.currentAt = heapPop(this.times);
      this.current = this.buckets.get(this.currentAt)!;
      this.index = 0;
    }
  }

  pop(): Event | undefined {
    const event = this.peek();
    if (event) {
      this.index++;
      this.size--;
    }
    return event;
  }

  private park(): void {
    this.current!.splice(0, this.index);
    heapPush(this.times, this.currentAt);
    this.current = undefined;
  }
}

/** Recent buckets remembered (a power of two). */
const RECENT = 256;

function heapPush(h: number[], value: number): void {
  h.push(value);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= value) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = value;
}

function heapPop(h: number[]): number {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const m = r < h.length && h[r]! < h[l]! ? r : l;
      if (h[m]! >= last) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
  }
  return top;
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
  readonly shared = new SharedEnvelopes();
  readonly cache = this.shared.cache;
  readonly gridId: Uint8Array;
  /** Observers of every delivered message and every stored announcement (metrics, tests). */
  onDeliver: ((d: Delivery) => void) | undefined;
  onStored: ((node: number, hash: Uint8Array, from: number | undefined) => void) | undefined;
  /** Observer of every output of every node, at simulated time `at`. */
  onOutput: ((node: number, out: Output, at: number) => void) | undefined;
  bytesSent = 0;
  messagesSent = 0;
  messagesLost = 0;

  private readonly queue = new EventQueue();
  private readonly byId = new Map<NodeId, number>();
  /** Each node's linked nodes, by index. */
  private readonly links: Set<number>[] = [];
  private readonly tickAt: number[] = [];
  private readonly options: Required<Omit<SimOptions, 'config' | 'gridId'>> & Pick<SimOptions, 'config'>;
  private readonly config: Partial<CoreConfig>;
  /** The node whose input is being handled, so stored announcements can name the hop they came from. */
  private handlingFrom: number | undefined;

  constructor(options: SimOptions) {
    this.options = {
      latencyMs: 50,
      jitterMs: 10,
      loss: 0,
      dialing: false,
      maxLinks: 16,
      persist: false,
      dissemination: 'eager',
      revocations: false,
      ...options,
    };
    this.config = { ...(this.options.dialing ? {} : { targetLinks: 0 }), ...options.config };
    this.random = seededRandom(options.seed);
    this.gridId = options.gridId ?? sha256(new TextEncoder().encode(`sim-grid-${options.seed}`));
    for (let i = 0; i < options.nodes; i++) this.addNode();
  }

  private addNode(): SimNode {
    const index = this.nodes.length;
    const secretKey = sha256(new TextEncoder().encode(`sim-key-${this.options.seed}-${index}`));
    const signer = nodeSigner(secretKey);
    const node = this.makeCore(signer.publicKey, 0, index);
    const sim: SimNode = {
      index,
      id: node.id,
      secretKey,
      node,
      alive: true,
      reachable: true,
      clockOffsetMs: 0,
      signer,
      persisted: this.options.persist
        ? { counter: 0, announcements: new Map(), history: new Map(), floors: new Map() }
        : undefined,
    };
    this.nodes.push(sim);
    this.byId.set(node.id, index);
    this.links.push(new Set());
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
      config: this.config,
      intern: this.shared.intern,
      tags: this.shared.tags,
      dissemination: this.options.dissemination,
      revocations: this.options.revocations ? noRevocations : undefined,
    });
  }

  /** Node `index`'s local clock now. */
  clock(index: number): number {
    return this.now + this.nodes[index]!.clockOffsetMs;
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
        if (j === i || this.links[i]!.has(j)) continue;
        this.connect(i, j);
        opened++;
        made++;
      }
    }
    return made;
  }

  isLinked(a: number, b: number): boolean {
    return this.links[a]!.has(b);
  }

  /** The nodes linked to `a` now. */
  neighbours(a: number): number[] {
    return [...this.links[a]!];
  }

  /** Changes the probability that a message is lost, from now on. */
  setLoss(loss: number): void {
    this.options.loss = loss;
  }

  degree(a: number): number {
    return this.links[a]!.size;
  }

  connect(a: number, b: number): void {
    if (a === b || this.isLinked(a, b) || !this.nodes[a]!.alive || !this.nodes[b]!.alive) return;
    this.links[a]!.add(b);
    this.links[b]!.add(a);
    this.apply(a, this.nodes[a]!.node.linkUp(this.nodes[b]!.id, this.clock(a)));
    this.apply(b, this.nodes[b]!.node.linkUp(this.nodes[a]!.id, this.clock(b)));
  }

  disconnect(a: number, b: number): void {
    if (!this.isLinked(a, b)) return;
    this.links[a]!.delete(b);
    this.links[b]!.delete(a);
    this.apply(a, this.nodes[a]!.node.linkDown(this.nodes[b]!.id, this.clock(a)));
    this.apply(b, this.nodes[b]!.node.linkDown(this.nodes[a]!.id, this.clock(b)));
  }

  /** Cuts every link between different groups; returns the cut links so `heal` can restore them. */
  partition(groupOf: (index: number) => number): [number, number][] {
    const cut: [number, number][] = [];
    for (const [a, peers] of this.links.entries()) {
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
    const peers = [...this.links[index]!];
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
    this.scheduleTick(index);
  }

  /**
   * A crashed node starts again as the browser node does after a reload: a new core, restored from what
   * it persisted (floors, then announcements with their receipt times, then connection history), which
   * announces itself anew.
   */
  reload(index: number): void {
    const sim = this.nodes[index]!;
    const saved = sim.persisted;
    if (!saved) throw new Error('reload needs the persist option');
    if (sim.alive) this.crash(index);
    const core = this.makeCore(sim.signer.publicKey, saved.counter, index);
    const now = this.clock(index);
    for (const [id, floor] of saved.floors) core.restoreFloor(id, floor.seqnum, floor.until);
    for (const a of saved.announcements.values())
      core.restore(a.envelope, a.receivedAt, this.shared.verify, now);
    for (const [id, history] of saved.history) core.restoreHistory(id, history);
    sim.node = core;
    sim.alive = true;
    this.tickAt[index] = Number.POSITIVE_INFINITY;
    // As the browser node does on start: a new announcement, above every seqnum it published before.
    this.announce(index);
  }

  /**
   * Starts the grid settled, as one that has run a while: every live node holds every other live node's
   * current announcement, restored through `GossipNode.restore` — the path a browser node takes from
   * IndexedDB, where every check of §3 still runs — as received now. Nothing is sent, and no origin has a
   * tree yet (trees are not persisted): an origin's next version builds its tree. Call after every node
   * has announced and before links are made, so that no gossip races the restores. Returns how many
   * announcements were restored; throws if one was refused, which would be a bug.
   */
  restoreEveryone(): number {
    const live = this.live();
    const envelopes = live.map((n) => n.node.envelopeOf(n.id));
    let restored = 0;
    for (const sim of live) {
      const now = this.clock(sim.index);
      for (const [i, envelope] of envelopes.entries()) {
        if (live[i] === sim || !envelope) continue;
        if (!sim.node.restore(envelope, now, this.shared.verify, now))
          throw new Error(`restoreEveryone: node ${sim.index} refused node ${live[i]!.index}'s announcement`);
        restored++;
      }
      this.scheduleTick(sim.index);
    }
    return restored;
  }

  /**
   * The settled start of `bench:sim` and `bench:faults`: every node announces `services` with no link up,
   * every node restores everyone's announcement (`restoreEveryone`), then the overlay of about `links`
   * links per node comes up.
   */
  startSettled(links: number, services: Services): void {
    for (const n of this.nodes) this.setServices(n.index, services);
    this.restoreEveryone();
    this.randomOverlay(links);
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
    if (sim.persisted) sim.persisted.counter = prepared.seqnum;
    this.apply(index, sim.node.acceptOwn(envelope, this.clock(index)));
  }

  publish(index: number, service: string, params: Record<string, string> = {}): void {
    this.apply(index, this.nodes[index]!.node.publish(service, params));
  }

  setServices(index: number, services: Services): void {
    for (const [name, params] of Object.entries(services)) this.nodes[index]!.node.publish(name, params);
    this.announce(index);
  }

  /** Delivers `bytes` from `from` to `to` after the usual delay, as if `from`'s core had sent them (a hostile node). */
  inject(from: number, to: number, bytes: Uint8Array): void {
    const delay = this.options.latencyMs + Math.floor(this.random.next() * this.options.jitterMs);
    this.queue.push({ at: this.now + delay, kind: 'deliver', from, to, bytes });
  }

  /** The indices of `index`'s links. */
  linksOf(index: number): number[] {
    return [...this.links[index]!];
  }

  /**
   * Runs `fn` at `time`, rounded down to a whole millisecond: every time in the simulation is whole, as
   * in the core (a fractional one made every later time fractional, and each held entry's receipt time
   * a boxed number rather than a small integer).
   */
  at(time: number, fn: () => void): void {
    this.queue.push({ at: Math.floor(time), kind: 'call', fn });
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
          to.node.receive(this.nodes[event.from]!.id, event.bytes, this.clock(event.to), this.shared.verify),
        );
        this.handlingFrom = undefined;
        return;
      }
      case 'tick': {
        if (this.tickAt[event.node] !== event.at) return;
        this.tickAt[event.node] = Number.POSITIVE_INFINITY;
        const sim = this.nodes[event.node]!;
        if (sim.alive) this.apply(event.node, sim.node.tick(this.clock(event.node)));
        return;
      }
      case 'call':
        event.fn();
        return;
    }
  }

  private apply(index: number, outputs: readonly Output[]): void {
    const sim = this.nodes[index]!;
    const saved = sim.persisted;
    for (const out of outputs) {
      this.onOutput?.(index, out, this.now);
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
          const delay = this.options.latencyMs + Math.floor(this.random.next() * this.options.jitterMs);
          this.queue.push({
            at: this.now + delay,
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
          saved?.announcements.set(nodeIdString(out.origin), {
            envelope: out.envelope,
            receivedAt: out.receivedAt,
          });
          this.onStored?.(index, out.hash, this.handlingFrom);
          break;
        case 'forgotten':
          saved?.announcements.delete(out.id);
          saved?.history.delete(out.id);
          if (out.floor) saved?.floors.set(out.id, out.floor);
          break;
        case 'history':
          saved?.history.set(out.id, { ...out.history });
          break;
        case 'dial':
          this.dial(index, out.id);
          break;
        case 'dial-timeout':
        case 'flagged':
          break;
      }
    }
    this.scheduleTick(index);
  }

  /** A dial is answered after a round trip if both ends are up and reachable and the peer has room. */
  private dial(from: number, id: NodeId): void {
    const to = this.byId.get(id);
    if (to === undefined) return;
    const rtt = 2 * this.options.latencyMs;
    this.queue.push({
      at: this.now + rtt,
      kind: 'call',
      fn: () => {
        const a = this.nodes[from]!;
        const b = this.nodes[to]!;
        if (!a.alive || !b.alive || !a.reachable || !b.reachable) return;
        if (this.degree(to) >= this.options.maxLinks) {
          this.apply(from, a.node.linkFailed(b.id, this.clock(from)));
          return;
        }
        this.connect(from, to);
      },
    });
  }

  private scheduleTick(index: number): void {
    const sim = this.nodes[index]!;
    if (!sim.alive) return;
    const at = Math.max(this.now, sim.node.nextDeadline() - sim.clockOffsetMs);
    if (!Number.isFinite(at) || at >= this.tickAt[index]!) return;
    this.tickAt[index] = at;
    this.queue.push({ at, kind: 'tick', node: index });
  }

  // ——— Measures ————————————————————————————————————————————————————————————————————————————————————

  live(): SimNode[] {
    return this.nodes.filter((n) => n.alive);
  }

  /** Fraction of live nodes that hold every live origin's newest announcement (its own current one). */
  coverage(): number {
    const live = this.live();
    const newest = live.map((o) => [o.signer.publicKey, o.node.heldHash(o.signer.publicKey)] as const);
    const wanted = new Set(newest.map(([, hash]) => hash));
    let complete = 0;
    for (const sim of live) if (this.holds(sim.index, newest, wanted)) complete++;
    return live.length === 0 ? 1 : complete / live.length;
  }

  /**
   * Whether node `index` holds every version of `newest` (origin key, hash). With `wanted` (the set of
   * those hashes) its table is read in one pass, counting the hashes that are those objects (nodes share
   * the hash objects of equal envelopes); only if the count falls short is each origin looked up, where
   * equal bytes in another object still count. Looking up every origin at every node was 10^8 lookups,
   * minutes, at 10,000 nodes; a pass costs the whole table, so it is for checks of many origins.
   */
  holds(
    index: number,
    newest: readonly (readonly [Uint8Array, Uint8Array | undefined])[],
    wanted?: ReadonlySet<Uint8Array | undefined>,
  ): boolean {
    const node = this.nodes[index]!.node;
    if (wanted) {
      let count = 0;
      node.forEachHeldHash((hash) => void (wanted.has(hash) && count++));
      if (count === newest.length) return true;
    }
    return newest.every(([key, hash]) => hash !== undefined && sameBytes(node.heldHash(key), hash));
  }

  /** Each live node's view as origin → seqnum, for comparing what nodes hold. */
  views(): Map<NodeId, number>[] {
    return this.live().map((sim) => new Map(sim.node.getPeers().map((p) => [p.id, p.seqnum] as const)));
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  // Nodes share held envelopes (shared-envelopes.ts): equal hashes are mostly the same object.
  if (a === b) return true;
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
