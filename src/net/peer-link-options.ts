/**
 * What a peer link (peer-link.ts) is given: its options, checked and completed with their defaults
 * (`resolveOptions`), and the events it reports to its owner.
 *
 * Rules: every size and time is a positive integer, and the local queue holds at least one message of the
 * largest size (or `send` would refuse it forever); a bad option throws PeerLinkOptionsError as the link is
 * made.
 */
import { QUEUE_ENTRY_OVERHEAD } from './frame-queue.ts';
import { HEADER_BYTES } from './peer-link-wire.ts';
import type { PeerSignal } from './peer-signal.ts';

// Chromium's SCTP max-message-size is 262144 bytes and it refuses larger sends, so the largest payload is
// that minus the type byte.
const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 - HEADER_BYTES;

export interface PeerLinkOptions {
  initiator: boolean;
  /** STUN/TURN servers. None by default: host candidates suffice on a LAN or one machine. */
  iceServers?: RTCIceServer[];
  /** 'relay' uses TURN candidates only (hides addresses from the peer; tests TURN); default 'all'. */
  iceTransportPolicy?: 'relay' | 'all';
  /** Largest message payload `send` accepts and the largest received one delivered. */
  maxMessageBytes?: number;
  /** `send` stops writing to the data channel while its bufferedAmount is above this. */
  highWaterBytes?: number;
  /** Bound on the local queue behind the data channel; `send` returns false rather than exceed it. */
  maxQueuedBytes?: number;
  connectTimeoutMs?: number;
  /** How often the link pings; the other side's pings keep the link from falling silent. */
  pingIntervalMs?: number;
  /**
   * An open link on which nothing arrived for this long is closed ('silent'), checked at every ping. A
   * browser that vanishes without closing (killed, crashed, network gone) is otherwise noticed only when
   * ICE consent expires, 15–30 s later; this is a few missed pings.
   */
  silenceTimeoutMs?: number;
}

export interface PeerLinkEvents {
  /** Signaling data (offer, answer or one ICE candidate) to deliver to the other side's `signal()`. */
  signal(data: PeerSignal): void;
  open?(): void;
  message?(bytes: Uint8Array): void;
  rtt?(ms: number): void;
  /** The local queue emptied after holding frames: a sender refused by `send` can continue. */
  drain?(): void;
  /** Signaling refused as abuse ('too-many-candidates'); also counted in the link's own `dropped`. */
  refused?(reason: string): void;
  /**
   * Fires exactly once. Reasons: 'local close', 'remote close', 'connect timeout', 'silent',
   * 'peer max-message-size …', or 'error: CODE message'.
   */
  close?(reason: string): void;
}

export class PeerLinkOptionsError extends Error {
  override name = 'PeerLinkOptionsError';
}

export type ResolvedOptions = Required<PeerLinkOptions>;

const POSITIVE_INTEGER_OPTIONS = [
  'maxMessageBytes',
  'highWaterBytes',
  'maxQueuedBytes',
  'connectTimeoutMs',
  'pingIntervalMs',
  'silenceTimeoutMs',
] as const;

export function resolveOptions(options: PeerLinkOptions): ResolvedOptions {
  const highWaterBytes = options.highWaterBytes ?? 1024 * 1024;
  const resolved: ResolvedOptions = {
    initiator: options.initiator,
    iceServers: options.iceServers ?? [],
    iceTransportPolicy: options.iceTransportPolicy ?? 'all',
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    highWaterBytes,
    maxQueuedBytes: options.maxQueuedBytes ?? 4 * highWaterBytes,
    connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
    // A 9-byte frame every 2 s each way is nothing beside gossip; four of them missed is silence.
    pingIntervalMs: options.pingIntervalMs ?? 2_000,
    silenceTimeoutMs: options.silenceTimeoutMs ?? 8_000,
  };
  for (const key of POSITIVE_INTEGER_OPTIONS) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < 1)
      throw new PeerLinkOptionsError(`${key} must be a positive integer`);
  }
  if (resolved.iceTransportPolicy !== 'all' && resolved.iceTransportPolicy !== 'relay')
    throw new PeerLinkOptionsError("iceTransportPolicy must be 'relay' or 'all'");
  // Otherwise a maximum-size message could never be queued and `send` would refuse it forever.
  if (resolved.maxQueuedBytes < resolved.maxMessageBytes + HEADER_BYTES + QUEUE_ENTRY_OVERHEAD)
    throw new PeerLinkOptionsError('maxQueuedBytes must hold at least one maximum-size message');
  return resolved;
}
