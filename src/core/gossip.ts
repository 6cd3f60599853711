/**
 * The gossip node: a deterministic state machine with no I/O (PROTOCOL.md §3–§6).
 *
 * Inputs are method calls that carry the time (`now`, local clock, ms) — link up / down, bytes from a
 * linked peer, a tick, a local change; randomness comes from the injected `Random`. Outputs are returned
 * as a list: bytes to send, a request to sign a new announcement, records to persist, flags. The node
 * never reads a clock, sets a timer, awaits, or touches a socket; `nextDeadline()` tells its driver when
 * to tick next.
 *
 * The rules, in the order a received announcement meets them:
 *  1. Decoding never throws; every rejected input is dropped and counted under a named reason.
 *  2. Duplicates are recognised by the SHA-256 of the envelope bytes *before* any signature check, and
 *     stale seqnums (replays) by the body's seqnum, also before the check: verification is the expensive
 *     step and is spent only on news.
 *  3. Strictly greater seqnum replaces. Smaller is a replay: dropped, counted. Equal seqnum with different
 *     bytes is an equivocation: the envelope with the lower SHA-256 wins on every node, whatever the arrival
 *     order, and the origin is flagged.
 *  4. A node hearing its own key at or above its counter jumps its counter past it and republishes
 *     (seed 001: counters recover from loss without clocks).
 *  5. News is pushed lazily: IHAVE (a 13-byte ref) to every link except those known to have it, IWANT
 *     from one of the peers that advertised it, with a timeout before asking the next. Each node thus
 *     receives about one copy of each payload, and a node forwards an announcement at most once per
 *     version, so there are no flooding loops.
 *  6. On link-up, and every `antiEntropyMs` with one random link, peers compare fingerprints; on a
 *     mismatch one sends a DIGEST of refs and the other pushes what is missing and asks for what it lacks.
 *  7. Zooko's rules (seed 001): gossip only origins linked or heard from within `expireAfterMs`; keep
 *     connection history and dial most-recently-seen peers first, a few at a time, backing off from
 *     those that keep failing; forget origins unseen for `forgetAfterMs` on the local clock, only while
 *     linked to `minPeersToForget` settled peers, and keep a seqnum floor so the forgotten announcement
 *     cannot be replayed back in. No rule compares clocks of different nodes, and every time the node
 *     computes is a whole number of milliseconds, so a node whose clock is off by any constant behaves
 *     exactly as one whose clock is right.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type AnnouncementBody,
  type Envelope,
  type Services,
  BODY_VERSION,
  NONCE_BYTES,
  decodeBody,
  decodeEnvelope,
  encodeBody,
  signedMessage,
} from './announcement.ts';
import { compareBytes, equalBytes } from './bytes.ts';
import { type CoreConfig, resolveConfig } from './config.ts';
import {
  type PeerHistory,
  emptyHistory,
  historyFrom,
  planDials,
  recordAlive,
  recordConnected,
  recordDisconnected,
  recordFailure,
  recordRtt,
} from './history.ts';
import { type NodeId, type Tag, nodeIdString, parseNodeId, tagOf } from './identity.ts';
import {
  FINGERPRINT_BYTES,
  type Message,
  MessageType,
  type Ref,
  decodeMessage,
  encodeAnnounce,
  encodeRefs,
  encodeSummary,
} from './messages.ts';
import { base32Decode } from './base32.ts';
import { permutedOrder } from './permute.ts';
import type { MembershipReason } from './membership.ts';
import type { Random } from './random.ts';

/** Every reason an input is dropped. Each has a counter in `stats().dropped`. */
export type DropReason =
  | 'not-linked'
  | 'oversized-message'
  | 'malformed-message'
  | 'malformed-envelope'
  | 'malformed-body'
  | 'foreign-grid'
  | 'bad-signature'
  | 'duplicate'
  | 'replay'
  /** An announcement at or below the seqnum of an origin this node forgot (rule 3's floor). */
  | 'forgotten-replay'
  | 'equivocation-loser'
  | 'tag-collision'
  | 'table-full'
  | 'want-limit'
  | 'want-unavailable'
  | 'want-timeout'
  /** Refused by the membership check (see membership.ts for each reason). */
  | MembershipReason;

/**
 * Decides whether a verified announcement's origin belongs to the grid; returns a reason to refuse it.
 * Runs after the signature check (membership is about who signed) and must be synchronous.
 */
export type AdmitFn = (origin: Uint8Array, body: AnnouncementBody, now: number) => DropReason | undefined;

export type Output =
  | { readonly type: 'send'; readonly to: NodeId; readonly bytes: Uint8Array }
  /** Sign and publish a new announcement now (`prepareAnnouncement` → sign → `acceptOwn`). */
  | { readonly type: 'announce-needed'; readonly reason: 'changed' | 'refresh' | 'counter-jump' }
  /** A new announcement is held: persist its bytes with the local receipt time. */
  | {
      readonly type: 'stored';
      readonly origin: Uint8Array;
      readonly seqnum: number;
      readonly envelope: Uint8Array;
      readonly hash: Uint8Array;
      readonly receivedAt: number;
    }
  /**
   * The origin is gone from the table: delete its announcement and history. With `floor` (forgotten by
   * rule 3, not evicted), persist the floor: announcements at or below `seqnum` stay refused until `until`.
   */
  | {
      readonly type: 'forgotten';
      readonly id: NodeId;
      readonly floor?: { readonly seqnum: number; readonly until: number };
    }
  /** Connection history changed: persist it (rule 2). */
  | { readonly type: 'history'; readonly id: NodeId; readonly history: Readonly<PeerHistory> }
  /** Try to link with this peer (rule 2); report `linkUp` or `linkFailed`. */
  | { readonly type: 'dial'; readonly id: NodeId }
  /** A dial produced no link within `dialTimeoutMs` and counts as failed: abandon the attempt. */
  | { readonly type: 'dial-timeout'; readonly id: NodeId }
  | { readonly type: 'flagged'; readonly reason: 'equivocation'; readonly id: NodeId };

