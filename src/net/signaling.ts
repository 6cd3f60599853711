/**
 * The browser node's signaling client: finds the rest of its grid through y-webrtc-protocol relays (ours in
 * src/relay/relay.ts, or y-webrtc's reference server) before any WebRTC connection exists.
 *
 * It talks to several relays at once so that no single relay is needed: every message is published on every
 * open relay and the copies are de-duplicated on arrival by message id. The relay only sees a hashed topic and
 * sealed bytes (see seal.ts). Everything that arrives is untrusted: malformed input is counted and dropped,
 * never thrown.
 */
import { GRID_ID_BYTES } from '../core/announcement.ts';
import { toHex, utf8, utf8Decode } from '../core/bytes.ts';
import { defaultBackoff } from './backoff.ts';
import type { Backoff } from './backoff.ts';
import { RateLimit } from './rate-limit.ts';
import { RelayConnection, type RelayStatus } from './relay-connection.ts';
import { deriveSignalKey, gridTopic, IV_BYTES, open, seal, TAG_BYTES } from './seal.ts';
import {
  MAX_FRAME_BYTES,
  MAX_PEER_ID_LENGTH,
  MAX_PLAINTEXT_BYTES,
  MESSAGE_ID_BYTES,
  RecentIds,
  SignalingConfigError,
  SignalingPayloadError,
  checkRelayUrl,
  isPeerId,
  notify,
  parseEnvelope,
  parseObject,
} from './signaling-frames.ts';

export type { RelayState, RelayStatus } from './relay-connection.ts';
export {
  MAX_FRAME_BYTES,
  MAX_PEER_ID_LENGTH,
  MAX_PLAINTEXT_BYTES,
  SignalingConfigError,
  SignalingPayloadError,
} from './signaling-frames.ts';

export interface SignalingStatus {
  relays: RelayStatus[];
  /** Messages handed to at least one relay. */
  sent: number;
  /** Messages delivered to onMessage. */
  received: number;
  /**
   * Frames and messages not delivered, by reason. All are incoming except `no-open-relay` (a send that found
   * no open relay). `own-echo` and `duplicate` are normal: relays echo to the sender, and every relay delivers
   * its own copy.
   */
  dropped: Record<string, number>;
}

export interface MessageInfo {
  /** The sender's random message id (hex). */
  id: string;
  /** Addressed to this node, as opposed to broadcast to the grid. */
  direct: boolean;
}

export type MessageHandler = (from: string, payload: unknown, info: MessageInfo) => void;
export type StatusHandler = (status: SignalingStatus) => void;

export interface SignalingOptions {
  /** ws:// or wss:// URLs of y-webrtc signaling relays. */
  relays: string[];
  /** The 32-byte grid id. Never sent anywhere: the topic and the sealing key are derived from it. */
  gridId: Uint8Array;
  /** This node's id on the grid, as other nodes address it. */
  selfId: string;
  /** WebSocket constructor; defaults to the global one (Node 20 has none, so tests inject `ws`). */
  WebSocket?: typeof WebSocket;
  backoff?: Partial<Backoff>;
  /** Uniform [0, 1) source for backoff jitter. */
  random?: () => number;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** A message for this node (addressed to it or broadcast), from another node of the grid. */
  onMessage?: MessageHandler;
  /** Called whenever a relay connection changes state. */
  onStatus?: StatusHandler;
}

export const signalingDefaults = {
  // Keep-alive: a relay connection can die without a close (sleeping laptop, NAT timeout, half-open TCP), and
  // the browser may not notice for minutes. A ping every 20 s also keeps idle-killing proxies from dropping us.
  pingIntervalMs: 20_000,
  pongTimeoutMs: 10_000,
  // A handshake to a black-holed address can hang far longer than retrying would take.
  connectTimeoutMs: 10_000,
} as const;

// Message ids remembered for de-duplication. Copies of one message arrive within a relay round trip of each
// other, so this only needs to cover the messages of a few seconds, with a wide margin.
const RECENT_IDS = 4096;
// Frames waiting to be decrypted. Decryption is async, so a flood could otherwise queue without bound.
const MAX_BACKLOG = 256;
// Frames taken from one relay connection before any parsing or decryption: a burst of 200, then 50 a
// second. Honest signaling is a few frames a second (hellos, and offers, answers and candidates while
// links form); a grid-id holder publishing at the relay's own limit (200/s, ~25 KiB each) would
// otherwise have every member decrypt and parse 5 MB/s. Over it, frames are dropped (`inbound-budget`):
// links that are forming may take longer, links that are up are not touched.
// The longest sealed `data` whose plaintext can fit MAX_PLAINTEXT_BYTES (IV, ciphertext and tag in
// unpadded base64url): a longer one is refused before it is decoded or decrypted, which are the work a
// flood of near-limit frames would otherwise cost (every byte of them decoded, then thrown away).
const MAX_SEALED_CHARS = Math.ceil(((IV_BYTES + MAX_PLAINTEXT_BYTES + TAG_BYTES) * 4) / 3);
const INBOUND_BURST = 200;
const INBOUND_PER_SECOND = 50;

