/**
 * The runtime of one grid: it gives the pure core (`src/core`) time, bytes, signatures and memory, and
 * applies what the core returns.
 *
 * Invariants:
 * - Every input to the core runs in one promise queue, so the asynchronous steps around it (signing, the
 *   durable counter write) never interleave with another input. Verifying a link's message happens
 *   before it joins that queue, in the link's own line (link-inbox.ts), so one link's slow messages
 *   never hold up another's; a link's messages reach the core in the order they came.
 * - The counter is written durably before an announcement with that seqnum is signed, so a crash never
 *   leaves the counter behind a published seqnum.
 * - The core's clock is wall time (receipt times are persisted) that never goes backwards; one timer
 *   stands at `nextDeadline()` (at most a minute away) after every input.
 * - What storage hands back is verified again before the core sees it (storage is not trusted more than
 *   peers), and floors are restored before announcements, so a forgotten node that a lost write left on
 *   disk stays forgotten.
 * - Every signature a message carries (ANNOUNCE envelopes and their membership fields, REVOKED records)
 *   is verified asynchronously (natively, cached, within budgets: receive-budgets.ts) before the core reads
 *   it; envelopes over a budget or repeated within the message are taken out first. The core's own checks
 *   then only look results up. Other messages go to the core decoded once.
 * - Connection history is kept and persisted only for ids the core holds an announcement of: made-up ids
 *   (a dial that never became a member) leave no record behind.
 */
import {
  type AdmitFn,
  type CoreConfig,
  GossipNode,
  type NodeId,
  type Output,
  type Services,
  decodeMessage,
  encodeAnnounce,
  encodeEnvelope,
  MessageType,
  nodeIdString,
} from '../core/index.ts';
import { decodeRevocationMessage, isRevocationMessage, REVOKED } from '../core/revocation-sync.ts';
import type { RevocationSet } from '../core/index.ts';
import { defaultVerifier, type Signer } from '../crypto/ed25519.ts';
import type { VerificationCache } from '../crypto/verify-cache.ts';
import { Mesh, type MeshEvents } from '../net/mesh.ts';
import type { NodeStore } from '../store/index.ts';
import { LinkInbox } from './link-inbox.ts';
import type { Preverifier } from './receive-budgets.ts';
import { yieldToHost } from './yield-to-host.ts';
import { cryptoRandom, type DialRecord } from './types.ts';

const MAX_DIAL_RECORDS = 64;
// Envelopes the core takes in one input (one task): each costs it a hash, a decode and the membership
// rules (cached signatures), so a 250 KiB ANNOUNCE of verified envelopes is handed over in parts with a
// turn of the event loop between them.
const CORE_SLICE_ENVELOPES = 32;
const MAX_TIMER_MS = 60_000;

export interface RuntimeDeps {
  store: NodeStore;
  signer: Signer;
  publicKey: Uint8Array;
  cache: VerificationCache;
  /** Verifies what a message carries before the core, within budgets (receive-budgets.ts). */
  preverifier: Preverifier;
  /** Events for the page: `announcement`, `flagged`. */
  emit(type: string, detail: unknown): void;
  forgotten(id: NodeId): void;
  changed(): void;
}

/** What one grid's run needs besides the node's own parts. */
export interface RunOptions {
  gridId: Uint8Array;
  gridHex: string;
  nickname: string;
  services: Services;
  membership: Uint8Array;
  admit: AdmitFn | undefined;
  /** The grid's revocation set, reconciled over links by the core. */
  revocations?: RevocationSet | undefined;
  /** Set while saved announcements are restored (members restored are not news). */
  restoring(flag: boolean): void;
  config: Partial<CoreConfig> | undefined;
  relays: string[];
  iceServers: RTCIceServer[];
  iceTransportPolicy: 'relay' | 'all';
  maxLinks: number | undefined;
  /** What a link presents and how a proved peer is admitted (PROTOCOL.md §9; see link-admission.ts). */
  linkMembership(): Uint8Array;
  admitLink(peer: NodeId, membership: Uint8Array): Promise<string | undefined>;
  /** Whether a peer is known as a member (attempts its hellos start are capped otherwise). */
  knownMember(peer: NodeId): boolean;
  /** Whether a neighbour stays reachable without this node's link to it (mesh-upkeep.ts). */
  keepsWithout?(peer: NodeId): boolean | undefined;
  /** Whether a member is linked to anyone, as the members announce (mesh-upkeep.ts). */
  linkedInMesh?(peer: NodeId): boolean | undefined;
  /** The mesh's links and requests; messages, failed dials and RTTs the runtime handles itself. */
  events: Pick<MeshEvents, 'up' | 'down' | 'request' | 'frame'>;
}

