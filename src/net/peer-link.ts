// One WebRTC data-channel link to one peer: trickle-ICE signaling in and out, framed binary messages, RTT
// pings, a silence timeout and a bounded send queue. The rest of the project sees only this class (its
// options and events, peer-link-options.ts, are exported here too); simple-peer stays behind
// simple-peer.ts so a native RTCPeerConnection link can replace it without changing callers.
//
// Wire format (every data-channel message is one frame whose first byte is its type): peer-link-wire.ts.
import {
  createSimplePeer,
  dataChannelOf,
  maxMessageSizeOf,
  peerConnectionOf,
  selectedCandidateTypesOf,
} from './simple-peer.ts';
import type { CandidateType, SignalData, SimplePeerInstance } from './simple-peer.ts';
import { FrameQueue } from './frame-queue.ts';
import {
  type PeerLinkEvents,
  type PeerLinkOptions,
  type ResolvedOptions,
  resolveOptions,
} from './peer-link-options.ts';
import { DATA, HEADER_BYTES, NONCE_BYTES, PING, PONG } from './peer-link-wire.ts';
import { MAX_REMOTE_CANDIDATES, type PeerSignal, candidateLines, parseSignal } from './peer-signal.ts';

export type { PeerLinkEvents, PeerLinkOptions } from './peer-link-options.ts';
export { PeerLinkOptionsError } from './peer-link-options.ts';
export type { PeerSignal } from './peer-signal.ts';

// Only the newest pings can still be answered; older ones were lost, so the set stays small.
const MAX_PENDING_PINGS = 8;

export interface PeerLinkStats {
  sentFrames: number;
  receivedFrames: number;
  sentBytes: number;
  receivedBytes: number;
  /** Things refused or discarded, by reason. */
  dropped: Record<string, number>;
  /** The latest round-trip time. */
  rttMs?: number;
  queuedBytes: number;
  /** The selected candidate pair's types (`relay` = through TURN), known shortly after open. */
  candidateTypes?: { local: CandidateType; remote: CandidateType };
}

export type PeerLinkState = 'connecting' | 'open' | 'closed';

/** `send` was given more than maxMessageBytes: a caller bug, since the caller chooses message sizes. */
export class MessageTooLargeError extends Error {
  override name = 'MessageTooLargeError';
}

/** A service channel with a reserved id, or on a link that is not open. */
export class ChannelError extends Error {
  override name = 'ChannelError';
}
// Service channel ids: 0–15 belong to the link's own channel; Chromium negotiates 1024 SCTP streams.
export const FIRST_SERVICE_CHANNEL_ID = 16;
const MAX_CHANNEL_ID = 1023;

// SCTP cause "User-Initiated Abort" (RFC 9260 §3.3.10.12).
const SCTP_USER_INITIATED_ABORT = 12;

/** The close reason for an error simple-peer reports. */
function closeReasonOf(err: unknown): string {
  const { code, name, message, errorDetail, sctpCauseCode } = (err ?? {}) as Partial<
    Record<'code' | 'name' | 'message' | 'errorDetail' | 'sctpCauseCode', unknown>
  >;
  // simple-peer's destroy closes the channel and then at once the RTCPeerConnection, so the clean channel
  // close often loses the race: the remote's DTLS/SCTP transport goes away under our open channel and
  // Chromium reports a data-channel error (detail 'data-channel-failure', or an SCTP abort) instead of a
  // close. (ICE and connection failures arrive with their own simple-peer codes.)
  if (errorDetail === 'data-channel-failure' || sctpCauseCode === SCTP_USER_INITIATED_ABORT)
    return 'remote close';
  const detail = errorDetail === undefined ? '' : ` (${String(errorDetail)})`;
  return `error: ${String(code ?? name)} ${String(message)}${detail}`;
}