/**
 * Checks an envelope's signature. Called only for news, with the SHA-256 of the envelope bytes (which the
 * core has computed anyway); must be synchronous, so a driver puts a cache in front of it.
 */
export type VerifyFn = (envelope: Envelope, hash: Uint8Array) => boolean;

export interface PeerInfo {
  readonly id: NodeId;
  readonly publicKey: Uint8Array;
  readonly nickname: string;
  readonly services: Services;
  readonly hints: readonly string[];
  readonly membership: Uint8Array;
  readonly seqnum: number;
  /** Directly linked to this node now. */
  readonly connected: boolean;
  /** Local time of the newest news from or link with this origin. */
  readonly lastSeen: number;
  /** Still gossiped (rule 1). */
  readonly fresh: boolean;
  readonly self: boolean;
}

export type ServiceEvent = { readonly type: 'added' | 'updated' | 'removed'; readonly peer: PeerInfo };
export type ServiceCallback = (event: ServiceEvent) => void;

export interface PreparedAnnouncement {
  readonly seqnum: number;
  readonly body: Uint8Array;
  /** The bytes to sign: domain · origin · body. */
  readonly message: Uint8Array;
}

export interface GossipNodeOptions {
  publicKey: Uint8Array;
  gridId: Uint8Array;
  random: Random;
  config?: Partial<CoreConfig>;
  /** The last seqnum this node used (persisted counter); 0 for a new node. */
  counter?: number;
  nickname?: string;
  services?: Services;
  hints?: readonly string[];
  membership?: Uint8Array;
  /** The grid's membership rule; without one, every correctly signed announcement of the grid id is admitted. */
  admit?: AdmitFn;
}

/**
 * One origin's newest announcement. Kept small on purpose — a simulation holds a million of these — so
 * the origin key, id and decoded body are derived from `envelope` when asked for, not stored.
 */
interface Entry {
  readonly tag: Tag;
  /** The node's own copy of the envelope bytes: origin key at [1, 33). */
  readonly envelope: Uint8Array;
  readonly hash: Uint8Array;
  readonly hash32: number;
  readonly seqnum: number;
  receivedAt: number;
  lastSeenAt: number;
  /** Counted in the fingerprint and offered to peers. */
  gossiped: boolean;
}

interface Link {
  readonly id: NodeId;
  readonly tag: Tag;
  readonly upAt: number;
}

/** What is left of a forgotten origin: the seqnum below which its announcements stay refused. */
interface Floor {
  readonly origin: Uint8Array;
  readonly seqnum: number;
  until: number;
}

interface Want {
  ref: Ref;
  asked: NodeId;
  deadline: number;
  /** Other links that advertised this ref (or newer), in the order heard; asked next on timeout. */
  sources: NodeId[];
}

const MAX_SOURCES_PER_WANT = 8;
/** Longest time between sweeps (rules 1 and 3); shorter when the configured intervals are. */
const MAX_SWEEP_MS = 30_000;

const refOf = (e: Entry): Ref => ({ tag: e.tag, seqnum: e.seqnum, hash32: e.hash32 });
/** Ref order: higher seqnum is newer; at equal seqnum the lower hash wins (rule 3). */
const refNewer = (a: Ref, b: Ref): boolean =>
  a.seqnum > b.seqnum || (a.seqnum === b.seqnum && a.hash32 < b.hash32);
const originOf = (e: Entry): Uint8Array => e.envelope.subarray(1, 33);
function sameOrigin(e: Entry, origin: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (e.envelope[i + 1] !== origin[i]) return false;
  return true;
}
function bodyOf(e: Entry): AnnouncementBody {
  const env = decodeEnvelope(e.envelope, Number.MAX_SAFE_INTEGER);
  const body = env.ok && decodeBody(env.value.body);
  if (!body || !body.ok) throw new Error('unreachable: a stored envelope no longer decodes');
  return body.value;
}
const copyHistory = (h: PeerHistory): PeerHistory => ({ ...h, rttSamples: [...h.rttSamples] });
const hash32Of = (h: Uint8Array): number => ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;

export class GossipNode {
  readonly id: NodeId;
  readonly publicKey: Uint8Array;
  readonly gridId: Uint8Array;
  readonly config: CoreConfig;
  private readonly tag: Tag;
  private readonly random: Random;
  private readonly admit: AdmitFn | undefined;

  private counter: number;
  private nickname: string;
  private services: Services;
  private hints: readonly string[];
  private membership: Uint8Array;

  private readonly entries = new Map<Tag, Entry>();
  private readonly links = new Map<NodeId, Link>();
  private readonly linkedTags = new Set<Tag>();
  private readonly wants = new Map<Tag, Want>();
  /**
   * Want deadlines in order. Every deadline is `now + wantTimeoutMs`, so appending keeps the queue sorted;
   * superseded items are skipped lazily (`peekWant`). A Map cannot serve here: V8 iterates past the
   * deleted slots at its front on every look, which made ticks linear in recent churn.
   */
  private wantQueue: { want: Want; deadline: number }[] = [];
  private wantHead = 0;
  private readonly history = new Map<NodeId, PeerHistory>();
  private readonly floors = new Map<Tag, Floor>();
  /** Dials in flight: peer → local time at which the attempt counts as failed. */
  private readonly dialing = new Map<NodeId, number>();
  /** When to look for peers to dial again; -Infinity: at the end of the current input. */
  private redialAt = Number.NEGATIVE_INFINITY;
  private readonly sweepMs: number;
  private readonly subscribers = new Map<string, Set<ServiceCallback>>();