export class Runtime {
  core: GossipNode | undefined;
  mesh: Mesh | undefined;
  readonly dials: DialRecord[] = [];
  readonly rtts = new Map<NodeId, number>();
  /** Links' messages being verified, each link in its own line. */
  readonly inbox: LinkInbox;
  private gridHex = '';
  private queue: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private clock = 0;
  private announcing = false;
  private announceAgain = false;
  private restoring = false;

  constructor(private readonly deps: RuntimeDeps) {
    this.inbox = new LinkInbox(() => deps.preverifier.countDrop('link-backlog'));
  }

  /** Starts the core with its saved state, the mesh, and a first announcement. Runs inside the queue. */
  async start(run: RunOptions): Promise<void> {
    const { store, cache } = this.deps;
    this.gridHex = run.gridHex;
    const core = new GossipNode({
      publicKey: this.deps.publicKey,
      gridId: run.gridId,
      random: cryptoRandom,
      counter: await store.loadCounter(run.gridHex),
      nickname: run.nickname,
      services: run.services,
      membership: run.membership,
      // Leaves room for the link's frame bytes under the data channel's 256 KiB message limit.
      config: { maxMessageBytes: 250 * 1024, ...run.config },
      // The seqnum budget stands in front of the membership rule (open grids included).
      admit: this.deps.preverifier.admitWithBudget(run.admit, () => this.restoring),
      ...(run.revocations ? { revocations: run.revocations } : {}),
    });
    const saved = await store.loadAnnouncements(run.gridHex);
    await this.deps.preverifier.stored(
      saved.map((s) => s.envelope),
      core.config.maxBodyBytes,
    );
    const now = this.now();
    for (const [peer, floor] of await store.loadFloors(run.gridHex)) {
      if (floor.until > now) core.restoreFloor(peer, floor.seqnum, floor.until);
      else store.queueFloorExpired(run.gridHex, peer);
    }
    run.restoring(true);
    this.restoring = true;
    for (const s of saved) core.restore(s.envelope, s.receivedAt, cache.lookup, now);
    this.restoring = false;
    run.restoring(false);
    for (const [peer, history] of await store.loadPeerHistory(run.gridHex)) {
      // Only for ids with an admitted announcement: history of made-up ids is not restored (and goes).
      if (core.envelopeOf(peer)) core.restoreHistory(peer, history);
      else store.queueForget(run.gridHex, peer);
    }
    this.core = core;
    this.mesh = new Mesh(
      {
        selfId: nodeIdString(this.deps.publicKey),
        signer: this.deps.signer,
        verifier: await defaultVerifier(),
        gridId: run.gridId,
        relays: run.relays,
        iceServers: run.iceServers,
        iceTransportPolicy: run.iceTransportPolicy,
        ...(run.maxLinks ? { maxLinks: run.maxLinks } : {}),
        targetLinks: core.config.targetLinks,
        // Broadcast only when the reconnect order has nobody left to try, so the peers seen last come first.
        wantsDiscovery: () => (this.core?.dialsInFlight ?? 0) === 0,
        membership: run.linkMembership,
        admit: (peer, membership) =>
          this.deps.preverifier.flooded(peer) ? 'link-flooded' : run.admitLink(peer, membership),
        refused: (peer) => this.deps.preverifier.flooded(peer),
        known: run.knownMember,
        ...(run.keepsWithout ? { keepsWithout: run.keepsWithout } : {}),
        ...(run.linkedInMesh ? { linkedInMesh: run.linkedInMesh } : {}),
      },
      {
        ...run.events,
        rtt: (peer, ms) => {
          this.rtts.set(peer, ms);
          this.core?.recordRtt(peer, ms);
        },
        failed: (peer, reason) => {
          this.dialEnded(peer, 'failed', reason);
          void this.input((c, now) => c.linkFailed(peer, now));
        },
        message: (peer, bytes) => void this.receive(peer, bytes),
      },
    );
    this.mesh.start();
    // Not awaited: this runs inside the input queue, where the announcement queues behind it.
    void this.announce();
    // The first tick dials the peers seen last (rule 2).
    void this.input((c, now) => c.tick(now));
  }

