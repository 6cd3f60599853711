// One client connection as the relay keeps it, and what it may send: frames (a token bucket of
// `rateLimitBurst`, refilled at `rateLimitPerSecond`) and publish bytes (`publishBytesBurst`, refilled at
// `publishBytesPerSecond`). Both buckets refill together, from the time of the connection's last frame.
// Pure: the time is given.
import type { WebSocket } from 'ws';
import type { RelayOptions } from './options.ts';

/** Connections and subscriptions held by one client address (`maxConnectionsPerAddress`, …PerAddress). */
export interface AddressUse {
  key: string;
  connections: number;
  subscriptions: number;
}

export interface Peer {
  ws: WebSocket;
  /** What this connection's address holds (shared by every connection from it). */
  address: AddressUse;
  topics: Set<string>;
  tokens: number;
  refilledAt: number;
  /** Publish bytes this connection may still send (`publishBytesBurst`, refilled per second). */
  byteTokens: number;
  errors: number;
  alive: boolean;
  // Set once the relay gives up on a connection, so nothing more is read from or queued for it.
  closing: boolean;
  closed: Promise<void>;
}

type Budgets = Pick<
  RelayOptions,
  'rateLimitBurst' | 'rateLimitPerSecond' | 'publishBytesBurst' | 'publishBytesPerSecond'
>;

/** A new connection's state: full buckets; `closed` resolves when `markClosed` is called. */
export function newPeer(ws: WebSocket, address: AddressUse, opts: Budgets, now: number) {
  let markClosed = (): void => {};
  const peer: Peer = {
    ws,
    address,
    topics: new Set(),
    tokens: opts.rateLimitBurst,
    refilledAt: now,
    byteTokens: opts.publishBytesBurst,
    errors: 0,
    alive: true,
    closing: false,
    closed: new Promise((resolve) => (markClosed = resolve)),
  };
  return { peer, markClosed: () => markClosed() };
}

/** Takes a frame token, refilling the frame and byte buckets for the time since the last frame. */
export function takeFrameToken(peer: Peer, opts: Budgets, now: number): boolean {
  const seconds = (now - peer.refilledAt) / 1000;
  peer.tokens = Math.min(opts.rateLimitBurst, peer.tokens + seconds * opts.rateLimitPerSecond);
  peer.byteTokens = Math.min(opts.publishBytesBurst, peer.byteTokens + seconds * opts.publishBytesPerSecond);
  peer.refilledAt = now;
  if (peer.tokens < 1) return false;
  peer.tokens -= 1;
  return true;
}

/** Takes `length` publish bytes (after `takeFrameToken` refilled the bucket); false, taking none, if short. */
export function takePublishBytes(peer: Peer, length: number): boolean {
  if (peer.byteTokens < length) return false;
  peer.byteTokens -= length;
  return true;
}
