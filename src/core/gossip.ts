/**
 * The gossip node: a deterministic state machine with no I/O (PROTOCOL.md §3–§7), composed of one part
 * per concern, each with its rules at its top:
 *
 *   table.ts (+ entry.ts, floors.ts, fingerprint.ts, origins.ts)  entries, seqnum rules (§3, §4, §6)
 *   eager.ts, dissemination.ts, wants.ts  eager push trees around lazy push; want rows   (§5)
 *   anti-entropy.ts  SUMMARY / DIGEST reconciliation                                    (§5)
 *   liveness.ts      sweeps, forgetting, connection history and the dial plan           (§6)
 *   pubsub.ts        subscribers, getPeers, the permuted order                          (§7)
 *   revocation-sync.ts  the grid's revocation set, reconciled beside anti-entropy          (§8)
 *   links.ts, outbox.ts, stats.ts: the links now up, the output list, the counters.
 *
 * Inputs are method calls that carry the time (`now`, local clock, ms) — link up / down, bytes from a
 * linked peer, a tick, a local change; randomness comes from the injected `Random`. Outputs are returned
 * as a list: bytes to send, a request to sign a new announcement, records to persist, flags. The node
 * never reads a clock, sets a timer, awaits, or touches a socket; `nextDeadline()` tells its driver when
 * to tick next. Decoding never throws; every rejected input is dropped and counted under a named reason.
 * No rule compares clocks of different nodes, and every time the node computes is a whole number of
 * milliseconds, so a node whose clock is off by any constant behaves exactly as one whose clock is right.
 *
 * This class owns only the node's own announcement (what it offers, when it re-announces: "A node
 * re-announces every `refreshIntervalMs` (4 h, ±10 % jitter), even when nothing changed.") and the order
 * in which the parts see each input, which is part of the behaviour: same inputs, same seed, same outputs.
 */
import { BODY_VERSION, NONCE_BYTES, type Services, encodeBody, signedMessage } from './announcement.ts';
import { AntiEntropy } from './anti-entropy.ts';
import { RevocationSync, isRevocationMessage } from './revocation-sync.ts';
import { type CoreConfig, resolveConfig } from './config.ts';
import type { Dissemination } from './dissemination.ts';
import { makeDissemination } from './eager.ts';
import type {
  AdmitFn,
  DropReason,
  GossipNodeOptions,
  Output,
  PeerInfo,
  PreparedAnnouncement,
  ServiceCallback,
  VerifyFn,
} from './gossip-types.ts';
import type { PeerHistory } from './history.ts';
import { type NodeId, type Tag, nodeIdString, parseNodeId, tagOf } from './identity.ts';
import { Links, NO_SLOT } from './links.ts';
import { Liveness } from './liveness.ts';
import { type Message, MessageType, decodeMessage } from './messages.ts';
import { Outbox } from './outbox.ts';
import { PubSub } from './pubsub.ts';
import { type Random, jittered } from './random.ts';
import { Counters } from './stats.ts';
import { type Stored, Table } from './table.ts';

/** The vocabulary this module has always exported, now defined in gossip-types.ts. */
export type * from './gossip-types.ts';

export class GossipNode {
  readonly id: NodeId;
  readonly publicKey: Uint8Array;
  readonly gridId: Uint8Array;
  readonly config: CoreConfig;
  private readonly tag: Tag;
  private readonly random: Random;
  private readonly admit: AdmitFn | undefined;

  private nickname: string;
  private services: Services;
  private hints: readonly string[];
  private membership: Uint8Array;
  private nextRefreshAt = Number.POSITIVE_INFINITY;