  /** Ends the run (links closed, timer cleared) and flushes the store. Runs inside the queue. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.mesh?.stop();
    this.mesh = undefined;
    this.core = undefined;
    await this.deps.store.flush();
  }

  /** The queue every input runs in. */
  enqueue<T>(task: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch((error) => console.error('gridnode: input failed', error));
    return run;
  }

  /** Resolves once everything queued so far has run. */
  idle(): Promise<unknown> {
    return this.queue;
  }

  /** Runs one synchronous core input in the queue and applies its outputs. */
  input(step: (core: GossipNode, now: number) => Output[]): Promise<void> {
    return this.enqueue(() => {
      if (this.core) this.apply(step(this.core, this.now()));
    });
  }

  /** Local clock for the core: wall time, never going backwards. */
  now(): number {
    this.clock = Math.max(this.clock, Date.now());
    return this.clock;
  }

  /** Records how the newest pending dial to `id` ended, for `stats().dials`. */
  dialEnded(id: NodeId, outcome: DialRecord['outcome'], reason?: string): void {
    for (let i = this.dials.length - 1; i >= 0; i--) {
      const dial = this.dials[i]!;
      if (dial.id !== id) continue;
      if (dial.outcome !== 'pending') return;
      dial.outcome = outcome;
      if (reason !== undefined) dial.reason = reason.slice(0, 64);
      return;
    }
  }

  private receive(peer: NodeId, bytes: Uint8Array): void {
    // Before anything: over its byte budget, a link's message costs nothing but this check; a link that
    // keeps sending past it is closed.
    const budget = this.deps.preverifier.admitBytes(peer, bytes.length);
    if (budget === 'close') this.mesh?.close(peer);
    if (budget !== 'ok') return;
    const core = this.core;
    if (!core) return;
    // Verified in the link's own line (link-inbox.ts), then handed to the core in the one input queue, a
    // slice of envelopes per turn of the event loop.
    this.inbox.push(
      peer,
      () => this.preverify(core, peer, bytes),
      (checked) =>
        checked &&
        this.enqueue(async () => {
          for (let i = 0; i < checked.length; i++) {
            if (i > 0) await yieldToHost();
            if (this.core !== core) return;
            this.apply(core.receive(peer, checked[i]!, this.now(), this.deps.cache.lookup));
          }
        }),
    );
  }

