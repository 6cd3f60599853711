/**
 * The mesh: which peers this node is linked to, and how links come to be.
 *
 * Finding peers. The core decides whom to dial (its reconnect order, a few at a time); `dial` sends those
 * peers a directed `hello` through the signaling relays (sealed, see signaling.ts), held until a relay is
 * open. Only when the core has nobody left to try (`wantsDiscovery`) does the mesh broadcast `hello`, when
 * a relay opens and every `helloIntervalMs` while it has room, so that a restarted node reaches the peers
 * it saw last before anyone else, and a new node finds the grid. Between two nodes the one with the smaller
 * id always makes the WebRTC offer, so hellos never echo back and forth and two nodes never make crossing
 * offers (mesh-answers.ts: how each hello, signal and `full` is answered).
 *
 * Signaling is signed (signed-signaling.ts). A link counts as up — and the core hears of it — only when
 * its proof verifies and `admit` accepts the membership (PROTOCOL.md §9, mesh-attempt.ts).
 *
 * Sessions and attempts. Every start of a mesh picks a random session id, signed into its every message,
 * so a peer's restart is told apart from its old link; each offer carries a fresh attempt id, counted, so
 * a later one is known to be later (mesh-answers.ts).
 *
 * Through the mesh (PROTOCOL.md §10, mesh-signaling.ts). A node with a link dials by sending a directed
 * hello through its links instead of the relay; the relay is tried only if the mesh had no way or no
 * answer came within `meshFallbackMs` (mesh-dials.ts).
 *
 * Frames inside a PeerLink message: mesh-frames.ts.
 */
import { concatBytes, toHex } from '../core/bytes.ts';
import type { NodeId } from '../core/identity.ts';
import { type AnswerHost, MeshAnswers } from './mesh-answers.ts';
import {
  type Attempt,
  type AttemptHost,
  AttemptLog,
  linksStatus,
  startAttempt,
  type Via,
} from './mesh-attempt.ts';
import type { MeshEvents, MeshOptions } from './mesh-options.ts';
import { ChannelError } from './peer-link.ts';
import { ByteCounts, dispatchFrame, type FrameSinks, gossipFrame, isNodeFrame } from './mesh-frames.ts';
import { MeshDials } from './mesh-dials.ts';
import { type Asking, Room } from './mesh-room.ts';
import { MeshSignaling } from './mesh-signaling.ts';
import { SignalingClient, type SignalingStatus } from './signaling.ts';

export type { MeshEvents, MeshOptions } from './mesh-options.ts';
export { attemptOrder } from './mesh-attempt.ts';
import { SignedSignaling } from './signed-signaling.ts';

export { FRAME_NODE_FIRST, FRAME_NODE_LAST } from './mesh-frames.ts';
/** How long a slot made for a peer is held for it: its hello and offer take a few mesh trips. */
const RESERVE_MS = 5_000;
/** How many ended or up attempts `status().attempts` shows. */
const RECENT_ATTEMPTS = 12;

export class Mesh {
  private readonly links = new Map<NodeId, Attempt>();
  private readonly signaling: SignalingClient;
  private readonly signed: SignedSignaling;
  private helloTimer: ReturnType<typeof setInterval> | undefined;
  readonly maxLinks: number;
  private readonly session = toHex(crypto.getRandomValues(new Uint8Array(8)));
  private relayOpen = false;
  private readonly room: Room;
  /** Attempts this mesh offered: the first part of their ids (`attemptOrder`). */
  private attemptCount = 0;
  private readonly dials: MeshDials;
  readonly meshSignaling: MeshSignaling;
  private readonly attemptHost: AttemptHost;
  private readonly answers: MeshAnswers;
  readonly dropped: Record<string, number> = {};
  /** Bytes handed to links, by what they carried (gossip by message type, node and mesh frames by kind). */
  private readonly sentBytes = new ByteCounts();
  /** The newest attempts that came up or ended, and links that went down. */
  private readonly recent = new AttemptLog(RECENT_ATTEMPTS);
  private readonly frames: FrameSinks;

