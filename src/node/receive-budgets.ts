/**
 * What a peer may make this node do, bounded before the core runs (SECURITY-REVIEW finding 4; issue 12).
 *
 * Rules:
 * - Every signature a received message carries (envelopes, and in their membership fields the descriptor,
 *   certificates, witnesses and revocations; revocation records of revocation-sync; membership fields of
 *   links and signaling requests) is verified here, asynchronously (WebCrypto where the browser has it),
 *   into the caches the core's synchronous checks then look up. Results, failures included, are cached by
 *   hash, so only signatures not seen before cost anything.
 * - "An envelope repeated within one message is dropped before any work" (`duplicate-in-message`), and so
 *   is one already found forged — a bad signature, or a certificate of its own chain that fails
 *   (`forged` the first time, `known-forged` for its copies): byte comparisons, no hashing.
 * - A link past its verification budget gets the rest of its message dropped unhashed.
 * - A message is examined `envelopesPerSlice` envelopes (or `sliceMs`) at a time, with a turn of the
 *   event loop between slices, so no message holds the main thread.
 * - New verifications are budgeted per link and per origin (token buckets, `receiveBudgetDefaults`). An
 *   envelope over a budget is taken out of the message before the core sees it (`verify-budget-link`,
 *   `verify-budget-origin`): it is not believed, and comes back later through anti-entropy if it is
 *   genuine. A revocation message or a signaling request over its budget is dropped whole.
 * - "New seqnums accepted per origin are a token bucket on the receiver": an origin announcing faster is
 *   refused as `seqnum-budget` (delayed, not believed: its newest version is offered again later).
 * - "A link that keeps sending past its byte budget (more than `floodCloseBytes` dropped beyond what
 *   `perLinkBytesPerSecond` refills) is closed and its peer's links refused for `floodCooldownMs`" (`link-flood-closed`, then `link-flooded`).
 * Going over a budget costs the sender (its messages are dropped), never the node.
 *
 * Deterministic given its clock (`now`); counters are in `stats()`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type AdmitFn, decodeBody, decodeEnvelope, type NodeId, toHex } from '../core/index.ts';
import { membershipSignatures, revocationRecordSignatures, type SigRequest } from '../core/signatures.ts';
import type { SignatureCache } from '../crypto/signature-cache.ts';
import type { VerificationCache } from '../crypto/verify-cache.ts';
import { RateLimit } from '../net/rate-limit.ts';
import { EnvelopeSet } from './envelope-set.ts';
import { yieldToHost as defaultYield } from './yield-to-host.ts';

export const receiveBudgetDefaults = {
  // Gossip bytes one link may hand the core, checked before the message is even queued or decoded: a
  // burst of 4 MiB (a first sync with a grid of a few thousand members), then 1 MiB/s. Honest gossip is
  // a few KiB a second; a member sending 250 KiB messages back to back would otherwise keep the main
  // thread decoding and push honest news to the back of the input queue.
  perLinkBytesBurst: 4 * 1024 * 1024,
  perLinkBytesPerSecond: 1024 * 1024,
  // A link that keeps sending past its byte budget — dropped bytes are a bucket of this size refilled at
  // `perLinkBytesPerSecond`, so a link sending more than twice its budget empties it within seconds — is
  // closed and refused for `floodCooldownMs`: the bytes it sends are allocated, copied and collected
  // by the browser before any check of ours, so dropping them is not free (the hostile bench's long
  // tasks were garbage collection of 250 KiB messages sent at 5 MiB/s). Honest gossip never comes near.
  floodCloseBytes: 4 * 1024 * 1024,
  floodCooldownMs: 60_000,
  // New signature checks one link may cause: a burst big enough for the first sync with a large grid
  // (a few hundred members, each an envelope and a few certificates not seen before), then 500/s. WebCrypto
  // verifies ~17,000/s in Chromium off the main thread, so this is a few percent of one core.
  perLinkBurst: 2_000,
  perLinkPerSecond: 500,
  // New signature checks one origin's announcements may cause, wherever they come from: a first
  // announcement with a long chain and a witness is ~20; a new seqnum after that is one.
  perOriginBurst: 128,
  perOriginPerSecond: 8,
  // New signature checks one signaling sender's requests may cause (revocation notices, lost-redemption
  // proofs, redemptions to witness, link memberships).
  perSenderBurst: 64,
  perSenderPerSecond: 16,
  // The same, over all senders together: keys cost nothing to make, so a flood from a fresh key per
  // message meets this bound instead. Honest requests are rare (a redemption, a notice); an invitee asks
  // again every 1.5 s for 30 s, so a flood delays a redemption rather than preventing it.
  signalingBurst: 256,
  signalingPerSecond: 128,
  // New seqnums believed per origin: a burst of 10, then one a second (storage announces its free space
  // at most once a second; nicknames and services change by hand). The review saw 216 in 5 s.
  seqnumBurst: 10,
  seqnumPerSecond: 1,
  // Origins, links and senders whose buckets are remembered (least recently seen forgotten first).
  maxTracked: 4_096,
  // Envelopes found forged (bad signature, or a certificate of their own chain that fails) remembered
  // by their exact bytes, so that copies of them are dropped for a byte comparison (`known-forged`).
  maxForgedRemembered: 4_096,
  // Envelopes of one message examined between two turns of the event loop: each costs a hash and a decode
  // (a fraction of a millisecond), so a 250 KiB message never holds the main thread in one long task.
  envelopesPerSlice: 8,
  // ... and at most this long (ms of main-thread time) a slice runs, whatever the count: on a loaded
  // machine a slice's work takes several times longer, and the long-task bound (50 ms) is what matters.
  sliceMs: 8,
} as const;

export type ReceiveBudgets = { -readonly [K in keyof typeof receiveBudgetDefaults]: number };

export class Preverifier {
  readonly dropped: Record<string, number> = {};
  private readonly budgets: ReceiveBudgets;
  private readonly perLink: RateLimit;
  private readonly linkBytes: RateLimit;
  private readonly perOrigin: RateLimit;
  private readonly perSender: RateLimit;
  private readonly signaling: RateLimit;
  private readonly seqnums: RateLimit;
  private readonly forged: EnvelopeSet;
  /** Bytes a link may still have dropped over its byte budget before it is closed. */
  private readonly overBytes: RateLimit;
  /** Peers whose link was closed for flooding, and until when their links are refused. */
  private readonly floodedUntil = new Map<NodeId, number>();

  constructor(
    private readonly envelopes: VerificationCache,
    private readonly signatures: SignatureCache,
    private readonly now: () => number,
    budgets: Partial<ReceiveBudgets> = {},
    private readonly yieldToHost: () => Promise<void> = defaultYield,
  ) {
    const b = (this.budgets = { ...receiveBudgetDefaults, ...budgets });
    this.forged = new EnvelopeSet(b.maxForgedRemembered);
    this.perLink = new RateLimit(b.perLinkBurst, b.perLinkPerSecond, b.maxTracked);
    this.linkBytes = new RateLimit(b.perLinkBytesBurst, b.perLinkBytesPerSecond, b.maxTracked);
    this.overBytes = new RateLimit(b.floodCloseBytes, b.perLinkBytesPerSecond, b.maxTracked);
    this.perOrigin = new RateLimit(b.perOriginBurst, b.perOriginPerSecond, b.maxTracked);
    this.perSender = new RateLimit(b.perSenderBurst, b.perSenderPerSecond, b.maxTracked);
    this.signaling = new RateLimit(b.signalingBurst, b.signalingPerSecond, 1);
    this.seqnums = new RateLimit(b.seqnumBurst, b.seqnumPerSecond, b.maxTracked);
  }

  /**
   * Whether a message of `length` bytes from link `from` fits its byte budget: `ok`; `drop` (counted);
   * or `close` once the link has kept sending far past it (its dropped bytes overran `floodCloseBytes`),
   * and its peer is then refused links for `floodCooldownMs` (`flooded`).
   */
  admitBytes(from: NodeId, length: number): 'ok' | 'drop' | 'close' {
    const now = this.now();
    if (this.linkBytes.take(from, now, length)) return 'ok';
    this.count('link-bytes-budget');
    if (this.overBytes.take(from, now, length)) return 'drop';
    remember(this.floodedUntil, from, now + this.budgets.floodCooldownMs, this.budgets.maxTracked);
    this.count('link-flood-closed');
    return 'close';
  }

  /** Whether `peer`'s link was closed for flooding less than `floodCooldownMs` ago (counted if so). */
  flooded(peer: NodeId): boolean {
    const until = this.floodedUntil.get(peer);
    if (until === undefined) return false;
    if (this.now() < until) {
      this.count('link-flooded');
      return true;
    }
    this.floodedUntil.delete(peer);
    return false;
  }

  /**
   * The envelopes of an ANNOUNCE from `from`, verified with their membership signatures within the
   * budgets; returns those to hand to the core (in order, each once). `held`: the hash of what the core
   * holds for an origin, so a copy of it costs nothing.
   */
  async announce(
    from: NodeId,
    envelopes: readonly Uint8Array[],
    maxBodyBytes: number,
    held: (origin: Uint8Array) => Uint8Array | undefined,
  ): Promise<Uint8Array[]> {
    const seen = new EnvelopeSet();
    const kept: Uint8Array[] = [];
    const checked: { bytes: Uint8Array; hash: Uint8Array; fatal: SigRequest[] }[] = [];
    const work: Promise<unknown>[] = [];
    const now = this.now();
    let sliceStart = performance.now();
    for (let i = 0, inSlice = 0; i < envelopes.length; i++, inSlice++) {
      const bytes = envelopes[i]!;
      if (
        inSlice >= this.budgets.envelopesPerSlice ||
        performance.now() - sliceStart > this.budgets.sliceMs
      ) {
        await this.yieldToHost();
        sliceStart = performance.now();
        inSlice = 0;
      }
      // The cheap drops first, before any hashing or decoding (byte comparisons only).
      if (seen.has(bytes)) {
        this.count('duplicate-in-message');
        continue;
      }
      seen.add(bytes);
      if (this.forged.has(bytes)) {
        this.count('known-forged');
        continue;
      }
      // A link that has spent its verification budget sends nothing this node will check now: the rest
      // of its message is not even hashed (it comes back through anti-entropy if it is genuine).
      if (this.perLink.peek(from, now) < 1) {
        this.count('verify-budget-link');
        continue;
      }
      const hash = sha256(bytes);
      const key = toHex(hash);
      const decoded = decodeEnvelope(bytes, maxBodyBytes);
      const heldHash = decoded.ok ? held(decoded.value.origin) : undefined;
      // Undecodable, or exactly what is held: the core drops it without a signature check.
      if (!decoded.ok || (heldHash && toHex(heldHash) === key)) {
        kept.push(bytes);
        continue;
      }
      const envelope = decoded.value;
      const body = decodeBody(envelope.body);
      const all = body.ok ? membershipSignatures(body.value.membership) : [];
      // Checks another message started are waited for, not paid for again: the core must find every
      // result in the caches (it never verifies itself), so an envelope is handed on only once they end.
      const { fresh, settling } = this.signatures.unknown(all);
      const envelopeKnown = this.envelopes.result(hash) !== undefined;
      const cost = (this.envelopes.has(hash) ? 0 : 1) + fresh.length;
      if (cost > 0) {
        if (!this.perLink.take(from, now, cost)) {
          this.count('verify-budget-link');
          continue;
        }
        if (!this.perOrigin.take(toHex(envelope.origin), now, cost)) {
          this.count('verify-budget-origin');
          continue;
        }
      }
      if (!envelopeKnown) work.push(this.envelopes.verify(envelope, hash));
      if (fresh.length > 0) work.push(this.signatures.verifyAll(fresh));
      work.push(...settling);
      checked.push({ bytes, hash, fatal: all.filter((r) => r.fatal) });
      kept.push(bytes);
    }
    await Promise.all(work);
    // Forged for good (a bad envelope signature, or a certificate of its own chain that does not verify):
    // dropped here and remembered, so its next copies cost a byte comparison instead of the core's work.
    const forged = new Set<Uint8Array>();
    for (const c of checked) {
      if (
        this.envelopes.result(c.hash) === false ||
        c.fatal.some((r) => this.signatures.result(r) === false)
      ) {
        this.forged.add(c.bytes);
        forged.add(c.bytes);
        this.count('forged');
      }
    }
    return forged.size === 0 ? kept : kept.filter((b) => !forged.has(b));
  }

  /**
   * Announcements read back from storage, or held ones about to be judged again (revocations arrived):
   * verified like any, without a budget (they were admitted once), `sliceMs` of work between two turns
   * of the event loop, so a start with thousands of members holds the main thread in no long task.
   */
  async stored(envelopes: readonly Uint8Array[], maxBodyBytes: number): Promise<void> {
    const work: Promise<unknown>[] = [];
    let sliceStart = performance.now();
    for (const bytes of envelopes) {
      if (performance.now() - sliceStart > this.budgets.sliceMs) {
        await this.yieldToHost();
        sliceStart = performance.now();
      }
      const decoded = decodeEnvelope(bytes, maxBodyBytes);
      if (!decoded.ok) continue;
      const body = decodeBody(decoded.value.body);
      work.push(this.envelopes.verify(decoded.value));
      if (body.ok) work.push(this.signatures.verifyAll(membershipSignatures(body.value.membership)));
    }
    await Promise.all(work);
  }

  /** Revocation records from a link (revocation-sync) or from storage (`from` undefined: no budget). */
  async revocationRecords(from: string | undefined, records: readonly Uint8Array[]): Promise<boolean> {
    return this.verify(from, revocationRecordSignatures(records), this.perLink, 'verify-budget-link');
  }

  /**
   * A membership field from a signaling sender (within its budget and the budget of all senders) or
   * presented with a link's proof (`link`: within that peer's link budget). `from` undefined: no budget.
   */
  async membership(from: string | undefined, bytes: Uint8Array, link = false): Promise<boolean> {
    const { fresh, settling } = this.signatures.unknown(membershipSignatures(bytes));
    if (fresh.length > 0 && from !== undefined) {
      const now = this.now();
      const [budget, reason] = link
        ? [this.perLink, 'verify-budget-link']
        : [this.perSender, 'verify-budget-sender'];
      if (!budget.take(from, now, fresh.length)) return this.refuse(reason);
      if (!link && !this.signaling.take('*', now, fresh.length))
        return this.refuse('verify-budget-signaling');
    }
    await Promise.all([this.signatures.verifyAll(fresh), ...settling]);
    return true;
  }

  private refuse(reason: string): false {
    this.count(reason);
    return false;
  }

  private async verify(
    from: string | undefined,
    requests: readonly SigRequest[],
    budget: RateLimit,
    reason: string,
  ): Promise<boolean> {
    const { fresh, settling } = this.signatures.unknown(requests);
    if (fresh.length > 0 && from !== undefined && !budget.take(from, this.now(), fresh.length)) {
      this.count(reason);
      return false;
    }
    await Promise.all([this.signatures.verifyAll(fresh), ...settling]);
    return true;
  }

  /**
   * The core's admission rule with the seqnum budget in front: news from an origin over its budget is
   * refused as `seqnum-budget`. `restoring()`: announcements restored from storage are not news.
   */
  admitWithBudget(admit: AdmitFn | undefined, restoring: () => boolean): AdmitFn {
    return (origin, body, now) => {
      if (!restoring() && !this.seqnums.take(toHex(origin), now)) return 'seqnum-budget';
      return admit?.(origin, body, now);
    };
  }

  /** Counts a message dropped on the way here for `reason` (e.g. `link-backlog`, link-inbox.ts). */
  countDrop(reason: string): void {
    this.count(reason);
  }

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  stats(): { budgets: ReceiveBudgets; dropped: Record<string, number> } {
    return { budgets: { ...this.budgets }, dropped: { ...this.dropped } };
  }
}

/** Sets `key` in `map`, forgetting the oldest entry first when `max` are held. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