  private fingerprint = new Uint8Array(FINGERPRINT_BYTES);
  private gossipedCount = 0;
  private nextRefreshAt = Number.POSITIVE_INFINITY;
  private nextAntiEntropyAt = Number.POSITIVE_INFINITY;
  private nextSweepAt = Number.NEGATIVE_INFINITY;
  private out: Output[] = [];
  /** Per-link IHAVE refs, flushed as one message per link `ihaveDelayMs` after the first was queued. */
  private ihaveQueue = new Map<NodeId, Ref[]>();
  private ihaveFlushAt = Number.POSITIVE_INFINITY;

  private readonly counters = {
    dropped: {} as Record<DropReason, number>,
    malformed: {} as Record<string, number>,
    equivocations: 0,
    verifications: 0,
    subscriberErrors: 0,
    sentMessages: 0,
    sentBytes: 0,
    receivedMessages: 0,
    receivedBytes: 0,
  };

  constructor(options: GossipNodeOptions) {
    if (options.publicKey.length !== 32) throw new TypeError('publicKey must be 32 bytes');
    if (options.gridId.length !== 32) throw new TypeError('gridId must be 32 bytes');
    this.config = resolveConfig(options.config);
    this.publicKey = options.publicKey.slice();
    this.gridId = options.gridId.slice();
    this.id = nodeIdString(this.publicKey);
    this.tag = tagOf(this.publicKey);
    this.random = options.random;
    this.admit = options.admit;
    this.counter = options.counter ?? 0;
    this.nickname = options.nickname ?? '';
    this.services = options.services ?? {};
    this.hints = options.hints ?? [];
    this.membership = options.membership ?? new Uint8Array(0);
    const c = this.config;
    this.sweepMs = Math.max(1, Math.min(MAX_SWEEP_MS, Math.floor(c.refreshIntervalMs / 4)));
  }

  /** `ms` scaled by a random factor in [low, low + spread), whole milliseconds. */
  private jittered(ms: number, low: number, spread: number): number {
    return Math.round(ms * (low + spread * this.random.next()));
  }

  // ——— Local changes ———————————————————————————————————————————————————————————————————————————————

  /** Offers a service (replacing its parameters). The caller then publishes a new announcement. */
  publish(service: string, params: Readonly<Record<string, string>> = {}): Output[] {
    this.services = { ...this.services, [service]: { ...params } };
    return [{ type: 'announce-needed', reason: 'changed' }];
  }

  unpublish(service: string): Output[] {
    if (!(service in this.services)) return [];
    const { [service]: _removed, ...rest } = this.services;
    this.services = rest;
    return [{ type: 'announce-needed', reason: 'changed' }];
  }

  setNickname(nickname: string): Output[] {
    this.nickname = nickname;
    return [{ type: 'announce-needed', reason: 'changed' }];
  }

  setHints(hints: readonly string[]): Output[] {
    this.hints = [...hints];
    return [{ type: 'announce-needed', reason: 'changed' }];
  }

  setMembership(membership: Uint8Array): Output[] {
    this.membership = membership.slice();
    return [{ type: 'announce-needed', reason: 'changed' }];
  }

  /** The persisted counter: the last seqnum this node signed. */
  get seqnum(): number {
    return this.counter;
  }

  /**
   * Builds the next announcement body and bumps the counter. The driver must persist `seqnum` as the
   * counter before the signed envelope leaves the node, so a crash never leaves the counter behind a
   * published seqnum. Throws `EncodeError` if local settings exceed the limits.
   */
  prepareAnnouncement(): PreparedAnnouncement {
    const seqnum = this.counter + 1;
    const body = encodeBody({
      version: BODY_VERSION,
      gridId: this.gridId,
      seqnum,
      nonce: this.random.bytes(NONCE_BYTES),
      nickname: this.nickname,
      services: this.services,
      hints: this.hints,
      membership: this.membership,
    });
    this.counter = seqnum;
    return { seqnum, body, message: signedMessage(this.publicKey, body) };
  }

  /** Installs this node's own freshly signed envelope and advertises it to every link. */
  acceptOwn(envelopeBytes: Uint8Array, now: number): Output[] {
    const env = this.parseCopy(envelopeBytes);
    if (!env || !equalBytes(env.origin, this.publicKey)) throw new Error('acceptOwn: not our envelope');
    const body = decodeBody(env.body);
    if (!body.ok || body.value.seqnum !== this.counter)
      throw new Error('acceptOwn: not the prepared announcement');
    const entry = this.store(env, body.value.seqnum, sha256(env.bytes), now);
    this.nextRefreshAt = now + this.jittered(this.config.refreshIntervalMs, 0.9, 0.2);
    this.advertise(entry, undefined, now);
    return this.flush(now);
  }

  // ——— Links ————————————————————————————————————————————————————————————————————————————————————————

  linkUp(peer: NodeId, now: number): Output[] {
    const key = parseNodeId(peer);
    if (!key) throw new TypeError(`linkUp: not a node id: ${peer}`);
    if (this.links.has(peer) || peer === this.id) return [];
    const tag = tagOf(key);
    this.links.set(peer, { id: peer, tag, upAt: now });
    this.linkedTags.add(tag);
    if (this.dialing.delete(peer)) this.redialAt = Number.NEGATIVE_INFINITY;
    if (this.nextAntiEntropyAt === Number.POSITIVE_INFINITY)
      this.nextAntiEntropyAt = now + this.jittered(this.config.antiEntropyMs, 0, 1);
    const history = this.historyOf(peer);
    recordConnected(history, now);
    this.out.push({ type: 'history', id: peer, history: copyHistory(history) });
    const entry = this.entries.get(tag);
    if (entry) this.touch(entry, now);
    // One side opens reconciliation, so a link-up costs one exchange, not two crossing ones.
    if (this.id < peer) this.send(peer, encodeSummary(this.gossipedCount, this.fingerprint));
    return this.flush(now);
  }

