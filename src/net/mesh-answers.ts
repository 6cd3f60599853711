/**
 * How a mesh (mesh.ts) answers the signed messages it receives, on the relays or through the mesh: a
 * hello, a signal of an attempt (offer, answer or ICE candidate), `full`, and requests for the node above.
 *
 * Who offers. Between two nodes the one with the smaller id always makes the WebRTC offer: on a hello
 * from a larger id it dials; on a broadcast hello from a smaller id it answers with a directed hello, so
 * the smaller one dials. Hellos therefore never echo back and forth, and two nodes never make crossing
 * offers. Through the mesh both sides say hello (the offerer needs the answerer's sealing key), so a hello
 * there from a smaller id is answered with one. Every attempt answers on the path its peer's signals came
 * by.
 *
 * Sessions. A peer that reloads comes back under the same node id while the old link may still look alive
 * here (a closed tab does not always say goodbye; ICE notices only after its consent timeout); a hello or
 * offer from a new signed session of a linked peer therefore replaces the old link at once. Requests never
 * do.
 *
 * Attempts. An offer with a new attempt id (`c`) replaces the answerer's old attempt, and signals of an
 * attempt given up are ignored. An id starts with a count of the offerer's attempts (`attemptOrder`), so a
 * later one is known to be later: through the mesh signals may overtake each other, and an old offer
 * arriving last must not replace the new one. A directed hello means the sender has no attempt with us, so
 * an unanswered offer of ours to it went nowhere (it was restarting): the offerer starts over at once
 * instead of waiting for a timeout.
 *
 * Full. A full node that cannot make room answers a directed hello or an offer, on either path, with
 * `full`, so the dialer gives up at once (a broadcast is not answered). Peers whose links are refused for
 * now start no attempt, and attempts with peers not known as members are capped (`maxUnknownAttempts`).
 *
 * Requests (anything but hello, signal and full) come only on the relays, and are rate-limited per
 * verified sender.
 */
import type { NodeId } from '../core/identity.ts';
import { type Attempt, attemptOrder, type Via } from './mesh-attempt.ts';
import type { MeshEvents, MeshOptions } from './mesh-options.ts';
import type { Asking } from './mesh-room.ts';
import { RateLimit } from './rate-limit.ts';

// Requests on the topic per verified sender: an invitee asks every 1.5 s; a burst covers a few at once.
const REQUEST_BURST = 8;
const REQUESTS_PER_SECOND = 1;

/** A signed message as it arrives: only its signature has been checked. */
type Message = { t?: unknown; data?: unknown; k?: unknown };

/** What answering needs from its mesh. */
export interface AnswerHost {
  readonly options: Pick<MeshOptions, 'selfId' | 'known' | 'maxUnknownAttempts' | 'refused'>;
  readonly events: Pick<MeshEvents, 'failed' | 'request'>;
  /** The mesh's attempts by peer, links that are up included. */
  readonly links: ReadonlyMap<NodeId, Attempt>;
  count(reason: string): void;
  /** Whether an attempt with `peer` fits, or `message` earned it a slot that was made (mesh-room.ts). */
  roomFor(peer: NodeId, message: Asking): boolean;
  /** Ends `attempt` for a new one: a link that was up goes down; one that was not is not a failure. */
  replace(peer: NodeId, attempt: Attempt): void;
  /** A signed message on the relays, or (directed only) through the mesh. */
  sendVia(via: Via, payload: { t: string } & Record<string, unknown>, to?: NodeId): void;
  hello(to: NodeId, via: Via): void;
  /** Starts an attempt with `peer`: an offer if `initiator`, else the answer to attempt `cid`. */
  connect(peer: NodeId, initiator: boolean, session: string, cid: string | undefined, via: Via): Attempt;
  /** `peer` answered our dial of it (mesh-dials.ts). */
  answered(peer: NodeId): void;
}

export class MeshAnswers {
  private readonly requests = new RateLimit(REQUEST_BURST, REQUESTS_PER_SECOND);

  constructor(private readonly host: AnswerHost) {}

  /** A message `peer` signed in `session`, `direct` to this node or broadcast, that came by `via`. */
  receive(peer: NodeId, payload: unknown, direct: boolean, session: string, via: Via): void {
    const host = this.host;
    if (peer === host.options.selfId) return;
    const message = payload as Message | null;
    if (typeof message !== 'object' || message === null) return host.count('bad-signal');
    if (message.t === 'full') return this.onFull(peer, (message as { c?: unknown }).c);
    if (message.t !== 'hello' && message.t !== 'signal') return this.onRequest(peer, message, direct, via);
    if (!host.links.has(peer) && host.options.refused?.(peer)) return host.count('refused-peer');
    let attempt = host.links.get(peer);
    if (attempt?.session !== undefined && attempt.session !== session) {
      // The peer restarted (its new session is signed): its old link is dead even if it does not look it.
      host.replace(peer, attempt);
      attempt = undefined;
    }
    if (message.t === 'hello') return this.onHello(peer, message, attempt, direct, session, via);
    return this.onSignal(peer, message, attempt, session, via);
  }

