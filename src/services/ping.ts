/**
 * `ping`: round-trip times measured on a service channel of its own. The smallest real service, and the
 * one that shows the seam works end to end: a negotiated channel per link, the host's clock, the host's
 * policy, counters in `stats().services.ping`.
 *
 * Wire format on channel `gridnode/ping` (id 16), binary, one frame per message:
 *   0 ping  [0, seq(4)]   seq is the sender's counter, big-endian
 *   1 pong  [1, seq(4)]   echoes a ping's seq
 * Rules:
 * - A node answers pings only from peers that may use its services (`host.mayUse`): a denied peer learns
 *   nothing, not even our latency. Refused pings count as `refused`.
 * - A pong counts only if it echoes one of the newest MAX_PENDING pings sent on that link, so a peer
 *   cannot invent RTTs; anything else (other sizes, types, unknown seqs) is counted as `bad-frame` or
 *   `unexpected-pong` and dropped.
 * - RTT is measured on the host's clock (whole milliseconds), never a clock of the service's own.
 */
import type { NodeId } from '../core/index.ts';
import type { DataChannelLike, Service, ServiceHost, ServiceLink } from './types.ts';

export const PING_CHANNEL = { label: 'gridnode/ping', id: 16 } as const;
const PING = 0;
const PONG = 1;
const FRAME_BYTES = 5;
const MAX_PENDING = 8;
// A channel that holds this much is not draining; pinging into it would measure our own backlog.
const MAX_BUFFERED_BYTES = 64 * 1024;

export interface PingOptions {
  /** How often each link is pinged. */
  intervalMs?: number;
}

export class PingOptionsError extends Error {
  override name = 'PingOptionsError';
}

interface PingLink {
  channel: DataChannelLike;
  timer: ReturnType<typeof setInterval> | undefined;
  seq: number;
  /** seq → host time it was sent. */
  pending: Map<number, number>;
  rttMs: number | undefined;
  samples: number;
}

declare module './types.ts' {
  interface ServiceMap {
    ping: PingService;
  }
}

export class PingService implements Service {
  readonly name = 'ping';
  private readonly links = new Map<NodeId, PingLink>();
  private readonly intervalMs: number;

  constructor(
    private readonly host: ServiceHost,
    options: PingOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    if (!Number.isSafeInteger(this.intervalMs) || this.intervalMs < 1)
      throw new PingOptionsError('intervalMs must be a positive integer');
  }

  /** The latest round-trip time to `peer` on this service's channel, in milliseconds. */
  rttOf(peer: NodeId): number | undefined {
    return this.links.get(peer)?.rttMs;
  }

  /** Pongs received from `peer` on the current link. */
  samplesOf(peer: NodeId): number {
    return this.links.get(peer)?.samples ?? 0;
  }

  linkUp(link: ServiceLink): void {
    this.linkDown(link.peer);
    const channel = link.channel(PING_CHANNEL.label, PING_CHANNEL.id);
    channel.binaryType = 'arraybuffer';
    const state: PingLink = {
      channel,
      timer: undefined,
      seq: 0,
      pending: new Map(),
      rttMs: undefined,
      samples: 0,
    };
    this.links.set(link.peer, state);
    const start = () => {
      if (this.links.get(link.peer) !== state || state.timer !== undefined) return;
      state.timer = setInterval(() => this.ping(state), this.intervalMs);
      this.ping(state);
    };
    channel.addEventListener('open', start);
    channel.addEventListener('message', (event) => this.onMessage(link.peer, state, event.data));
    channel.addEventListener('close', () => {
      if (this.links.get(link.peer) === state) this.linkDown(link.peer);
    });
    if (channel.readyState === 'open') start();
  }

  linkDown(peer: NodeId): void {
    const state = this.links.get(peer);
    if (!state) return;
    this.links.delete(peer);
    clearInterval(state.timer);
    state.channel.close();
  }

  stop(): void {
    for (const peer of [...this.links.keys()]) this.linkDown(peer);
  }

  private ping(state: PingLink): void {
    if (state.channel.readyState !== 'open' || state.channel.bufferedAmount > MAX_BUFFERED_BYTES) return;
    const seq = (state.seq = (state.seq + 1) >>> 0);
    state.pending.set(seq, this.host.now());
    if (state.pending.size > MAX_PENDING) state.pending.delete(state.pending.keys().next().value!);
    this.send(state, PING, seq);
    this.host.count('pings');
  }

  private onMessage(peer: NodeId, state: PingLink, data: unknown): void {
    if (!(data instanceof ArrayBuffer) || data.byteLength !== FRAME_BYTES)
      return this.host.count('bad-frame');
    const view = new DataView(data);
    const type = view.getUint8(0);
    const seq = view.getUint32(1);
    if (type === PING) {
      if (!this.host.mayUse(peer)) return this.host.count('refused');
      return this.send(state, PONG, seq);
    }
    if (type !== PONG) return this.host.count('bad-frame');
    const sentAt = state.pending.get(seq);
    if (sentAt === undefined) return this.host.count('unexpected-pong');
    state.pending.delete(seq);
    state.rttMs = this.host.now() - sentAt;
    state.samples++;
    this.host.count('pongs');
  }

  private send(state: PingLink, type: number, seq: number): void {
    const frame = new Uint8Array(FRAME_BYTES);
    frame[0] = type;
    new DataView(frame.buffer).setUint32(1, seq);
    try {
      state.channel.send(frame);
    } catch {
      // Closed under us; its close event ends the link's state.
      this.host.count('send-failed');
    }
  }
}

/** The node's built-in services, made once per node. */
export const pingService = (host: ServiceHost): PingService => new PingService(host);