export class PeerLink {
  private readonly options: ResolvedOptions;
  private readonly events: PeerLinkEvents;
  private readonly peer: SimplePeerInstance;
  private linkState: PeerLinkState = 'connecting';
  private channel: RTCDataChannel | undefined;
  private readonly queue = new FrameQueue();
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeardMs = 0;
  private lastTickMs = 0;
  // Nonces of unanswered pings: a pong counts only if it echoes one, so a peer cannot invent RTTs.
  private readonly pendingPings = new Set<number>();
  private remoteDescriptionSeen = false;
  private remoteCandidates = 0;
  private sentFrames = 0;
  private receivedFrames = 0;
  private sentBytes = 0;
  private receivedBytes = 0;
  private readonly dropped: Record<string, number> = {};
  private rttMs: number | undefined;
  private candidateTypes: PeerLinkStats['candidateTypes'];

  constructor(options: PeerLinkOptions, events: PeerLinkEvents) {
    this.options = resolveOptions(options);
    this.events = events;
    this.peer = createSimplePeer({
      initiator: this.options.initiator,
      trickle: true,
      // Passing the list (even empty) replaces simple-peer's default public Google/Twilio STUN servers.
      config: { iceServers: this.options.iceServers, iceTransportPolicy: this.options.iceTransportPolicy },
      channelConfig: { ordered: true },
    });
    this.peer.on('signal', (data: unknown) => this.onLocalSignal(data));
    this.peer.on('connect', () => this.onOpen());
    this.peer.on('data', (chunk: Uint8Array) => this.onFrame(chunk));
    // simple-peer emits 'close' after any destroy; a destroy we started has already set state to closed.
    this.peer.on('close', () => this.shutdown('remote close'));
    this.peer.on('error', (err: unknown) => this.shutdown(closeReasonOf(err)));
    this.connectTimer = setTimeout(() => this.shutdown('connect timeout'), this.options.connectTimeoutMs);
  }

  get state(): PeerLinkState {
    return this.linkState;
  }

  /** Feeds signaling data from the other side. Malformed or unexpected data is counted and ignored. */
  signal(data: unknown): void {
    if (this.linkState === 'closed') return this.drop('signal-after-close');
    let signal: PeerSignal | undefined;
    try {
      signal = parseSignal(data);
    } catch {
      // A getter or proxy from a careless (or hostile) caller; nothing of it reaches simple-peer.
    }
    if (signal === undefined) return this.drop('garbage-signal');
    if (signal.type === 'candidate') {
      if (++this.remoteCandidates > MAX_REMOTE_CANDIDATES) return this.refuse('too-many-candidates');
    } else {
      if (candidateLines(signal.sdp) > MAX_REMOTE_CANDIDATES) return this.refuse('too-many-candidates');
      // Exactly one remote description, of the kind our role expects: there is no renegotiation, and a
      // stray offer/answer would make simple-peer tear the connection down.
      const expected = this.options.initiator ? 'answer' : 'offer';
      if (signal.type !== expected || this.remoteDescriptionSeen) return this.drop('unexpected-signal');
      this.remoteDescriptionSeen = true;
    }
    try {
      this.peer.signal(signal as SignalData);
    } catch {
      this.drop('rejected-signal');
    }
  }

  /**
   * Sends one message. Returns false (and counts a drop) if the link is closed or the local queue is full;
   * the message is then not sent. Throws MessageTooLargeError above maxMessageBytes.
   */
  send(bytes: Uint8Array): boolean {
    if (bytes.length > this.options.maxMessageBytes)
      throw new MessageTooLargeError(
        `message of ${bytes.length} bytes exceeds ${this.options.maxMessageBytes}`,
      );
    if (this.linkState === 'closed') {
      this.drop('send-after-close');
      return false;
    }
    const frame = new Uint8Array(HEADER_BYTES + bytes.length);
    frame[0] = DATA;
    frame.set(bytes, HEADER_BYTES);
    if (this.channel !== undefined && this.queue.length === 0 && !this.channelFull())
      return this.write(frame);
    if (!this.queue.fits(frame.length, this.options.maxQueuedBytes)) {
      this.drop('queue-full');
      return false;
    }
    this.queue.push(frame);
    return true;
  }