  linkDown(peer: NodeId, now: number): Output[] {
    const link = this.links.get(peer);
    if (!link) return [];
    this.links.delete(peer);
    this.linkedTags.delete(link.tag);
    const history = this.historyOf(peer);
    recordDisconnected(history, now);
    this.out.push({ type: 'history', id: peer, history: copyHistory(history) });
    const entry = this.entries.get(link.tag);
    if (entry) entry.lastSeenAt = now;
    this.ihaveQueue.delete(peer);
    this.redialAt = Number.NEGATIVE_INFINITY;
    return this.flush(now);
  }

  /** A connection attempt to `peer` failed before it became a link (rule 2). */
  linkFailed(peer: NodeId, now: number): Output[] {
    if (!parseNodeId(peer) || this.links.has(peer) || peer === this.id) return [];
    this.failed(peer, now);
    return this.flush(now);
  }

  recordRtt(peer: NodeId, rttMs: number): void {
    if (Number.isFinite(rttMs) && rttMs >= 0) recordRtt(this.historyOf(peer), rttMs);
  }

  /** Dials in flight now (never more than `maxDialsInFlight`). */
  get dialsInFlight(): number {
    return this.dialing.size;
  }

  /**
   * Rule 2: while this node has fewer than `targetLinks` links and dials in flight, and fewer than
   * `maxDialsInFlight` dials, dial the best candidates — every origin it knows and every peer it has a
   * history with. Cheap when there is nothing to do; the candidate scan runs only after something
   * changed (a link lost, a dial failed, a new origin) or when a peer's backoff ends.
   */
  private redial(now: number): void {
    const c = this.config;
    const free = Math.min(
      c.maxDialsInFlight - this.dialing.size,
      c.targetLinks - this.links.size - this.dialing.size,
    );
    if (free <= 0 || now < this.redialAt) return;
    for (const entry of this.entries.values()) {
      if (entry.tag !== this.tag && !this.linkedTags.has(entry.tag))
        this.historyOf(nodeIdString(originOf(entry)));
    }
    const plan = planDials(this.history, now, free, c.reconnectBaseMs, c.reconnectMaxMs, (peer) =>
      this.dialing.has(peer),
    );
    for (const peer of plan.now) {
      this.dialing.set(peer, now + c.dialTimeoutMs);
      this.out.push({ type: 'dial', id: peer });
    }
    // Filled every free slot: look again when a slot frees (which resets redialAt). Otherwise when the
    // first backed-off peer is ready.
    this.redialAt = plan.now.length === free ? Number.POSITIVE_INFINITY : plan.nextReadyAt;
  }

  private expireDials(now: number): void {
    for (const [peer, deadline] of this.dialing) {
      if (deadline > now) continue;
      this.out.push({ type: 'dial-timeout', id: peer });
      this.failed(peer, now);
    }
  }

  /** An attempt to link with `peer` ended without a link: it counts against the peer, and frees a slot. */
  private failed(peer: NodeId, now: number): void {
    this.dialing.delete(peer);
    const history = this.historyOf(peer);
    recordFailure(history, now);
    this.out.push({ type: 'history', id: peer, history: copyHistory(history) });
    this.redialAt = Number.NEGATIVE_INFINITY;
  }

  historyOf(peer: NodeId): PeerHistory {
    let h = this.history.get(peer);
    if (!h) this.history.set(peer, (h = emptyHistory()));
    return h;
  }

  /** Restores history saved by the driver (e.g. from IndexedDB) at start. */
  restoreHistory(peer: NodeId, saved: unknown): void {
    if (!parseNodeId(peer) || peer === this.id) return;
    this.history.set(peer, historyFrom(saved));
    this.redialAt = Number.NEGATIVE_INFINITY;
  }

  /** Restores a floor saved by the driver from a `forgotten` output (rule 3). */
  restoreFloor(peer: NodeId, seqnum: number, until: number): void {
    const origin = parseNodeId(peer);
    if (!origin || peer === this.id || !Number.isSafeInteger(seqnum) || !Number.isFinite(until)) return;
    const tag = tagOf(origin);
    const existing = this.floors.get(tag);
    if (existing && existing.seqnum >= seqnum) return;
    this.setFloor(tag, { origin, seqnum, until });
  }

  // ——— Received bytes ———————————————————————————————————————————————————————————————————————————————

  receive(from: NodeId, bytes: Uint8Array, now: number, verify: VerifyFn): Output[] {
    this.counters.receivedMessages++;
    this.counters.receivedBytes += bytes.length;
    if (!this.links.has(from)) return this.drop('not-linked', now);
    if (bytes.length > this.config.maxMessageBytes) return this.drop('oversized-message', now);
    const decoded = decodeMessage(bytes, this.config.maxBodyBytes + 128);
    if (!decoded.ok) {
      this.counters.malformed[decoded.reason] = (this.counters.malformed[decoded.reason] ?? 0) + 1;
      return this.drop('malformed-message', now);
    }
    this.handle(from, decoded.value, now, verify);
    return this.flush(now);
  }

