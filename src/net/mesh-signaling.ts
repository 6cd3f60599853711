/**
 * Signaling through the mesh (PROTOCOL.md §10): the mesh's second signaling path beside the relays.
 *
 * A message goes out signed as on the relay (signed-signaling.ts, its own counter: a path of its own) and
 * travels in route frames (mesh-route.ts) over the data channels of proved links. Hellos carry the
 * sender's sealing key `x` (mesh-seal.ts); a signal's `data` (SDP, candidates) is sealed to the
 * recipient's `x`, learnt from a signed message of that recipient, so a signal can be sent only after
 * hearing from its recipient — which the hello exchange in mesh.ts guarantees for both the offerer and
 * the answerer. Signaling received here is checked exactly as on the relay (signature, recipient, window,
 * counter), opened in the order it arrived, and handed to the mesh as addressed to this node.
 *
 * Neighbour lists: every node tells its links which links it has (on every change, at most every
 * `listDelayMs`), so each node knows its two-hop neighbourhood.
 */
import type { NodeId } from '../core/identity.ts';
import type { Signer, Verifier } from '../crypto/ed25519.ts';
import { MeshRouter, type MeshRouteOptions, encodeNeighbours, parseNeighbours } from './mesh-route.ts';
import { MeshSeal } from './mesh-seal.ts';
import { SignedSignaling } from './signed-signaling.ts';

const KEY_CHARS = 43;

export interface MeshSignalingOptions {
  selfId: NodeId;
  signer: Signer;
  verifier: Verifier;
  gridId: Uint8Array;
  session: string;
  links(): readonly NodeId[];
  known(id: NodeId): boolean;
  /** Hands a frame (kind byte included) to the link to `peer`. */
  sendFrame(peer: NodeId, frame: Uint8Array): boolean;
  onSignal(from: NodeId, payload: Record<string, unknown>, session: string): void;
  route?: Partial<MeshRouteOptions>;
  listDelayMs?: number;
}

