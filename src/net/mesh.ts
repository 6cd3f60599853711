/**
 * The mesh: which peers this node is linked to, and how links come to be.
 *
 * Finding peers. The core decides whom to dial (its reconnect order, a few at a time); `dial` sends those
 * peers a directed `hello` through the signaling relays (sealed, see signaling.ts), held until a relay is
 * open. Only when the core has nobody left to try (`wantsDiscovery`) does the mesh broadcast `hello`, when
 * a relay opens and every `helloIntervalMs` while it has room, so that a restarted node reaches the peers
 * it saw last before anyone else, and a new node finds the grid. Between two nodes the one with the smaller
 * id always makes the WebRTC offer: on a hello from a larger id it dials; on a broadcast hello from a
 * smaller id it answers with a directed hello, so the smaller one dials. Hellos therefore never echo back
 * and forth, and two nodes never make crossing offers.
 *
 * Proving who is on the other end. The signaling `from` field is only a claim. Once the data channel
 * opens, each side sends a random 32-byte challenge and answers the other's with an ed25519 signature over
 * `gridnode/link/v1\n · gridId · challenge`, by the key its node id names. A link counts as up — and the
 * core hears of it — only when the peer's proof verifies; gossip frames before that are dropped.
 *
 * Sessions. Every start of a mesh picks a random session id, carried in its hellos and signals. A peer
 * that reloads comes back under the same node id while the old link may still look alive here (a closed
 * tab does not always say goodbye; ICE notices only after its consent timeout); a hello or offer from a
 * new session of a linked peer therefore replaces the old link at once.
 *
 * Attempts. Each offer carries a fresh attempt id (`c`), echoed in every signal of that attempt. An offer
 * with a new id replaces the answerer's old attempt, and signals of an attempt given up are ignored. A
 * directed hello means the sender has no attempt with us, so an unanswered offer of ours to it went
 * nowhere (it was restarting): the offerer starts over at once instead of waiting for a timeout.
 *
 * Frames inside a PeerLink message: 0x00 gossip message · 0x10 challenge(32) · 0x11 proof(64).
 */
import { concatBytes, toHex, utf8 } from '../core/bytes.ts';
import { type NodeId, parseNodeId } from '../core/identity.ts';
import type { Signer, Verifier } from '../crypto/ed25519.ts';
import { ChannelError, PeerLink } from './peer-link.ts';
import { SignalingClient, type SignalingStatus } from './signaling.ts';

const FRAME_GOSSIP = 0x00;
const FRAME_CHALLENGE = 0x10;
const FRAME_PROOF = 0x11;
const CHALLENGE_BYTES = 32;
const DOMAIN_LINK = utf8('gridnode/link/v1\n');

export interface MeshOptions {
  selfId: NodeId;
  signer: Signer;
  verifier: Verifier;
  gridId: Uint8Array;
  relays: string[];
  iceServers?: RTCIceServer[];
  /** 'relay' links only through TURN servers among `iceServers` (hides this node's addresses). */
  iceTransportPolicy?: 'relay' | 'all';
  /** Most links at once. A few more than the gossip needs, so churn does not isolate anyone. */
  maxLinks?: number;
  helloIntervalMs?: number;
  maxMessageBytes?: number;
  /** Whether to broadcast hellos now (default: always while there is room for links). */
  wantsDiscovery?: () => boolean;
}

export interface MeshEvents {
  up(peer: NodeId): void;
  down(peer: NodeId, reason: string): void;
  /** A link attempt ended before the peer proved itself. */
  failed(peer: NodeId, reason: string): void;
  message(peer: NodeId, bytes: Uint8Array): void;
  rtt(peer: NodeId, ms: number): void;
  signaling?(status: SignalingStatus): void;
  /** Any other sealed signaling message (`t` is neither hello nor signal), e.g. redemption requests. */
  request?(from: NodeId, message: { t: string } & Record<string, unknown>, direct: boolean): void;
}

interface Attempt {
  link: PeerLink;
  /** The peer's session, once heard in a hello or signal. */
  session: string | undefined;
  /** This attempt's id, in every signal of it. */
  readonly cid: string;
  /** A signal of this attempt has arrived from the peer. */
  answered: boolean;
  challenge: Uint8Array;
  proved: boolean;
  up: boolean;
  /** Given up on by the dialer: its end is not reported as a failure. */
  abandoned: boolean;
}