  private handle(from: NodeId, message: Message, now: number, verify: VerifyFn): void {
    switch (message.type) {
      case MessageType.Summary:
        if (message.count !== this.gossipedCount || !equalBytes(message.fingerprint, this.fingerprint)) {
          for (const part of encodeRefs(
            MessageType.Digest,
            this.gossipedRefs(),
            this.config.maxMessageBytes,
          )) {
            this.send(from, part);
          }
        }
        return;
      case MessageType.Digest:
        return this.onDigest(from, message.refs, now);
      case MessageType.IHave:
        return this.onIHave(from, message.refs, now);
      case MessageType.IWant:
        return this.onIWant(from, message.refs);
      case MessageType.Announce:
        for (const envelope of message.envelopes) this.onEnvelope(from, envelope, now, verify);
        return;
    }
  }

  /** The peer listed what it holds: push what it lacks, ask for what we lack. */
  private onDigest(from: NodeId, refs: readonly Ref[], now: number): void {
    const theirs = new Map<Tag, Ref>();
    for (const ref of refs) theirs.set(ref.tag, ref);
    const push: Uint8Array[] = [];
    for (const entry of this.entries.values()) {
      if (!entry.gossiped) continue;
      const other = theirs.get(entry.tag);
      if (!other || refNewer(refOf(entry), other)) push.push(entry.envelope);
    }
    for (const part of encodeAnnounce(push, this.config.maxMessageBytes)) this.send(from, part);
    this.want(from, refs, now);
  }

  private onIHave(from: NodeId, refs: readonly Ref[], now: number): void {
    this.want(from, refs, now);
  }

  /** Asks `from` for every ref newer than what we hold, unless someone was already asked for it. */
  private want(from: NodeId, refs: readonly Ref[], now: number): void {
    const ask: Ref[] = [];
    for (const ref of refs) {
      const entry = this.entries.get(ref.tag);
      if (entry) {
        if (!(ref.seqnum > entry.seqnum || (ref.seqnum === entry.seqnum && ref.hash32 < entry.hash32)))
          continue;
      } else if (
        ref.tag === this.tag ? ref.seqnum <= this.counter : this.belowFloor(ref.tag, undefined, ref.seqnum)
      )
        continue;
      const pending = this.wants.get(ref.tag);
      if (pending && !refNewer(ref, pending.ref)) {
        if (
          pending.asked !== from &&
          pending.sources.length < MAX_SOURCES_PER_WANT &&
          !pending.sources.includes(from)
        ) {
          pending.sources.push(from);
        }
        continue;
      }
      if (!pending && this.wants.size >= this.config.maxPendingWants) {
        this.count('want-limit');
        continue;
      }
      const want: Want = { ref, asked: from, deadline: now + this.config.wantTimeoutMs, sources: [] };
      this.wants.set(ref.tag, want);
      this.wantQueue.push({ want, deadline: want.deadline });
      ask.push(ref);
    }
    if (ask.length > 0)
      for (const part of encodeRefs(MessageType.IWant, ask, this.config.maxMessageBytes))
        this.send(from, part);
  }

  private onIWant(from: NodeId, refs: readonly Ref[]): void {
    const push: Uint8Array[] = [];
    for (const ref of refs) {
      const entry = this.entries.get(ref.tag);
      // Answer with what we hold if it is at least as new as asked; never serve stale origins (rule 1).
      if (entry && entry.gossiped && !refNewer(ref, refOf(entry))) push.push(entry.envelope);
      else this.count('want-unavailable');
    }
    for (const part of encodeAnnounce(push, this.config.maxMessageBytes)) this.send(from, part);
  }

  private onEnvelope(from: NodeId, received: Uint8Array, now: number, verify: VerifyFn): void {
    const header = decodeEnvelope(received, this.config.maxBodyBytes);
    if (!header.ok) return void this.count('malformed-envelope');
    const tag = tagOf(header.value.origin);
    const hash = sha256(received);
    const existing = this.entries.get(tag);
    if (existing && !sameOrigin(existing, header.value.origin)) return void this.count('tag-collision');
    if (existing && equalBytes(existing.hash, hash)) return void this.count('duplicate');
    // News from here on: keep a copy, so a stored entry does not pin the whole received message.
    const env = this.parseCopy(received)!;
    const body = decodeBody(env.body);
    if (!body.ok) {
      this.counters.malformed[body.reason] = (this.counters.malformed[body.reason] ?? 0) + 1;
      return void this.count('malformed-body');
    }
    const seqnum = body.value.seqnum;
    if (existing && seqnum < existing.seqnum) return void this.count('replay');
    if (!equalBytes(body.value.gridId, this.gridId)) return void this.count('foreign-grid');

    if (tag === this.tag) return this.onOwnEcho(env, seqnum, hash, verify);

    const equivocation = existing !== undefined && seqnum === existing.seqnum;
    if (!existing && this.belowFloor(tag, header.value.origin, seqnum))
      return void this.count('forgotten-replay');
    if (!existing && this.entries.size >= this.config.maxOrigins) return void this.count('table-full');
    if (!this.verified(env, hash, verify)) return void this.count('bad-signature');
    const refused = this.admit?.(env.origin, body.value, now);
    if (refused) return void this.count(refused);
    if (equivocation) {
      this.counters.equivocations++;
      this.out.push({ type: 'flagged', reason: 'equivocation', id: nodeIdString(env.origin) });
      if (compareBytes(hash, existing.hash) > 0) return void this.count('equivocation-loser');
    }
    const entry = this.store(env, seqnum, hash, now);
    const want = this.wants.get(tag);
    const skip = new Set<NodeId>([from]);
    if (want && !refNewer(want.ref, refOf(entry))) {
      this.wants.delete(tag);
      for (const source of want.sources) skip.add(source);
      skip.add(want.asked);
    }
    this.advertise(entry, skip, now);
  }