  private readonly counters = new Counters();
  private readonly outbox = new Outbox(this.counters);
  private readonly links = new Links();
  private readonly table: Table;
  private readonly dissemination: Dissemination;
  private readonly antiEntropy: AntiEntropy;
  private readonly revocationSync: RevocationSync | undefined;
  private readonly liveness: Liveness;
  private readonly pubsub: PubSub;

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
    this.nickname = options.nickname ?? '';
    this.services = options.services ?? {};
    this.hints = options.hints ?? [];
    this.membership = options.membership ?? new Uint8Array(0);
    const { config, outbox, links } = this;
    const counter = options.counter ?? 0;
    this.table = new Table(
      this.publicKey,
      this.tag,
      this.gridId,
      config,
      outbox,
      counter,
      options.intern,
      options.tags,
    );
    this.dissemination = makeDissemination(
      options.dissemination ?? 'eager',
      this.table,
      links,
      outbox,
      config,
    );
    const revocations = (this.revocationSync =
      options.revocations && new RevocationSync(options.revocations, links, outbox, config));
    this.antiEntropy = new AntiEntropy(
      this.id,
      this.table,
      links,
      this.dissemination,
      outbox,
      this.random,
      config,
      revocations && ((to) => revocations.sendSummary(to)),
    );
    this.liveness = new Liveness(this.tag, this.table, links, outbox, config, (entry) => {
      this.dissemination.forget(entry.tag);
      this.pubsub.notify(entry, entry.held, true);
    });
    this.pubsub = new PubSub(this.tag, this.table, links, this.counters);
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
    return this.table.counter;
  }

  /**
   * Builds the next announcement body and bumps the counter. The driver must persist `seqnum` as the
   * counter before the signed envelope leaves the node, so a crash never leaves the counter behind a
   * published seqnum. Throws `EncodeError` if local settings exceed the limits.
   */
  prepareAnnouncement(): PreparedAnnouncement {
    const seqnum = this.table.counter + 1;
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
    this.table.counter = seqnum;
    return { seqnum, body, message: signedMessage(this.publicKey, body) };
  }

  /** Installs this node's own freshly signed envelope and advertises it to every link. */
  acceptOwn(envelopeBytes: Uint8Array, now: number): Output[] {
    const stored = this.table.acceptOwn(envelopeBytes, now);
    this.changed(stored);
    this.nextRefreshAt = now + jittered(this.random, this.config.refreshIntervalMs, 0.9, 0.2);
    this.dissemination.spread(stored.entry, undefined, now);
    return this.flush(now);
  }

  // ——— Links ————————————————————————————————————————————————————————————————————————————————————————
  linkUp(peer: NodeId, now: number): Output[] {
    const key = parseNodeId(peer);
    if (!key) throw new TypeError(`linkUp: not a node id: ${peer}`);
    if (this.links.has(peer) || peer === this.id) return [];
    const link = { id: peer, tag: tagOf(key), upAt: now, treeSlot: NO_SLOT };
    this.links.add(link);
    this.liveness.linkUp(link, now);
    this.antiEntropy.linkUp(peer, now);
    return this.flush(now);
  }

  /**
   * The link to `peer` ended. `lost`: not by this node's choice (the peer closed it, fell silent, or the
   * connection failed), which counts as a failure of the peer (rule 2).
   */
  linkDown(peer: NodeId, now: number, lost = false): Output[] {
    const link = this.links.remove(peer);
    if (!link) return [];
    this.liveness.linkDown(link, now, lost);
    this.dissemination.linkDown(link);
    return this.flush(now);
  }

  /** A connection attempt to `peer` failed before it became a link (rule 2). */
  linkFailed(peer: NodeId, now: number): Output[] {
    if (!parseNodeId(peer) || this.links.has(peer) || peer === this.id) return [];
    this.liveness.failed(peer, now);
    return this.flush(now);
  }

  recordRtt(peer: NodeId, rttMs: number): void {
    this.liveness.recordRtt(peer, rttMs);
  }

  /** Dials in flight now (never more than `maxDialsInFlight`). */
  get dialsInFlight(): number {
    return this.liveness.dialsInFlight;
  }

  /** The peer's connection history (an empty one, not kept, for a peer without). */
  historyOf(peer: NodeId): PeerHistory {
    return this.liveness.peekHistory(peer);
  }

  /** Restores history saved by the driver (e.g. from IndexedDB) at start. */
  restoreHistory(peer: NodeId, saved: unknown): void {
    if (!parseNodeId(peer) || peer === this.id) return;
    this.liveness.restoreHistory(peer, saved);
  }

  /** Restores a floor saved by the driver from a `forgotten` output (rule 3). */
  restoreFloor(peer: NodeId, seqnum: number, until: number): void {
    const origin = parseNodeId(peer);
    if (!origin || peer === this.id || !Number.isSafeInteger(seqnum) || !Number.isFinite(until)) return;
    this.table.restoreFloor(origin, seqnum, until);
  }

  // ——— Received bytes ———————————————————————————————————————————————————————————————————————————————
  receive(from: NodeId, bytes: Uint8Array, now: number, verify: VerifyFn): Output[] {
    this.counters.receivedMessages++;
    this.counters.receivedBytes += bytes.length;
    if (!this.links.has(from)) return this.drop('not-linked', now);
    if (bytes.length > this.config.maxMessageBytes) return this.drop('oversized-message', now);
    if (this.revocationSync && isRevocationMessage(bytes)) {
      const refused = this.revocationSync.receive(from, bytes, now);
      return refused ? this.drop(refused, now) : this.flush(now);
    }
    const decoded = decodeMessage(bytes, this.config.maxBodyBytes + 128);
    if (!decoded.ok) return this.drop('malformed-message', now, decoded.reason);
    this.handle(from, decoded.value, now, verify);
    return this.flush(now);
  }

  private handle(from: NodeId, message: Message, now: number, verify: VerifyFn): void {
    switch (message.type) {
      case MessageType.Summary:
        return this.antiEntropy.onSummary(from, message.count, message.fingerprint);
      case MessageType.Digest:
        return this.antiEntropy.onDigest(from, message.refs, now);
      case MessageType.Buckets:
        return this.antiEntropy.onBuckets(from, message.bits, message.fingerprints);
      case MessageType.Subdigest:
        return this.antiEntropy.onSubdigest(from, message.bits, message.buckets, message.refs, now);
      case MessageType.IHave:
        return this.dissemination.want(from, message.refs, now);
      case MessageType.IWant:
        return this.dissemination.serve(from, message.refs);
      case MessageType.Prune:
        return this.dissemination.prune(from, message.tags);
      case MessageType.Graft:
        return this.dissemination.graft(from, message.refs);
      case MessageType.Announce:
      case MessageType.Push: {
        const pushed = message.type === MessageType.Push;
        for (const envelope of message.envelopes) this.onEnvelope(from, envelope, now, verify, pushed);
        return;
      }
    }
  }

  /** `pushed`: sent unasked along a tree (PUSH), where a duplicate prunes (eager.ts). */
  private onEnvelope(
    from: NodeId,
    envelope: Uint8Array,
    now: number,
    verify: VerifyFn,
    pushed: boolean,
  ): void {
    const received = this.table.accept(envelope, now, verify, this.admit);
    switch (received.kind) {
      case 'dropped':
        if (pushed && received.reason === 'duplicate') this.dissemination.duplicate(from, tagOf(envelope, 1));
        return this.counters.drop(received.reason, received.detail);
      case 'counter-jump':
        this.dissemination.forget(this.tag);
        return this.outbox.push({ type: 'announce-needed', reason: 'counter-jump' });
      case 'stored':
        this.changed(received);
        return this.dissemination.spread(received.entry, from, now, pushed);
    }
  }

  /** After the table took a new version: subscribers hear of it, and a returning origin is a candidate. */
  private changed({ entry, previous }: Stored): void {
    if (!previous && entry.tag !== this.tag) this.liveness.wake();
    this.pubsub.notify(entry, previous);
  }

  /**
   * Reinstalls an announcement saved earlier (e.g. from IndexedDB) with its original receipt time. The
   * bytes are checked like any received ones, since storage can be corrupted; returns whether it was kept.
   */
  restore(envelopeBytes: Uint8Array, receivedAt: number, verify: VerifyFn, now: number): boolean {
    const stored = this.table.restore(envelopeBytes, receivedAt, verify, this.admit, now);
    if (stored) this.changed(stored);
    return stored !== undefined;
  }

  /**
   * Puts the link to `peer` in the tree of the origin whose tag is `tag`, as in a grid that has run a
   * while. Trees are never persisted — a real node builds them by GRAFT (§5) — so only a simulator
   * starting a settled grid (test/sim/trees.ts) calls this.
   */
  plantTree(tag: Tag, peer: NodeId): void {
    this.dissemination.plant?.(tag, peer);
  }

  // ——— Time ————————————————————————————————————————————————————————————————————————————————————————
  /** When the driver should call `tick` next (local clock, ms). */
  nextDeadline(): number {
    return Math.min(
      this.nextRefreshAt,
      this.liveness.nextDeadline(),
      this.antiEntropy.nextDeadline(),
      this.dissemination.nextDeadline(),
    );
  }

  tick(now: number): Output[] {
    if (now >= this.nextRefreshAt) {
      this.nextRefreshAt = Number.POSITIVE_INFINITY;
      this.outbox.push({ type: 'announce-needed', reason: 'refresh' });
    }
    this.dissemination.tick(now);
    this.liveness.tick(now);
    this.antiEntropy.tick(now);
    return this.flush(now);
  }

  // ——— Peers ———————————————————————————————————————————————————————————————————————————————————————
  /** Calls `callback` on every change to who offers `service`, first for each one known; returns stop. */
  subscribe(service: string, callback: ServiceCallback): () => void {
    return this.pubsub.subscribe(service, callback);
  }

  /** Known peers (this node included), optionally only those offering `service`. */
  getPeers(service?: string): PeerInfo[] {
    return this.pubsub.getPeers(service);
  }

  /** Peers offering `service` in Tahoe-LAFS's permuted order for `storageIndex` (PROTOCOL.md §7). */
  getPermutedPeers(service: string, storageIndex: Uint8Array): PeerInfo[] {
    return this.pubsub.getPermutedPeers(service, storageIndex);
  }

  /** The signed bytes currently held for `id`, exactly as received. */
  envelopeOf(id: NodeId): Uint8Array | undefined {
    const key = parseNodeId(id);
    return key && this.table.lookup(key)?.envelope;
  }

  /** Drops an origin at once (a revoked member), as if forgotten; admission refuses its next ones. */
  evict(publicKey: Uint8Array, now: number): Output[] {
    const entry = this.table.lookup(publicKey);
    if (!entry || entry.tag === this.tag) return [];
    this.table.remove(entry);
    this.dissemination.forget(entry.tag);
    this.liveness.dropDial(nodeIdString(publicKey));
    this.outbox.push({ type: 'forgotten', id: nodeIdString(publicKey) });
    this.pubsub.notify(entry, entry.held, true);
    return this.flush(now);
  }

  /** Sends revocation records learned outside the links (made here, or from a notice) to every link. */
  spreadRevocations(records: readonly Uint8Array[], now: number): Output[] {
    this.revocationSync?.spread(records);
    return this.flush(now);
  }

  /** SHA-256 of the envelope held for the origin with this public key, if any. */
  heldHash(publicKey: Uint8Array): Uint8Array | undefined {
    return this.table.lookup(publicKey)?.hash;
  }

  /** Calls `fn` with the SHA-256 of every envelope held, in one pass over the table. */
  forEachHeldHash(fn: (hash: Uint8Array) => void): void {
    for (const entry of this.table.values()) fn(entry.hash);
  }

  stats() {
    const { table, dissemination, liveness } = this;
    const [origins, gossiped, floors] = [table.size, table.gossiped, table.floorCount];
    const [pendingWants, dialsInFlight] = [dissemination.pendingWants, liveness.dialsInFlight];
    const [links, histories] = [this.links.size, liveness.historyCount];
    const sizes = { origins, gossiped, links, pendingWants, dialsInFlight, floors, histories };
    return { id: this.id, seqnum: table.counter, ...sizes, ...this.counters.snapshot() };
  }

  // ——— Output plumbing ———————————————————————————————————————————————————————————————————————————
  private drop(reason: DropReason, now: number, detail?: string): Output[] {
    this.counters.drop(reason, detail);
    return this.flush(now);
  }

  /** Ends every input: dial if slots are free, send the IHAVEs that are due, hand over the outputs. */
  private flush(now: number): Output[] {
    this.liveness.redial(now);
    this.dissemination.flush(now);
    return this.outbox.take();
  }
}