export class Mesh {
  private readonly links = new Map<NodeId, Attempt>();
  private readonly signaling: SignalingClient;
  private helloTimer: ReturnType<typeof setInterval> | undefined;
  private readonly maxLinks: number;
  private readonly session = toHex(crypto.getRandomValues(new Uint8Array(8)));
  /** Dials asked for while no relay was open. */
  private readonly heldDials = new Set<NodeId>();
  private relayOpen = false;
  readonly dropped: Record<string, number> = {};

  constructor(
    private readonly options: MeshOptions,
    private readonly events: MeshEvents,
  ) {
    this.maxLinks = options.maxLinks ?? 12;
    this.signaling = new SignalingClient({
      relays: options.relays,
      gridId: options.gridId,
      selfId: options.selfId,
      onMessage: (from, payload, info) => this.onSignal(from, payload, info.direct),
      onStatus: (status) => this.onSignalingStatus(status),
    });
  }

  start(): void {
    this.signaling.start();
    this.helloTimer = setInterval(() => this.discover(), this.options.helloIntervalMs ?? 15_000);
  }

  stop(): void {
    clearInterval(this.helloTimer);
    this.signaling.stop();
    for (const [peer, attempt] of [...this.links]) {
      this.links.delete(peer);
      attempt.link.close();
    }
  }

  /** Linked (proved) peers. */
  peers(): NodeId[] {
    return [...this.links].filter(([, a]) => a.up).map(([id]) => id);
  }

  /**
   * Asks `peers` to link with us: the smaller id offers, the larger sends a directed hello. Those already
   * linked or pending are skipped; while no relay is open the dial waits for one.
   */
  dial(peers: readonly NodeId[]): void {
    for (const peer of peers) {
      if (this.links.has(peer) || peer === this.options.selfId) continue;
      if (!this.relayOpen) {
        this.heldDials.add(peer);
        continue;
      }
      if (this.options.selfId < peer) this.connect(peer);
      else this.hello(peer);
    }
  }