  /**
   * A service's own data channel on this connection, negotiated out of band (`negotiated: true`, the same
   * label and id on both sides, so neither waits for the other to announce it). Ordered, binary; it
   * closes with the link. Throws ChannelError on a reserved id or a link that is not open.
   */
  openChannel(label: string, id: number): RTCDataChannel {
    if (!Number.isInteger(id) || id < FIRST_SERVICE_CHANNEL_ID || id > MAX_CHANNEL_ID)
      throw new ChannelError(`channel id ${id} is outside ${FIRST_SERVICE_CHANNEL_ID}–${MAX_CHANNEL_ID}`);
    const pc = peerConnectionOf(this.peer);
    if (this.linkState !== 'open' || pc === undefined) throw new ChannelError('the link is not open');
    const channel = pc.createDataChannel(label, { negotiated: true, id, ordered: true });
    channel.binaryType = 'arraybuffer';
    return channel;
  }

  /** Closes the link, discarding anything not yet sent. */
  close(): void {
    this.shutdown('local close');
  }

  stats(): PeerLinkStats {
    return {
      sentFrames: this.sentFrames,
      receivedFrames: this.receivedFrames,
      sentBytes: this.sentBytes,
      receivedBytes: this.receivedBytes,
      dropped: { ...this.dropped },
      rttMs: this.rttMs,
      queuedBytes: this.queue.bytes,
      ...(this.candidateTypes ? { candidateTypes: { ...this.candidateTypes } } : {}),
    };
  }

  private onLocalSignal(data: unknown): void {
    if (this.linkState === 'closed') return;
    const signal = parseSignal(data);
    // simple-peer only emits renegotiate/transceiver requests for media, which this link never adds.
    if (signal === undefined) return this.drop('unexpected-local-signal');
    this.notify(() => this.events.signal(signal));
  }

  private onOpen(): void {
    if (this.linkState !== 'connecting') return;
    const channel = dataChannelOf(this.peer);
    if (channel === undefined) return this.shutdown('error: open without a data channel');
    const limit = maxMessageSizeOf(this.peer);
    if (limit !== undefined && limit > 0 && limit < this.options.maxMessageBytes + HEADER_BYTES)
      return this.shutdown(
        `peer max-message-size ${limit} is below ${this.options.maxMessageBytes + HEADER_BYTES}`,
      );
    this.linkState = 'open';
    this.channel = channel;
    clearTimeout(this.connectTimer);
    // Half the high-water mark: refilling then leaves enough buffered that the channel never runs dry.
    channel.bufferedAmountLowThreshold = Math.floor(this.options.highWaterBytes / 2);
    channel.addEventListener('bufferedamountlow', this.flush);
    this.lastHeardMs = this.lastTickMs = performance.now();
    this.pingTimer = setInterval(() => this.tick(), this.options.pingIntervalMs);
    void selectedCandidateTypesOf(this.peer).then((types) => (this.candidateTypes = types));
    this.notify(() => this.events.open?.());
    // Messages sent before open (and any sent by the open callback behind them) go out in order.
    this.flush();
    this.ping();
  }

  private onFrame(chunk: Uint8Array): void {
    if (this.linkState === 'closed') return;
    // The remote may start sending before simple-peer reports 'connect' here; a frame proves the channel works.
    if (this.linkState === 'connecting') this.onOpen();
    if (this.linkState !== 'open') return;
    this.lastHeardMs = performance.now();
    this.receivedFrames++;
    this.receivedBytes += chunk.length;
    switch (chunk[0]) {
      case DATA: {
        if (chunk.length - HEADER_BYTES > this.options.maxMessageBytes) return this.drop('oversized-frame');
        // A view, not a copy: simple-peer wraps each message's own fresh ArrayBuffer.
        const payload = new Uint8Array(
          chunk.buffer,
          chunk.byteOffset + HEADER_BYTES,
          chunk.length - HEADER_BYTES,
        );
        return this.notify(() => this.events.message?.(payload));
      }
      case PING:
        if (chunk.length !== HEADER_BYTES + NONCE_BYTES) return this.drop('malformed-frame');
        return this.sendControl(PONG, chunk.subarray(HEADER_BYTES));
      case PONG:
        if (chunk.length !== HEADER_BYTES + NONCE_BYTES) return this.drop('malformed-frame');
        return this.onPong(
          new DataView(chunk.buffer, chunk.byteOffset + HEADER_BYTES, NONCE_BYTES).getFloat64(0),
        );
      default:
        return this.drop(chunk.length === 0 ? 'malformed-frame' : 'unknown-frame');
    }
  }