  /** Whether `seqnum` is at or below the floor of a forgotten origin (any origin with this tag, if none given). */
  private belowFloor(tag: Tag, origin: Uint8Array | undefined, seqnum: number): boolean {
    const floor = this.floors.get(tag);
    return floor !== undefined && seqnum <= floor.seqnum && (!origin || equalBytes(floor.origin, origin));
  }

  private parseCopy(bytes: Uint8Array): Envelope | undefined {
    const decoded = decodeEnvelope(bytes.slice(), this.config.maxBodyBytes);
    return decoded.ok ? decoded.value : undefined;
  }

  /** Our own key, signed by us, at or above our counter: jump past it and republish (rule 4). */
  private onOwnEcho(env: Envelope, seqnum: number, hash: Uint8Array, verify: VerifyFn): void {
    const own = this.entries.get(this.tag);
    if (own && equalBytes(own.hash, hash)) return void this.count('duplicate');
    if (seqnum < this.counter) return void this.count('replay');
    if (!this.verified(env, hash, verify)) return void this.count('bad-signature');
    this.counter = seqnum;
    this.wants.delete(this.tag);
    this.out.push({ type: 'announce-needed', reason: 'counter-jump' });
  }

  private verified(env: Envelope, hash: Uint8Array, verify: VerifyFn): boolean {
    this.counters.verifications++;
    return verify(env, hash);
  }

  // ——— Table ———————————————————————————————————————————————————————————————————————————————————————

  /** Installs `env` (which must not alias a received message buffer) as the newest from its origin. */
  private store(
    env: Envelope,
    seqnum: number,
    hash: Uint8Array,
    now: number,
    persist = true,
    gossiped = true,
  ): Entry {
    const tag = tagOf(env.origin);
    const previous = this.entries.get(tag);
    if (previous?.gossiped) this.unfingerprint(previous);
    const entry: Entry = {
      tag,
      envelope: env.bytes,
      hash,
      hash32: hash32Of(hash),
      seqnum,
      receivedAt: now,
      lastSeenAt: now,
      gossiped,
    };
    this.entries.set(tag, entry);
    if (gossiped) {
      this.xorFingerprint(entry);
      this.gossipedCount++;
    }
    if (!previous) {
      // A newer announcement of a forgotten origin: it came back.
      this.floors.delete(tag);
      if (tag !== this.tag) this.redialAt = Number.NEGATIVE_INFINITY;
    }
    if (persist)
      this.out.push({
        type: 'stored',
        origin: env.origin,
        seqnum,
        envelope: env.bytes,
        hash,
        receivedAt: now,
      });
    this.notify(previous, entry);
    return entry;
  }

  private xorFingerprint(entry: Entry): void {
    for (let i = 0; i < FINGERPRINT_BYTES; i++) this.fingerprint[i]! ^= entry.hash[i]!;
  }

  private unfingerprint(entry: Entry): void {
    this.xorFingerprint(entry);
    this.gossipedCount--;
    entry.gossiped = false;
  }

  private touch(entry: Entry, now: number): void {
    entry.lastSeenAt = now;
    if (!entry.gossiped) {
      entry.gossiped = true;
      this.xorFingerprint(entry);
      this.gossipedCount++;
    }
  }

  private gossipedRefs(): Ref[] {
    const refs: Ref[] = [];
    for (const entry of this.entries.values()) if (entry.gossiped) refs.push(refOf(entry));
    return refs;
  }

  /** Queues an IHAVE for `entry` to every link not in `skip`. */
  private advertise(entry: Entry, skip: ReadonlySet<NodeId> | undefined, now: number): void {
    const ref = refOf(entry);
    if (this.links.size > 0) this.ihaveFlushAt = Math.min(this.ihaveFlushAt, now + this.config.ihaveDelayMs);
    for (const link of this.links.keys()) {
      if (skip?.has(link) || this.links.get(link)!.tag === entry.tag) continue;
      let queue = this.ihaveQueue.get(link);
      if (!queue) this.ihaveQueue.set(link, (queue = []));
      queue.push(ref);
    }
  }

  // ——— Time ————————————————————————————————————————————————————————————————————————————————————————

  /** When the driver should call `tick` next (local clock, ms). */
  nextDeadline(): number {
    let deadline = Math.min(this.nextRefreshAt, this.nextSweepAt, this.ihaveFlushAt);
    if (this.links.size > 0) deadline = Math.min(deadline, this.nextAntiEntropyAt);
    for (const dialDeadline of this.dialing.values()) deadline = Math.min(deadline, dialDeadline);
    const c = this.config;
    if (this.links.size + this.dialing.size < c.targetLinks && this.dialing.size < c.maxDialsInFlight)
      deadline = Math.min(deadline, this.redialAt);
    const firstWant = this.peekWant();
    if (firstWant) deadline = Math.min(deadline, firstWant.deadline);
    return deadline;
  }

  private peekWant(): { want: Want; deadline: number } | undefined {
    const q = this.wantQueue;
    while (this.wantHead < q.length) {
      const item = q[this.wantHead]!;
      if (this.wants.get(item.want.ref.tag) === item.want && item.want.deadline === item.deadline)
        return item;
      this.wantHead++;
      if (this.wantHead >= 1024 && this.wantHead * 2 >= q.length) {
        this.wantQueue = q.slice(this.wantHead);
        this.wantHead = 0;
        return this.peekWant();
      }
    }
    return undefined;
  }