  /**
   * The peer has its most links: our dial of it (through the mesh, or a hello on the relay), or the
   * attempt `c` it names, ends now as a failure. Only the peer can say so (its signals are signed).
   */
  private onFull(peer: NodeId, cid: unknown): void {
    const host = this.host;
    const attempt = host.links.get(peer);
    if (attempt?.up || (attempt && attempt.cid !== cid)) return host.count('stale-full');
    if (attempt) host.replace(peer, attempt);
    host.answered(peer);
    host.events.failed(peer, 'peer-full');
  }

  private onRequest(peer: NodeId, message: Message, direct: boolean, via: Via): void {
    const host = this.host;
    if (via === 'mesh') return host.count('mesh-request');
    if (typeof message.t !== 'string' || !host.events.request) return host.count('unknown-signal');
    if (!this.requests.take(peer, Date.now())) return host.count('request-rate');
    host.events.request(peer, message as { t: string } & Record<string, unknown>, direct);
  }

  private onHello(
    peer: NodeId,
    message: Message,
    attempt: Attempt | undefined,
    direct: boolean,
    session: string,
    via: Via,
  ): void {
    const host = this.host;
    if (attempt && direct && !attempt.up && !attempt.answered && host.options.selfId < peer) {
      host.replace(peer, attempt);
      attempt = undefined;
    }
    if (attempt) return;
    // A dialer is told (a broadcast is not answered): its attempt fails now, not at its timeout.
    if (!host.roomFor(peer, message))
      return direct || via === 'mesh' ? host.sendVia(via, { t: 'full' }, peer) : undefined;
    if (host.options.selfId < peer) {
      if (this.unknownFull(peer)) return host.count('unknown-full');
      host.answered(peer);
      host.connect(peer, true, session, undefined, via);
    } else if (!direct || via === 'mesh') host.hello(peer, via);
  }

  private onSignal(
    peer: NodeId,
    message: Message,
    attempt: Attempt | undefined,
    session: string,
    via: Via,
  ): void {
    const host = this.host;
    const cid = (message as { c?: unknown }).c;
    if (typeof cid !== 'string' || cid.length === 0 || cid.length > 32) return host.count('bad-signal');
    if (attempt && attempt.cid !== cid) {
      // Ours to answer: the offerer started over. Ours to offer: an answer to an offer we gave up.
      if (host.options.selfId < peer) return host.count('stale-signal');
      // A signal of an earlier attempt of the same session, overtaken through the mesh by a later one.
      const [incoming, current] = [attemptOrder(cid), attemptOrder(attempt.cid)];
      if (attempt.session === session && incoming > 0 && current > 0 && incoming < current)
        return host.count('stale-signal');
      host.replace(peer, attempt);
      attempt = undefined;
    }
    if (!attempt) {
      // Only the smaller id offers; an offer from a larger id is a confused or hostile peer.
      if (host.options.selfId < peer) return host.count('unexpected-offer');
      if (!host.roomFor(peer, message)) {
        // Room went while the offerer's hello was answered: the offer (not each candidate) is told so.
        host.count('full');
        const offer = (message.data as { type?: unknown } | null)?.type === 'offer';
        return offer ? host.sendVia(via, { t: 'full', c: cid }, peer) : undefined;
      }
      if (this.unknownFull(peer)) return host.count('unknown-full');
      attempt = host.connect(peer, false, session, cid, via);
    }
    host.answered(peer);
    attempt.via = via;
    attempt.session ??= session;
    attempt.answered = true;
    const refused = attempt.proof.received(message.data);
    if (refused) {
      host.count(refused);
      return attempt.link.close();
    }
    attempt.link.signal(message.data);
  }

  /** Whether `peer` is unknown and attempts with unknown peers are at their cap. */
  private unknownFull(peer: NodeId): boolean {
    const known = this.host.options.known;
    if (!known || known(peer)) return false;
    let pending = 0;
    for (const [id, a] of this.host.links) if (!a.up && !known(id)) pending++;
    return pending >= (this.host.options.maxUnknownAttempts ?? 2);
  }
}