  constructor(
    private readonly options: MeshOptions,
    private readonly events: MeshEvents,
  ) {
    this.maxLinks = options.maxLinks ?? 12;
    this.attemptHost = this.hostForAttempts();
    this.answers = new MeshAnswers(this.hostForAnswers());
    this.dials = new MeshDials({
      selfId: options.selfId,
      meshFallbackMs: options.meshFallbackMs ?? 2_500,
      pending: (peer) => this.links.has(peer),
      refused: (peer) => options.refused?.(peer) ?? false,
      hasRoomFor: (peer) => this.hasRoomFor(peer),
      relayOpen: () => this.relayOpen,
      canRoute: () => this.meshSignaling.canRoute(),
      unlinked: (peer) => options.linkedInMesh?.(peer) === false,
      meshHello: (peer) => this.meshSignaling.send({ t: 'hello', ...this.degreeFor(peer) }, peer),
      relayOffer: (peer) => void this.connect(peer),
      relayHello: (peer) => this.hello(peer),
      failed: (peer, reason) => this.events.failed(peer, reason),
      count: (reason) => this.count(reason),
    });
    this.room = new Room({
      maxLinks: this.maxLinks,
      targetLinks: options.targetLinks ?? 0,
      evictEveryMs: options.evictEveryMs ?? 2_000,
      reserveMs: RESERVE_MS,
    });
    this.signaling = new SignalingClient({
      relays: options.relays,
      gridId: options.gridId,
      selfId: options.selfId,
      onMessage: (from, payload, info) => this.signed.receive(from, payload, info.direct),
      onStatus: (status) => this.onSignalingStatus(status),
    });
    this.signed = new SignedSignaling({
      transport: this.signaling,
      signer: options.signer,
      verifier: options.verifier,
      gridId: options.gridId,
      selfId: options.selfId,
      session: this.session,
      onMessage: (from, payload, info) =>
        this.answers.receive(from, payload, info.direct, info.session, 'relay'),
    });
    this.meshSignaling = new MeshSignaling({
      selfId: options.selfId,
      signer: options.signer,
      verifier: options.verifier,
      gridId: options.gridId,
      session: this.session,
      links: () => this.peers(),
      known: (id) => options.known?.(id) ?? true,
      sendFrame: (peer, frame) => {
        const attempt = this.links.get(peer);
        if (!attempt?.up) return false;
        this.sentBytes.add('mesh', frame[0] ?? 0, frame.length);
        return attempt.link.send(frame);
      },
      onSignal: (from, payload, session) => this.answers.receive(from, payload, true, session, 'mesh'),
    });
    this.frames = {
      gossip: (peer, body) => events.message(peer, body),
      node: (peer, kind, body) => events.frame?.(peer, kind, body),
      signaling: this.meshSignaling,
      count: (reason) => this.count(reason),
    };
  }

  start(): void {
    this.signaling.start();
    this.helloTimer = setInterval(() => this.discover(), this.options.helloIntervalMs ?? 15_000);
  }

  stop(): void {
    clearInterval(this.helloTimer);
    this.signaling.stop();
    this.meshSignaling.stop();
    this.dials.stop();
    for (const [peer, attempt] of [...this.links]) {
      this.links.delete(peer);
      attempt.link.close();
    }
  }

  /** Linked (proved) peers. */
  peers(): NodeId[] {
    return [...this.links].filter(([, a]) => a.up).map(([id]) => id);
  }

  /** Whether this node has its most links (attempts and slots held for someone included). */
  full(): boolean {
    return !this.hasRoomFor(undefined);
  }

  /** Whether an attempt with `peer` fits under `maxLinks` (mesh-room.ts). */
  private hasRoomFor(peer: NodeId | undefined): boolean {
    return this.room.hasRoomFor(peer, this.links, Date.now());
  }

  /**
   * A person asks for a link to `peer` (`gridNode.link(id)`): false if this node is full and cannot make
   * room. A full node lets go of the neighbour with the most links (more than `targetLinks`), as it does
   * for a newcomer (unless `evict` is false); the request then says `ask`, so a full `peer` makes room
   * the same way.
   */
  ask(peer: NodeId, evict = true): boolean {
    if (!this.hasRoomFor(peer) && !(evict && this.evictSurplus('evicted-for-asked'))) return false;
    this.room.reserve(peer, Date.now());
    this.dials.asking(peer);
    this.dial([peer]);
    return true;
  }

  /** What a hello or offer tells `peer`: this node's link count, and whether a person asked for it. */
  private degreeFor(peer: NodeId | undefined): { k: number; ask?: 1 } {
    const k = this.peers().length;
    return this.dials.wasAsked(peer) ? { k, ask: 1 } : { k };
  }