  private tick(): void {
    const now = performance.now();
    // This page itself was stalled (or throttled): frames may be waiting behind the stall, so the peer
    // gets a whole window again. Only silence while this page kept time closes a link.
    if (now - this.lastTickMs > 2 * this.options.pingIntervalMs) this.lastHeardMs = now;
    this.lastTickMs = now;
    if (now - this.lastHeardMs > this.options.silenceTimeoutMs) return this.shutdown('silent');
    this.ping();
  }

  private ping(): void {
    const nonce = performance.now();
    this.pendingPings.add(nonce);
    const oldest = this.pendingPings.values().next().value;
    if (this.pendingPings.size > MAX_PENDING_PINGS && oldest !== undefined) this.pendingPings.delete(oldest);
    const bytes = new Uint8Array(NONCE_BYTES);
    new DataView(bytes.buffer).setFloat64(0, nonce);
    this.sendControl(PING, bytes);
  }

  private onPong(nonce: number): void {
    if (!this.pendingPings.delete(nonce)) return this.drop('unexpected-pong');
    const rtt = performance.now() - nonce;
    this.rttMs = rtt;
    this.notify(() => this.events.rtt?.(rtt));
  }

  /**
   * Pings and pongs skip the data queue so RTT is not inflated by our own backlog, but are dropped while the
   * channel holds well over the high-water mark, so a ping flood cannot grow the channel's buffer unboundedly.
   */
  private sendControl(type: number, nonce: Uint8Array): void {
    const channel = this.channel;
    if (channel === undefined || this.linkState !== 'open') return;
    if (channel.bufferedAmount > 2 * this.options.highWaterBytes) return this.drop('control-backpressure');
    const frame = new Uint8Array(HEADER_BYTES + NONCE_BYTES);
    frame[0] = type;
    frame.set(nonce, HEADER_BYTES);
    this.write(frame);
  }

  private channelFull(): boolean {
    return this.channel === undefined || this.channel.bufferedAmount > this.options.highWaterBytes;
  }

  /** Moves queued frames into the channel until it is above the high-water mark (bound: an event listener). */
  private readonly flush = (): void => {
    if (this.linkState !== 'open' || this.queue.length === 0) return;
    while (!this.channelFull()) {
      const frame = this.queue.shift();
      if (frame === undefined) break;
      if (!this.write(frame)) return;
    }
    if (this.queue.length === 0) this.notify(() => this.events.drain?.());
  };

  private write(frame: Uint8Array<ArrayBuffer>): boolean {
    if (this.channel === undefined) return false;
    try {
      this.channel.send(frame);
    } catch (err) {
      // The channel closed under us (simple-peer's close event may still be pending) or refused the size.
      this.shutdown(`error: send failed: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    this.sentFrames++;
    this.sentBytes += frame.length;
    return true;
  }

  /** A drop the link's owner is told of too (it outlives the link): signaling a peer abused. */
  private refuse(reason: string): void {
    this.drop(reason);
    this.events.refused?.(reason);
  }

  private drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  /**
   * Runs a caller's callback. Its exceptions are reported (window 'error') rather than thrown into
   * simple-peer's stream machinery, where they could stall delivery or skip our own bookkeeping.
   */
  private notify(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      reportError(err);
    }
  }

  private shutdown(reason: string): void {
    if (this.linkState === 'closed') return;
    this.linkState = 'closed';
    clearTimeout(this.connectTimer);
    clearInterval(this.pingTimer);
    this.channel?.removeEventListener('bufferedamountlow', this.flush);
    this.queue.clear();
    this.pendingPings.clear();
    this.peer.destroy();
    this.notify(() => this.events.close?.(reason));
  }
}