  tick(now: number): Output[] {
    if (now >= this.nextRefreshAt) {
      this.nextRefreshAt = Number.POSITIVE_INFINITY;
      this.out.push({ type: 'announce-needed', reason: 'refresh' });
    }
    for (let item = this.peekWant(); item && item.deadline <= now; item = this.peekWant()) {
      this.wantHead++;
      const want = item.want;
      let next = want.sources.shift();
      while (next !== undefined && !this.links.has(next)) next = want.sources.shift();
      if (next === undefined) {
        this.wants.delete(want.ref.tag);
        this.count('want-timeout');
        continue;
      }
      want.asked = next;
      want.deadline = now + this.config.wantTimeoutMs;
      this.wantQueue.push({ want, deadline: want.deadline });
      for (const part of encodeRefs(MessageType.IWant, [want.ref], this.config.maxMessageBytes))
        this.send(next, part);
    }
    this.expireDials(now);
    if (now >= this.nextSweepAt) {
      this.nextSweepAt = now + this.sweepMs;
      this.sweep(now);
    }
    if (now >= this.nextAntiEntropyAt && this.links.size > 0) {
      this.nextAntiEntropyAt = now + this.jittered(this.config.antiEntropyMs, 0.5, 1);
      const ids = [...this.links.keys()];
      const peer = ids[Math.floor(this.random.next() * ids.length)]!;
      this.send(peer, encodeSummary(this.gossipedCount, this.fingerprint));
    }
    return this.flush(now);
  }

  /**
   * Rules 1 and 3: stop gossiping stale origins; forget long-unseen ones when well connected, leaving a
   * floor. A time in the future (the local clock was set back) is taken as now, so a timequake delays
   * forgetting instead of freezing it.
   */
  private sweep(now: number): void {
    const c = this.config;
    let settled = 0;
    for (const link of this.links.values()) if (now - link.upAt >= c.settleMs) settled++;
    const canForget = settled >= c.minPeersToForget;
    for (const link of this.links.values()) {
      const history = this.historyOf(link.id);
      recordAlive(history, now);
      this.out.push({ type: 'history', id: link.id, history: copyHistory(history) });
    }
    for (const entry of this.entries.values()) {
      if (entry.tag === this.tag) continue;
      if (this.linkedTags.has(entry.tag)) {
        this.touch(entry, now);
        continue;
      }
      if (entry.lastSeenAt > now) entry.lastSeenAt = now;
      const unseenMs = now - entry.lastSeenAt;
      if (entry.gossiped && unseenMs > c.expireAfterMs) this.unfingerprint(entry);
      if (canForget && unseenMs > c.forgetAfterMs) this.forget(entry, now);
    }
    for (const [tag, floor] of this.floors) {
      if (floor.until > now + c.forgetAfterMs) floor.until = now + c.forgetAfterMs;
      if (floor.until <= now) this.floors.delete(tag);
    }
  }

  /**
   * Rule 3: drops the origin's announcement and connection history, and keeps a floor at its seqnum for
   * another `forgetAfterMs`: long after every honest node has stopped offering it (they stop at
   * `expireAfterMs`), so the forgotten announcement cannot come back through gossip. A newer one can: that
   * node has returned.
   */
  private forget(entry: Entry, now: number): void {
    if (entry.gossiped) this.unfingerprint(entry);
    const origin = originOf(entry);
    const id = nodeIdString(origin);
    this.entries.delete(entry.tag);
    this.wants.delete(entry.tag);
    this.history.delete(id);
    this.dialing.delete(id);
    const floor = { seqnum: entry.seqnum, until: now + this.config.forgetAfterMs };
    this.setFloor(entry.tag, { origin: origin.slice(), ...floor });
    this.out.push({ type: 'forgotten', id, floor });
    this.notify(entry, undefined);
  }

  /** Keeps at most `maxOrigins` floors: a new one replaces the one that would lapse first. */
  private setFloor(tag: Tag, floor: Floor): void {
    if (!this.floors.has(tag) && this.floors.size >= this.config.maxOrigins) {
      let oldest: Tag | undefined;
      let oldestUntil = Number.POSITIVE_INFINITY;
      for (const [t, f] of this.floors) if (f.until < oldestUntil) [oldest, oldestUntil] = [t, f.until];
      if (oldest !== undefined) this.floors.delete(oldest);
    }
    this.floors.set(tag, floor);
  }

  /**
   * Reinstalls an announcement saved earlier (e.g. from IndexedDB) with its original receipt time. The
   * bytes are checked like any received ones, since storage can be corrupted; returns whether it was kept.
   */
  restore(envelopeBytes: Uint8Array, receivedAt: number, verify: VerifyFn, now: number): boolean {
    const env = this.parseCopy(envelopeBytes);
    const body = env && decodeBody(env.body);
    if (!env || !body?.ok || !equalBytes(body.value.gridId, this.gridId)) return false;
    const tag = tagOf(env.origin);
    const existing = this.entries.get(tag);
    if (existing && (existing.seqnum >= body.value.seqnum || !sameOrigin(existing, env.origin))) return false;
    if (this.belowFloor(tag, env.origin, body.value.seqnum)) return false;
    const hash = sha256(env.bytes);
    if (!this.verified(env, hash, verify)) return false;
    if (tag !== this.tag && this.admit?.(env.origin, body.value, receivedAt)) return false;
    if (tag === this.tag) this.counter = Math.max(this.counter, body.value.seqnum);
    // Restored news is as fresh as when it was received: a node back from a long absence does not offer
    // what it heard months ago (rule 1) until it hears it again.
    const fresh = tag === this.tag || now - receivedAt <= this.config.expireAfterMs;
    this.store(env, body.value.seqnum, hash, Math.min(receivedAt, now), false, fresh);
    return true;
  }

  // ——— Publish / subscribe ————————————————————————————————————————————————————————————————————————