  /**
   * Verifies what `bytes` carries within the budgets; returns the messages to hand to the core (an
   * ANNOUNCE rebuilt without the envelopes taken out, in parts of at most `CORE_SLICE_ENVELOPES`), or
   * undefined to drop the message.
   */
  private async preverify(
    core: GossipNode,
    peer: NodeId,
    bytes: Uint8Array,
  ): Promise<Uint8Array[] | undefined> {
    const { preverifier } = this.deps;
    const maxBody = core.config.maxBodyBytes;
    // Only a linked peer's messages are worth any work; the core counts the others as `not-linked`.
    if (bytes.length > core.config.maxMessageBytes) return [bytes];
    // ANNOUNCE (asked for) and PUSH (sent along an eager tree) carry envelopes alike.
    if (bytes[0] === MessageType.Announce || bytes[0] === MessageType.Push) {
      const message = decodeMessage(bytes, maxBody + 128);
      if (!message.ok) return [bytes];
      const { type } = message.value;
      if (type !== MessageType.Announce && type !== MessageType.Push) return [bytes];
      const envelopes = message.value.envelopes;
      const kept = await preverifier.announce(peer, envelopes, maxBody, (origin) => core.heldHash(origin));
      if (kept.length === envelopes.length && kept.length <= CORE_SLICE_ENVELOPES) return [bytes];
      if (kept.length === 0) return undefined;
      const parts: Uint8Array[] = [];
      for (let i = 0; i < kept.length; i += CORE_SLICE_ENVELOPES)
        parts.push(
          encodeAnnounce(kept.slice(i, i + CORE_SLICE_ENVELOPES), Number.MAX_SAFE_INTEGER, type)[0]!,
        );
      return parts;
    }
    if (isRevocationMessage(bytes) && bytes[0] === REVOKED) {
      const message = decodeRevocationMessage(bytes, core.config.maxMessageBytes);
      if (!message.ok || message.value.type !== REVOKED) return [bytes];
      return (await preverifier.revocationRecords(peer, message.value.records)) ? [bytes] : undefined;
    }
    return [bytes];
  }

  private apply(outputs: readonly Output[]): void {
    const { store } = this.deps;
    let changed = false;
    for (const out of outputs) {
      switch (out.type) {
        case 'send':
          this.mesh?.send(out.to, out.bytes);
          break;
        case 'announce-needed':
          void this.announce();
          break;
        case 'stored': {
          const id = nodeIdString(out.origin);
          store.queueAnnouncement(this.gridHex, id, out.envelope, out.receivedAt);
          this.deps.emit('announcement', { id, seqnum: out.seqnum });
          changed = true;
          break;
        }
        case 'forgotten':
          store.queueForget(this.gridHex, out.id, out.floor);
          // Rare, and what keeps the forgotten forgotten: written now rather than with the next batch.
          if (out.floor) void store.flush().catch(() => undefined);
          this.rtts.delete(out.id);
          if (out.floor) queueMicrotask(() => this.deps.forgotten(out.id));
          changed = true;
          break;
        case 'history':
          // Persisted only for members this node holds an announcement of (SECURITY-REVIEW finding 7).
          if (this.core?.envelopeOf(out.id)) store.queuePeerHistory(this.gridHex, out.id, out.history);
          break;
        case 'dial':
          this.dials.push({
            id: out.id,
            at: Date.now(),
            links: this.mesh?.peers().length ?? 0,
            outcome: 'pending',
          });
          if (this.dials.length > MAX_DIAL_RECORDS) this.dials.shift();
          this.mesh?.dial([out.id]);
          break;
        case 'dial-timeout':
          this.dialEnded(out.id, 'timeout');
          this.mesh?.abandon(out.id);
          break;
        case 'flagged':
          this.deps.emit('flagged', { id: out.id, reason: out.reason });
          break;
      }
    }
    this.schedule();
    if (changed) this.deps.changed();
  }

  /** Signs and publishes a new announcement; concurrent requests coalesce into one more. */
  private announce(): Promise<void> {
    if (this.announcing) {
      this.announceAgain = true;
      return Promise.resolve();
    }
    this.announcing = true;
    return this.enqueue(async () => {
      try {
        const core = this.core;
        if (!core) return;
        const prepared = core.prepareAnnouncement();
        await this.deps.store.saveCounter(this.gridHex, prepared.seqnum);
        const signature = await this.deps.signer.sign(prepared.message);
        if (this.core === core) {
          const envelope = encodeEnvelope(this.deps.publicKey, prepared.body, signature);
          this.apply(core.acceptOwn(envelope, this.now()));
        }
      } finally {
        this.announcing = false;
        if (this.announceAgain) {
          this.announceAgain = false;
          void this.announce();
        }
      }
    });
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const core = this.core;
    if (!core) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, core.nextDeadline() - Date.now()));
    this.timer = setTimeout(() => void this.input((c, now) => c.tick(now)), delay);
  }
}
