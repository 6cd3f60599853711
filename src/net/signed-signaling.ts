/**
 * Signed signaling (PROTOCOL.md §9): what authenticates a message on the signaling topic is its sender's
 * node key, not the grid-wide sealing key. The sealing key (seal.ts) stays, as privacy against the relay;
 * every grid-id holder has it, so it proves nothing about who wrote a message.
 *
 * Rules:
 * - "Every signaling message is signed by its sender's node key over `gridnode/signal/v1\n · gridId · m`,
 *   where `m` is the exact JSON text of its body." The sealed payload is `{ m, g }` (g: the signature,
 *   base64url); receivers verify the bytes they got and never re-encode them.
 * - The body is `{ v: 1, from, to, s, n, at, p }`: `to` is the recipient's id, or `*` for anyone (only a
 *   broadcast may say `*`, and a broadcast must say it); `s` the sender's session; `n` a counter that
 *   grows with every message of a session; `at` the sender's clock (ms); `p` the message itself.
 * - "A message is accepted only within `windowMs` of the receiver's clock, and only if its counter is
 *   above the last one accepted from that sender's session; a new session is accepted only if it is later
 *   than the session it replaces." Replays and session changes that fail these are ignored and counted.
 * - Cheap checks come first (size, parse, sender, recipient, window, counter), so a forged or replayed
 *   message costs no signature check; verification is asynchronous (WebCrypto where the runtime has it)
 *   and its result is cached by the hash of `m · g`, failures included.
 *
 * Invariants: nothing a peer or relay sent throws; every table here is bounded; messages are signed,
 * sent and handed on in order, so counters never arrive out of order from one relay.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex, utf8 } from '../core/bytes.ts';
import { type NodeId, parseNodeId } from '../core/identity.ts';
import type { Signer, Verifier } from '../crypto/ed25519.ts';
import { base64urlDecode, base64urlEncode } from './seal.ts';
import { MAX_PLAINTEXT_BYTES, notify } from './signaling-frames.ts';

export const SIGNAL_DOMAIN = 'gridnode/signal/v1\n';
/** The recipient of a broadcast. */
export const ANYONE = '*';

export const signedSignalingDefaults = {
  // Browsers keep their clocks within seconds of each other through NTP; five minutes tolerates a badly
  // set clock while keeping what a replay can reach short. Within the window the counter rules hold.
  windowMs: 5 * 60_000,
  // Senders whose last session and counter are remembered. Each costs a few dozen bytes; evicting one
  // only lets its own old messages be replayed within the window, the oldest first.
  maxSenders: 4096,
  // Verification results remembered (by hash): relays deliver a copy each, and replays repeat.
  maxCached: 4096,
  // Messages waiting for their signature check; beyond it a flood is dropped, not queued.
  maxBacklog: 256,
} as const;

const SIGNATURE_CHARS = 86; // base64url of 64 bytes, unpadded
const MAX_SESSION_CHARS = 64;

/** What the transport (SignalingClient) offers this layer. */
export interface SignalTransport {
  send(payload: unknown, to?: string): Promise<number>;
}

export interface SignedInfo {
  /** Addressed to this node, as opposed to broadcast. */
  direct: boolean;
  /** The sender's session, as it signed it. */
  session: string;
}

export interface SignedSignalingOptions {
  transport: SignalTransport;
  signer: Signer;
  verifier: Verifier;
  gridId: Uint8Array;
  selfId: NodeId;
  /** This sender's session id: random per run (the caller's randomness). */
  session: string;
  now?: () => number;
  windowMs?: number;
  onMessage(from: NodeId, payload: unknown, info: SignedInfo): void;
}

export interface SignalBody {
  from: NodeId;
  to: string;
  s: string;
  n: number;
  at: number;
  p: unknown;
}

/** The bytes a signaling message's signature covers. */
export function signalMessage(gridId: Uint8Array, m: string): Uint8Array {
  return concatBytes(utf8(SIGNAL_DOMAIN), gridId, utf8(m));
}