  /**
   * Calls `callback` for every change to the set of peers offering `service`, starting at once with an
   * `added` event for each peer already known. Returns the unsubscribe function.
   */
  subscribe(service: string, callback: ServiceCallback): () => void {
    let set = this.subscribers.get(service);
    if (!set) this.subscribers.set(service, (set = new Set()));
    set.add(callback);
    for (const peer of this.getPeers(service)) this.call(callback, { type: 'added', peer });
    return () => void set.delete(callback);
  }

  private notify(before: Entry | undefined, after: Entry | undefined): void {
    if (this.subscribers.size === 0) return;
    const old = before ? bodyOf(before).services : {};
    const now = after ? bodyOf(after).services : {};
    for (const [service, callbacks] of this.subscribers) {
      const had = service in old;
      const has = service in now;
      if (!had && !has) continue;
      const type = had && has ? 'updated' : has ? 'added' : 'removed';
      const peer = this.info((has ? after : before)!);
      for (const callback of callbacks) this.call(callback, { type, peer });
    }
  }

  private call(callback: ServiceCallback, event: ServiceEvent): void {
    try {
      callback(event);
    } catch {
      // A subscriber's bug must not corrupt protocol state mid-update; it is counted instead.
      this.counters.subscriberErrors++;
    }
  }

  /** Known peers (this node included), optionally only those offering `service`. */
  getPeers(service?: string): PeerInfo[] {
    const peers: PeerInfo[] = [];
    for (const entry of this.entries.values()) {
      const body = bodyOf(entry);
      if (service === undefined || service in body.services) peers.push(this.info(entry, body));
    }
    return peers;
  }

  /**
   * Peers offering `service` in Tahoe-LAFS's permuted order for `storageIndex`. A peer's permutation seed
   * is its `permutation-seed-base32` service parameter when valid, else its public key (as in Tahoe).
   */
  getPermutedPeers(service: string, storageIndex: Uint8Array): PeerInfo[] {
    const peers = this.getPeers(service);
    const seeds = peers.map((p) => {
      const custom = p.services[service]?.['permutation-seed-base32'];
      return (custom !== undefined && base32Decode(custom)) || p.publicKey;
    });
    return permutedOrder(storageIndex, seeds).map((i) => peers[i]!);
  }

  private info(entry: Entry, b = bodyOf(entry)): PeerInfo {
    const self = entry.tag === this.tag;
    const publicKey = originOf(entry);
    return {
      id: nodeIdString(publicKey),
      publicKey,
      nickname: b.nickname,
      services: b.services,
      hints: b.hints,
      membership: b.membership,
      seqnum: b.seqnum,
      connected: this.linkedTags.has(entry.tag),
      lastSeen: entry.lastSeenAt,
      fresh: entry.gossiped,
      self,
    };
  }

  /** The signed bytes currently held for `id`, exactly as received. */
  envelopeOf(id: NodeId): Uint8Array | undefined {
    const key = parseNodeId(id);
    const entry = key && this.entries.get(tagOf(key));
    return entry && sameOrigin(entry, key) ? entry.envelope : undefined;
  }

  /**
   * Drops what is held for an origin at once (a revoked member), as if forgotten. Its announcements are
   * refused from then on by the admission rule, not by this call.
   */
  evict(publicKey: Uint8Array, now: number): Output[] {
    const entry = this.entries.get(tagOf(publicKey));
    if (!entry || !sameOrigin(entry, publicKey) || entry.tag === this.tag) return [];
    if (entry.gossiped) this.unfingerprint(entry);
    this.entries.delete(entry.tag);
    this.wants.delete(entry.tag);
    this.dialing.delete(nodeIdString(publicKey));
    this.out.push({ type: 'forgotten', id: nodeIdString(publicKey) });
    this.notify(entry, undefined);
    return this.flush(now);
  }

  /** SHA-256 of the envelope held for the origin with this public key, if any. */
  heldHash(publicKey: Uint8Array): Uint8Array | undefined {
    const entry = this.entries.get(tagOf(publicKey));
    return entry && sameOrigin(entry, publicKey) ? entry.hash : undefined;
  }

  stats() {
    const c = this.counters;
    return {
      id: this.id,
      seqnum: this.counter,
      origins: this.entries.size,
      gossiped: this.gossipedCount,
      links: this.links.size,
      pendingWants: this.wants.size,
      dialsInFlight: this.dialing.size,
      floors: this.floors.size,
      dropped: { ...c.dropped },
      droppedTotal: Object.values(c.dropped).reduce((a, b) => a + b, 0),
      malformed: { ...c.malformed },
      equivocations: c.equivocations,
      verifications: c.verifications,
      subscriberErrors: c.subscriberErrors,
      sentMessages: c.sentMessages,
      sentBytes: c.sentBytes,
      receivedMessages: c.receivedMessages,
      receivedBytes: c.receivedBytes,
    };
  }

  // ——— Output plumbing ———————————————————————————————————————————————————————————————————————————

  private send(to: NodeId, bytes: Uint8Array): void {
    this.counters.sentMessages++;
    this.counters.sentBytes += bytes.length;
    this.out.push({ type: 'send', to, bytes });
  }

  private count(reason: DropReason): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }

  private drop(reason: DropReason, now: number): Output[] {
    this.count(reason);
    return this.flush(now);
  }

  private flush(now: number): Output[] {
    this.redial(now);
    if (now >= this.ihaveFlushAt) {
      for (const [link, refs] of this.ihaveQueue) {
        for (const part of encodeRefs(MessageType.IHave, refs, this.config.maxMessageBytes))
          this.send(link, part);
      }
      this.ihaveQueue.clear();
      this.ihaveFlushAt = Number.POSITIVE_INFINITY;
    }
    const out = this.out;
    this.out = [];
    return out;
  }
}