export class MeshSignaling {
  static readonly FRAME_ROUTE = 0x20;
  static readonly FRAME_NEIGHBOURS = 0x21;
  readonly router: MeshRouter;
  readonly dropped: Record<string, number> = {};
  private readonly signed: SignedSignaling;
  private readonly seal: MeshSeal;
  /** Each peer's sealing key, from its latest signed message here. */
  private readonly peerKeys = new Map<NodeId, string>();
  private inbound: Promise<void> = Promise.resolve();
  private listTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: MeshSignalingOptions) {
    this.seal = new MeshSeal(options.selfId);
    this.router = new MeshRouter(
      { self: options.selfId, links: options.links, known: options.known },
      Math.random,
      options.route,
    );
    this.signed = new SignedSignaling({
      transport: { send: (payload, to) => Promise.resolve(this.route(payload, to as NodeId)) },
      signer: options.signer,
      verifier: options.verifier,
      gridId: options.gridId,
      selfId: options.selfId,
      session: options.session,
      onMessage: (from, payload, info) => this.opened(from, payload, info.session),
    });
  }

  /** Whether a message could leave through the mesh now. */
  canRoute(): boolean {
    return this.router.canRoute();
  }

  /**
   * Of `links`, one whose neighbour list is longer than `target`, to let go of, never one whose link is
   * the only way to it (`keepsWithout` false, from the links members announce): first one known to stay
   * reachable, then one that another of `links` lists too (a triangle: still two hops away), then the
   * longest list. Without a relay, a split mesh has no way to signal across and stays split.
   */
  surplus(
    links: readonly NodeId[],
    target: number,
    keepsWithout: (id: NodeId) => boolean | undefined = () => undefined,
  ): NodeId | undefined {
    let best: NodeId | undefined;
    let bestRank = -1;
    for (const id of links) {
      const degree = this.router.degree(id);
      if (degree === undefined || degree <= target) continue;
      const keeps = keepsWithout(id);
      if (keeps === false) continue;
      const shared = links.some((other) => other !== id && this.router.listed(other, id));
      const rank = (keeps ? 2_000 : 0) + (shared ? 1_000 : 0) + degree;
      if (rank > bestRank) [best, bestRank] = [id, rank];
    }
    return best;
  }

  /** Whether `peer` has told us its sealing key (a signal to it can be sealed). */
  hasKey(peer: NodeId): boolean {
    return this.peerKeys.has(peer);
  }

  /**
   * Sends `payload` to `to` through the mesh; resolves to the links it left on (0: nowhere to go).
   * A signal's `data` is sealed to `to`; without its key the signal is not sent.
   */
  async send(payload: { t: string } & Record<string, unknown>, to: NodeId): Promise<number> {
    await this.seal.ready;
    let body: Record<string, unknown> = { ...payload, x: this.seal.x };
    if (payload.t === 'signal') {
      const x = this.peerKeys.get(to);
      const sealed = x && (await this.seal.seal(to, x, JSON.stringify(payload.data ?? null)));
      if (!sealed) return this.count('signal-no-key');
      body = { t: 'signal', c: payload.c, k: payload.k, x: this.seal.x, e: sealed };
    }
    return this.signed.send(body, to);
  }

  /** A route frame's body from the proved link `from`. */
  receiveRoute(from: NodeId, bytes: Uint8Array): void {
    const result = this.router.receive(from, bytes, Date.now());
    for (const send of result.sends) this.forward(send.to, send.bytes);
    if (result.deliver) this.signed.receive(result.deliver.origin, result.deliver.payload, true);
  }

  /** A neighbour list's body from the proved link `from`. */
  receiveNeighbours(from: NodeId, bytes: Uint8Array): void {
    const ids = parseNeighbours(bytes, this.router.options.maxNeighbours);
    if (typeof ids === 'string') return void this.count(ids);
    this.router.neighbours(from, ids);
  }

  /** Links changed: tell every link our links, soon (a burst of changes is one list). */
  linksChanged(): void {
    if (this.listTimer) return;
    this.listTimer = setTimeout(() => {
      this.listTimer = undefined;
      const links = this.options.links();
      const body = encodeNeighbours(links.slice(0, this.router.options.maxNeighbours));
      const frame = new Uint8Array(body.length + 1);
      frame[0] = MeshSignaling.FRAME_NEIGHBOURS;
      frame.set(body, 1);
      for (const peer of links) this.options.sendFrame(peer, frame);
    }, this.options.listDelayMs ?? 100);
  }

  linkDown(peer: NodeId): void {
    this.router.linkDown(peer);
    this.linksChanged();
  }

  stop(): void {
    clearTimeout(this.listTimer);
    this.listTimer = undefined;
  }

  status() {
    return { ...this.router.status(), unsigned: { ...this.signed.dropped }, refused: { ...this.dropped } };
  }

  private route(payload: unknown, to: NodeId): number {
    const sends = this.router.originate(to, payload, Date.now());
    let sent = 0;
    for (const send of sends) if (this.forward(send.to, send.bytes)) sent++;
    return sent;
  }

  private forward(peer: NodeId, body: Uint8Array): boolean {
    const frame = new Uint8Array(body.length + 1);
    frame[0] = MeshSignaling.FRAME_ROUTE;
    frame.set(body, 1);
    const ok = this.options.sendFrame(peer, frame);
    if (!ok) this.count('route-send-failed');
    return ok;
  }

  /** A verified message through the mesh: its key remembered, a signal opened, in arrival order. */
  private opened(from: NodeId, payload: unknown, session: string): void {
    const message = payload as Record<string, unknown> | null;
    if (typeof message !== 'object' || message === null || typeof message.t !== 'string')
      return void this.count('mesh-bad-signal');
    const x = message.x;
    if (typeof x !== 'string' || x.length !== KEY_CHARS) return void this.count('mesh-no-key');
    this.peerKeys.delete(from);
    this.peerKeys.set(from, x);
    if (this.peerKeys.size > 1024) this.peerKeys.delete(this.peerKeys.keys().next().value!);
    this.inbound = this.inbound.then(async () => {
      if (message.t !== 'signal') return this.options.onSignal(from, message, session);
      const e = message.e;
      const text = typeof e === 'string' ? await this.seal.open(from, x, e) : undefined;
      if (text === undefined) return void this.count('mesh-unseal-failed');
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        return void this.count('mesh-unseal-failed');
      }
      const k = typeof message.k === 'number' ? { k: message.k } : {};
      this.options.onSignal(from, { t: 'signal', c: message.c, ...k, data }, session);
    });
    this.inbound = this.inbound.catch(() => void this.count('internal-error'));
  }

  private count(reason: string): number {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    return 0;
  }
}