  /** Gives up an attempt that has not become a link (the dialer's timeout); its end is not a failure. */
  abandon(peer: NodeId): void {
    this.heldDials.delete(peer);
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
    const frame = new Uint8Array(bytes.length + 1);
    frame[0] = FRAME_GOSSIP;
    frame.set(bytes, 1);
    // A full queue drops the message; anti-entropy repairs what it carried, so count and go on.
    const sent = attempt.link.send(frame);
    if (!sent) this.count('send-queue-full');
    return sent;
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
      /** Per proved link, the ICE candidate types of its selected pair ('relay' = through TURN). */
      candidates: Object.fromEntries(
        this.peers().flatMap((peer) => {
          const types = this.links.get(peer)?.link.stats().candidateTypes;
          return types ? [[peer, types] as const] : [];
        }),
      ),
    };
  }

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  private hello(to?: NodeId): void {
    this.signaling.send({ t: 'hello', s: this.session }, to).catch(() => this.count('hello-not-sent'));
  }

  private onSignalingStatus(status: SignalingStatus): void {
    this.relayOpen = status.relays.some((r) => r.state === 'open');
    if (this.relayOpen) {
      const held = [...this.heldDials];
      this.heldDials.clear();
      this.dial(held);
      // A relay (re)opened: announce ourselves there, so peers behind it can find us.
      this.discover();
    }
    this.events.signaling?.(status);
  }

  private onSignal(from: string, payload: unknown, direct: boolean): void {
    if (!parseNodeId(from)) return this.count('bad-sender');
    const peer = from as NodeId;
    if (peer === this.options.selfId) return;
    const message = payload as { t?: unknown; s?: unknown; data?: unknown } | null;
    if (typeof message !== 'object' || message === null) return this.count('bad-signal');
    if (typeof message.s !== 'string' || message.s.length > 64) return this.count('bad-session');
    const session = message.s;
    let attempt = this.links.get(peer);
    if (attempt?.session !== undefined && attempt.session !== session) {
      // The peer restarted: its old link is dead even if it does not look it yet.
      this.replace(peer, attempt);
      attempt = undefined;
    }
    if (message.t === 'hello') {
      if (attempt && direct && !attempt.up && !attempt.answered && this.options.selfId < peer) {
        this.replace(peer, attempt);
        attempt = undefined;
      }
      if (attempt || this.links.size >= this.maxLinks) return;
      if (this.options.selfId < peer) this.connect(peer, true, session);
      else if (!direct) this.hello(peer);
      return;
    }
    if (message.t === 'signal') {
      const cid = (message as { c?: unknown }).c;
      if (typeof cid !== 'string' || cid.length === 0 || cid.length > 32) return this.count('bad-signal');
      if (attempt && attempt.cid !== cid) {
        // Ours to answer: the offerer started over. Ours to offer: an answer to an offer we gave up.
        if (this.options.selfId < peer) return this.count('stale-signal');
        this.replace(peer, attempt);
        attempt = undefined;
      }
      if (!attempt) {
        // Only the smaller id offers; an offer from a larger id is a confused or hostile peer.
        if (this.options.selfId < peer) return this.count('unexpected-offer');
        if (this.links.size >= this.maxLinks) return this.count('full');
        attempt = this.connect(peer, false, session, cid);
      }
      attempt.session ??= session;
      attempt.answered = true;
      attempt.link.signal(message.data);
      return;
    }
    if (typeof message.t === 'string' && this.events.request) {
      this.events.request(peer, message as { t: string } & Record<string, unknown>, direct);
      return;
    }
    this.count('unknown-signal');
  }

  /** Sends a sealed signaling message to one node, or to the grid. */
  sendSignal(payload: Record<string, unknown>, to?: NodeId): void {
    this.signaling.send({ ...payload, s: this.session }, to).catch(() => this.count('signal-not-sent'));
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
    cid = toHex(crypto.getRandomValues(new Uint8Array(8))),
  ): Attempt {
    const challenge = crypto.getRandomValues(new Uint8Array(CHALLENGE_BYTES));
    const link: PeerLink = new PeerLink(
      {
        initiator,
        iceServers: this.options.iceServers ?? [],
        iceTransportPolicy: this.options.iceTransportPolicy ?? 'all',
        ...(this.options.maxMessageBytes ? { maxMessageBytes: this.options.maxMessageBytes + 1 } : {}),
      },
      {
        signal: (data) => {
          this.signaling
            .send({ t: 'signal', s: this.session, c: cid, data }, peer)
            .catch(() => this.count('signal-not-sent'));
        },
        open: () => link.send(concatBytes(new Uint8Array([FRAME_CHALLENGE]), challenge)),
        message: (bytes) => void this.onFrame(peer, attempt, bytes),
        rtt: (ms) => attempt.up && this.events.rtt(peer, ms),
        close: (reason) => {
          if (this.links.get(peer) === attempt) this.links.delete(peer);
          if (attempt.up) this.events.down(peer, reason);
          else if (!attempt.abandoned) this.events.failed(peer, reason);
        },
      },
    );
    const attempt: Attempt = {
      link,
      session,
      cid,
      answered: false,
      challenge,
      proved: false,
      up: false,
      abandoned: false,
    };
    this.links.set(peer, attempt);
    return attempt;
  }

  private async onFrame(peer: NodeId, attempt: Attempt, frame: Uint8Array): Promise<void> {
    const kind = frame[0];
    const body = frame.subarray(1);
    if (kind === FRAME_GOSSIP) {
      if (attempt.up) this.events.message(peer, body);
      else this.count('gossip-before-proof');
      return;
    }
    if (kind === FRAME_CHALLENGE && body.length === CHALLENGE_BYTES) {
      const proof = await this.options.signer.sign(concatBytes(DOMAIN_LINK, this.options.gridId, body));
      attempt.link.send(concatBytes(new Uint8Array([FRAME_PROOF]), proof));
      return;
    }
    if (kind === FRAME_PROOF && body.length === 64 && !attempt.proved) {
      attempt.proved = true;
      const key = parseNodeId(peer)!;
      const message = concatBytes(DOMAIN_LINK, this.options.gridId, attempt.challenge);
      if (!(await this.options.verifier.verify(key, message, body))) {
        this.count('bad-proof');
        attempt.link.close();
        return;
      }
      if (this.links.get(peer) !== attempt || attempt.link.state !== 'open') return;
      attempt.up = true;
      this.events.up(peer);
      return;
    }
    this.count('bad-frame');
  }
}