  /** Whether a dial could go anywhere now: through a link, or a relay. */
  canSignal(): boolean {
    return this.relayOpen || this.meshSignaling.canRoute();
  }

  /** Asks `peers` to link with us (mesh-dials.ts). */
  dial(peers: readonly NodeId[], viaRelay = false): void {
    this.dials.dial(peers, viaRelay);
  }

  /** Whether an attempt with `peer` is under way (made, answered or waiting for an answer) or up. */
  attempting(peer: NodeId): boolean {
    return this.links.has(peer) || this.dials.waiting(peer);
  }

  /** Gives up an attempt that has not become a link (the dialer's timeout); its end is not a failure. */
  abandon(peer: NodeId): void {
    this.dials.abandon(peer);
    const attempt = this.links.get(peer);
    if (!attempt || attempt.up) return;
    attempt.abandoned = true;
    this.links.delete(peer);
    attempt.link.close();
  }

  /** Broadcasts a hello if there is room and the dialer has nobody left to try. */
  private discover(): void {
    if (this.relayOpen && this.links.size < this.maxLinks && (this.options.wantsDiscovery?.() ?? true))
      this.hello();
  }

  send(peer: NodeId, bytes: Uint8Array): boolean {
    const attempt = this.links.get(peer);
    if (!attempt?.up) return false;
    this.sentBytes.add('gossip', bytes[0] ?? 0, bytes.length);
    // A full queue drops the message; anti-entropy repairs what it carried, so count and go on.
    const sent = attempt.link.send(gossipFrame(bytes));
    if (!sent) this.count('send-queue-full');
    return sent;
  }

  /** A frame of the node's own (kind 0x30–0x3f) to a proved link; false if not sent. */
  sendFrame(peer: NodeId, kind: number, body: Uint8Array): boolean {
    const attempt = this.links.get(peer);
    if (!attempt?.up || !isNodeFrame(kind)) return false;
    this.sentBytes.add('node', kind, body.length);
    return attempt.link.send(concatBytes(new Uint8Array([kind]), body));
  }

  /** Opens a service's own data channel on the link to `peer`, which must be up (proved). */
  channel(peer: NodeId, label: string, id: number): RTCDataChannel {
    const attempt = this.links.get(peer);
    if (!attempt?.up) throw new ChannelError(`no link to ${peer}`);
    return attempt.link.openChannel(label, id);
  }

  close(peer: NodeId): void {
    this.links.get(peer)?.link.close();
  }

  status() {
    return {
      signaling: this.signaling.status(),
      links: this.links.size,
      up: this.peers().length,
      dropped: { ...this.dropped },
      ...linksStatus(this.peers().map((peer) => this.links.get(peer)!)),
      /** Signaling messages refused by signature, recipient, window or counter (signed-signaling.ts). */
      unsigned: { ...this.signed.dropped },
      /** Signaling through the mesh: frames originated, forwarded, delivered, flooded, refused. */
      routed: this.meshSignaling.status(),
      /**
       * The newest attempts that came up or ended, and links that went down: by which path, who offered,
       * how long each step took.
       */
      attempts: this.recent.list(),
      /** Bytes handed to links since the mesh started, by what they carried. */
      sent: this.sentBytes.snapshot(),
    };
  }

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  private hello(to?: NodeId, via: Via = 'relay'): void {
    this.sendVia(via, { t: 'hello', ...this.degreeFor(to) }, to);
  }

  /**
   * Full, and `peer`'s hello or offer earns it a slot (mesh-room.ts): closes the link to a neighbour whose
   * list shows more than `targetLinks`, so the newcomer gets a slot and nobody drops below the target.
   */
  private makeRoom(peer: NodeId, message: Asking): boolean {
    const now = Date.now();
    if (!this.room.mayEvictFor(message, this.options.known?.(peer) ?? true, now)) return false;
    if (!this.evictSurplus('evicted-for-newcomer')) return false;
    this.room.evicted(peer, now);
    return true;
  }

  /**
   * Closes the link to a neighbour with more than `targetLinks` links whose leaving keeps the mesh whole
   * (`MeshSignaling.surplus`).
   */
  private evictSurplus(reason: string): boolean {
    const victim = this.meshSignaling.surplus(
      this.peers(),
      this.options.targetLinks ?? 0,
      this.options.keepsWithout,
    );
    const attempt = victim && this.links.get(victim);
    if (!attempt) return false;
    this.count(reason);
    this.replace(victim, attempt);
    return true;
  }