/** A sealed payload `{ m, g }` opened into its body, or the reason it is refused. Pure. */
export function parseSigned(
  payload: unknown,
  claimed: string,
  direct: boolean,
  selfId: string,
  now: number,
  windowMs: number,
): { body: SignalBody; m: string; signature: Uint8Array } | string {
  if (typeof payload !== 'object' || payload === null) return 'unsigned';
  const { m, g } = payload as { m?: unknown; g?: unknown };
  if (typeof m !== 'string' || typeof g !== 'string') return 'unsigned';
  if (m.length > MAX_PLAINTEXT_BYTES || g.length !== SIGNATURE_CHARS) return 'bad-signed-shape';
  const signature = base64urlDecode(g);
  if (!signature || signature.length !== 64) return 'bad-signed-shape';
  let value: unknown;
  try {
    value = JSON.parse(m);
  } catch {
    return 'bad-signed-shape';
  }
  if (typeof value !== 'object' || value === null) return 'bad-signed-shape';
  const { v, from, to, s, n, at } = value as Record<string, unknown>;
  if (v !== 1 || !('p' in value)) return 'bad-signed-shape';
  if (typeof from !== 'string' || from !== claimed || !parseNodeId(from)) return 'sender-mismatch';
  if (typeof to !== 'string') return 'bad-signed-shape';
  if (direct ? to !== selfId : to !== ANYONE) return 'wrong-recipient';
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_SESSION_CHARS) return 'bad-session';
  if (!Number.isSafeInteger(n) || (n as number) < 1) return 'bad-counter';
  if (typeof at !== 'number' || !Number.isFinite(at)) return 'bad-time';
  if (Math.abs(now - at) > windowMs) return 'outside-window';
  const body = { from: from as NodeId, to, s, n: n as number, at, p: (value as { p: unknown }).p };
  return { body, m, signature };
}

/** The last session and counter accepted from each sender. Pure; bounded. */
export class Freshness {
  private readonly last = new Map<NodeId, { s: string; n: number; at: number }>();

  constructor(private readonly maxSenders: number) {}

  /** Why `body` is stale, or undefined if it is fresh. */
  check(body: SignalBody): string | undefined {
    const last = this.last.get(body.from);
    if (!last) return undefined;
    if (last.s === body.s) return body.n > last.n ? undefined : 'replay';
    return body.at > last.at ? undefined : 'stale-session';
  }

  accept(body: SignalBody): void {
    this.last.delete(body.from);
    this.last.set(body.from, { s: body.s, n: body.n, at: body.at });
    if (this.last.size > this.maxSenders) this.last.delete(this.last.keys().next().value!);
  }
}

export class SignedSignaling {
  readonly dropped: Record<string, number> = {};
  private readonly freshness = new Freshness(signedSignalingDefaults.maxSenders);
  private readonly verified = new Map<string, boolean>();
  private readonly now: () => number;
  private readonly windowMs: number;
  private counter = 0;
  private outbound: Promise<unknown> = Promise.resolve();
  private inbound: Promise<void> = Promise.resolve();
  private backlog = 0;

  constructor(private readonly options: SignedSignalingOptions) {
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? signedSignalingDefaults.windowMs;
  }

  /** Signs `payload` for `to` (or anyone) and hands it to the transport; resolves to the relays written. */
  send(payload: unknown, to?: NodeId): Promise<number> {
    const sent = this.outbound.then(async () => {
      const { selfId, session, gridId, signer } = this.options;
      const body = { v: 1, from: selfId, to: to ?? ANYONE, s: session, n: ++this.counter, at: this.now() };
      const m = JSON.stringify({ ...body, p: payload });
      const g = base64urlEncode(await signer.sign(signalMessage(gridId, m)));
      return this.options.transport.send({ m, g }, to);
    });
    this.outbound = sent.catch(() => {});
    return sent;
  }

  /** A message the transport delivered (unsealed, deduplicated by id): checked, then handed on. */
  receive(claimed: string, payload: unknown, direct: boolean): void {
    const parsed = parseSigned(payload, claimed, direct, this.options.selfId, this.now(), this.windowMs);
    if (typeof parsed === 'string') return this.count(parsed);
    const stale = this.freshness.check(parsed.body);
    if (stale) return this.count(stale);
    if (this.backlog >= signedSignalingDefaults.maxBacklog) return this.count('verify-backlog-full');
    this.backlog++;
    this.inbound = this.inbound
      .then(() => this.verifyAndDeliver(parsed.body, parsed.m, parsed.signature))
      .catch(() => this.count('internal-error'))
      .finally(() => this.backlog--);
  }

  private async verifyAndDeliver(body: SignalBody, m: string, signature: Uint8Array): Promise<void> {
    if (!(await this.verify(body.from, m, signature))) return this.count('bad-signature');
    // Checked again: a message of the same sender may have been accepted while this one waited.
    const stale = this.freshness.check(body);
    if (stale) return this.count(stale);
    this.freshness.accept(body);
    const info = { direct: body.to !== ANYONE, session: body.s };
    notify(() => this.options.onMessage(body.from, body.p, info));
  }

  private async verify(from: NodeId, m: string, signature: Uint8Array): Promise<boolean> {
    const key = toHex(sha256(concatBytes(utf8(m), signature)));
    const known = this.verified.get(key);
    if (known !== undefined) return known;
    const publicKey = parseNodeId(from)!;
    const ok = await this.options.verifier.verify(
      publicKey,
      signalMessage(this.options.gridId, m),
      signature,
    );
    this.verified.set(key, ok);
    if (this.verified.size > signedSignalingDefaults.maxCached)
      this.verified.delete(this.verified.keys().next().value!);
    return ok;
  }

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }
}