/** UTF-8 length of `text`, counted without encoding it (a lone surrogate counts 3, as TextEncoder writes). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // the pair: 4 bytes for 2 code units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

export class SignalingClient {
  onMessage: MessageHandler | undefined;
  onStatus: StatusHandler | undefined;
  readonly topic: string;
  private readonly selfId: string;
  private readonly key: Promise<CryptoKey>;
  private readonly relays: RelayConnection[];
  private readonly recent = new RecentIds(RECENT_IDS);
  private readonly inboundBudget = new RateLimit(INBOUND_BURST, INBOUND_PER_SECOND, 64);
  private readonly dropped = new Map<string, number>();
  private sent = 0;
  private received = 0;
  private running = false;
  private backlog = 0;
  // Sealing and unsealing are async; chaining them keeps messages in the order they were sent and received.
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<unknown> = Promise.resolve();

  constructor(options: SignalingOptions) {
    const { gridId, selfId, relays } = options;
    const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    if (typeof WebSocketImpl !== 'function') throw new SignalingConfigError('no WebSocket implementation');
    if (globalThis.crypto?.subtle === undefined) {
      // Browsers hide crypto.subtle outside secure contexts (plain http other than localhost).
      throw new SignalingConfigError('WebCrypto is unavailable (not a secure context?)');
    }
    if (!(gridId instanceof Uint8Array) || gridId.length !== GRID_ID_BYTES) {
      throw new SignalingConfigError(`gridId must be ${GRID_ID_BYTES} bytes`);
    }
    if (!isPeerId(selfId)) {
      throw new SignalingConfigError(
        `selfId must be a non-empty string of at most ${MAX_PEER_ID_LENGTH} chars`,
      );
    }
    if (!Array.isArray(relays) || relays.length === 0) throw new SignalingConfigError('no relays');
    for (const url of relays) checkRelayUrl(url);
    const backoff = { ...defaultBackoff, ...options.backoff };
    const timing = {
      pingIntervalMs: options.pingIntervalMs ?? signalingDefaults.pingIntervalMs,
      pongTimeoutMs: options.pongTimeoutMs ?? signalingDefaults.pongTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? signalingDefaults.connectTimeoutMs,
    };
    for (const [name, ms] of Object.entries({ ...backoff, ...timing })) {
      if (!Number.isFinite(ms) || ms <= 0)
        throw new SignalingConfigError(`${name} must be a positive number`);
    }
    if (backoff.maxMs < backoff.baseMs) throw new SignalingConfigError('backoff.maxMs must be ≥ baseMs');

    this.selfId = selfId;
    this.onMessage = options.onMessage;
    this.onStatus = options.onStatus;
    this.topic = gridTopic(gridId);
    this.key = deriveSignalKey(gridId);
    // Its failure surfaces on every send and is counted on every receive; it must not also be unhandled.
    this.key.catch(() => {});
    const random = options.random ?? Math.random;
    this.relays = [...new Set(relays)].map(
      (url) =>
        new RelayConnection({
          url,
          topic: this.topic,
          WebSocket: WebSocketImpl,
          backoff,
          random,
          timing,
          onFrame: (relay, data) => this.onFrame(relay, data),
          onChange: () => this.emitStatus(),
        }),
    );
  }

  /** Connects to every relay (and keeps reconnecting) until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const relay of this.relays) relay.start();
  }

  /** Closes every connection and cancels every timer. start() may be called again later. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const relay of this.relays) relay.stop();
    this.emitStatus();
  }

  /**
   * Seals `payload` (any JSON value) and publishes it on every open relay, to node `to` or, without it, to the
   * whole grid. Resolves to the number of relays it was written to: 0 when none is open, in which case the
   * message is gone (signaling is only useful live; callers re-announce when onStatus reports a relay open).
   */
  async send(payload: unknown, to?: string): Promise<number> {
    if (to !== undefined && !isPeerId(to)) {
      throw new SignalingPayloadError(`to must be a non-empty string of at most ${MAX_PEER_ID_LENGTH} chars`);
    }
    if (payload === undefined || typeof payload === 'function' || typeof payload === 'symbol') {
      throw new SignalingPayloadError('payload must be a JSON value');
    }
    const id = toHex(crypto.getRandomValues(new Uint8Array(MESSAGE_ID_BYTES)));
    const envelope = { v: 1, id, from: this.selfId, ...(to === undefined ? {} : { to }), payload };
    let plaintext: Uint8Array;
    try {
      plaintext = utf8(JSON.stringify(envelope));
    } catch (err) {
      throw new SignalingPayloadError(`payload is not JSON-serializable: ${(err as Error).message}`);
    }
    if (plaintext.length > MAX_PLAINTEXT_BYTES) {
      throw new SignalingPayloadError(`message is ${plaintext.length} bytes, max ${MAX_PLAINTEXT_BYTES}`);
    }
    const published = this.outbound.then(() => this.publish(plaintext));
    this.outbound = published.catch(() => {});
    return published;
  }

  status(): SignalingStatus {
    return {
      relays: this.relays.map((relay) => relay.status()),
      sent: this.sent,
      received: this.received,
      dropped: Object.fromEntries(this.dropped),
    };
  }

  private async publish(plaintext: Uint8Array): Promise<number> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const data = await seal(await this.key, plaintext, iv);
    const frame = JSON.stringify({ type: 'publish', topic: this.topic, data });
    let written = 0;
    for (const relay of this.relays) if (relay.write(frame)) written++;
    if (written > 0) this.sent++;
    else this.count('no-open-relay');
    return written;
  }

  private onFrame(relay: RelayConnection, data: unknown): void {
    if (!this.inboundBudget.take(relay.url, Date.now())) return this.count('inbound-budget');
    if (typeof data !== 'string') return this.count('binary-frame');
    // Code units never outnumber UTF-8 bytes, so the cheap check rejects most oversized frames unencoded.
    if (data.length > MAX_FRAME_BYTES || utf8Length(data) > MAX_FRAME_BYTES) {
      return this.count('frame-too-large');
    }
    const frame = parseObject(data);
    if (frame === undefined) return this.count('bad-frame');
    switch (frame.type) {
      case 'pong':
        return relay.pong();
      case 'publish':
        break;
      case 'error':
        // Our relay explains refused frames; ours are well-formed, so this means a limit. A refused
        // subscribe (a full or squatted room) is tried again with backoff: otherwise this node would never
        // hear its grid on this relay while its socket stays open (SECURITY-REVIEW finding 8).
        if (frame.reason === 'topic-full' || frame.reason === 'address-topic-limit') {
          this.count(`relay-${frame.reason}`);
          return relay.subscribeRefused();
        }
        return this.count('relay-error');
      default:
        return this.count('unknown-frame');
    }
    if (frame.topic !== this.topic) return this.count('wrong-topic');
    const sealed = frame.data;
    if (typeof sealed !== 'string') return this.count('data-not-string');
    if (sealed.length > MAX_SEALED_CHARS) return this.count('payload-too-large');
    if (this.backlog >= MAX_BACKLOG) return this.count('backlog-full');
    this.backlog++;
    this.inbound = this.inbound
      .then(() => this.unseal(sealed))
      .catch(() => this.count('internal-error'))
      .finally(() => this.backlog--);
  }

  private async unseal(data: string): Promise<void> {
    const plaintext = await open(await this.key, data);
    if (typeof plaintext === 'string') return this.count(plaintext);
    if (plaintext.length > MAX_PLAINTEXT_BYTES) return this.count('payload-too-large');
    const text = utf8Decode(plaintext);
    let value: unknown;
    try {
      if (text === undefined) return this.count('bad-json');
      value = JSON.parse(text);
    } catch {
      return this.count('bad-json');
    }
    const envelope = parseEnvelope(value);
    if (envelope === undefined) return this.count('bad-shape');
    const { id, from, to, payload } = envelope;
    if (from === this.selfId) return this.count('own-echo');
    if (!this.recent.add(id)) return this.count('duplicate');
    if (to !== undefined && to !== this.selfId) return this.count('not-for-us');
    if (!this.running) return;
    this.received++;
    const onMessage = this.onMessage;
    if (onMessage) notify(() => onMessage(from, payload, { id, direct: to !== undefined }));
  }

  private count(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  private emitStatus(): void {
    const onStatus = this.onStatus;
    if (onStatus) notify(() => onStatus(this.status()));
  }
}