  /** A signed message on the relays, or (directed only) through the mesh. */
  private sendVia(via: Via, payload: { t: string } & Record<string, unknown>, to?: NodeId): void {
    const sent = via === 'mesh' && to ? this.meshSignaling.send(payload, to) : this.signed.send(payload, to);
    sent.catch(() => this.count(`${payload.t}-not-sent`));
  }

  private onSignalingStatus(status: SignalingStatus): void {
    const wasOpen = this.relayOpen;
    this.relayOpen = status.relays.some((r) => r.state === 'open');
    if (this.relayOpen) {
      this.dials.relayOpened();
      // A relay (re)opened: announce ourselves there, so peers behind it can find us.
      this.discover();
    } else if (wasOpen) this.relayLost();
    this.events.signaling?.(status);
  }

  /**
   * The last relay closed: an attempt signaled through it whose link has not opened cannot finish its
   * exchange, and would hold its slot until its connect timeout. It fails now, so the dialer tries again
   * (through the mesh).
   */
  private relayLost(): void {
    for (const [peer, attempt] of [...this.links]) {
      if (attempt.up || attempt.via !== 'relay' || attempt.link.state !== 'connecting') continue;
      this.count('relay-lost');
      this.replace(peer, attempt);
      this.events.failed(peer, 'relay-lost');
    }
  }

  /** Sends a signed, sealed signaling message to one node, or to the grid. */
  sendSignal(payload: Record<string, unknown>, to?: NodeId): void {
    this.signed.send(payload, to).catch(() => this.count('signal-not-sent'));
  }

  /** Ends `attempt` for a new one: a link that was up goes down; one that was not is not a failure. */
  private replace(peer: NodeId, attempt: Attempt): void {
    this.links.delete(peer);
    if (!attempt.up) attempt.abandoned = true;
    attempt.link.close();
  }

  private connect(
    peer: NodeId,
    initiator = true,
    session?: string,
    cid = `${(++this.attemptCount).toString(36)}-${toHex(crypto.getRandomValues(new Uint8Array(6)))}`,
    via: Via = 'relay',
  ): Attempt {
    const attempt = startAttempt(this.attemptHost, peer, initiator, session, cid, via);
    this.links.set(peer, attempt);
    return attempt;
  }

  /** How answering (mesh-answers.ts) reaches this mesh. */
  private hostForAnswers(): AnswerHost {
    return {
      options: this.options,
      events: this.events,
      links: this.links,
      count: (reason) => this.count(reason),
      roomFor: (peer, message) => this.hasRoomFor(peer) || this.makeRoom(peer, message),
      replace: (peer, attempt) => this.replace(peer, attempt),
      sendVia: (via, payload, to) => this.sendVia(via, payload, to),
      hello: (to, via) => this.hello(to, via),
      connect: (peer, initiator, session, cid, via) => this.connect(peer, initiator, session, cid, via),
      answered: (peer) => this.dials.answered(peer),
    };
  }

  /** How attempts (mesh-attempt.ts) reach this mesh. */
  private hostForAttempts(): AttemptHost {
    return {
      options: this.options,
      count: (reason) => this.count(reason),
      signal: (a, data) =>
        this.sendVia(a.via, { t: 'signal', c: a.cid, data, ...this.degreeFor(a.peer) }, a.peer),
      current: (a) => this.links.get(a.peer) === a,
      rtt: (a, ms) => this.events.rtt(a.peer, ms),
      up: (a) => {
        this.recent.note(a, 'up');
        this.dials.linked(a.peer);
        this.meshSignaling.linksChanged();
        this.events.up(a.peer);
      },
      closed: (a, reason) => {
        this.recent.note(a, a.up ? `down (${reason})` : a.abandoned ? `abandoned (${reason})` : reason);
        if (this.links.get(a.peer) === a) this.links.delete(a.peer);
        if (a.up) this.meshSignaling.linkDown(a.peer);
        if (a.up) this.events.down(a.peer, reason);
        else if (!a.abandoned) this.events.failed(a.peer, reason);
      },
      frame: (a, kind, body) => dispatchFrame(this.frames, a.peer, a.up, kind, body),
    };
  }
}
