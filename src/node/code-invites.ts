/**
 * Invitations by short code (PROTOCOL.md §11): issuing a 26-character code, spreading its pending record
 * to the grid over links, answering for it at the rendezvous, and turning a code back into the long
 * invitation it stands for.
 *
 * Spreading: frame 0x30 on a proved link carries one record (JSON). A member verifies the inviter's
 * signature and membership, keeps it (pending-invites.ts bounds), passes it on to its other links once,
 * and sends every record it holds to a link that asks (frame 0x32, sent by each end of a new link).
 * Frame 0x31 `{ r, by }` says "`by` holds `r`": each holder sends one back along the link the record came
 * from, and each node passes them towards the inviter the same way (each one once), so the inviter can
 * show how many members hold its invitation. Frame 0x33 carries one signed cancellation
 * (invite-cancel.ts), spread the same way and sent with the records to a link that asks: the record it
 * names is dropped everywhere and its code answered by nobody.
 */
import type { NodeId } from '../core/index.ts';
import { formatInviteCode, INVITE_CODE_BYTES, parseInviteCode } from '../core/invite-code.ts';
import { InviteError, inviteCodeOf } from '../core/invite.ts';
import type { Signer, Verifier } from '../crypto/ed25519.ts';
import { base64urlDecode, base64urlEncode } from '../net/seal.ts';
import { fetchPending, RendezvousServer } from './code-rendezvous.ts';
import {
  type Cancellation,
  cancelLimits,
  CancelTable,
  cancelSignature,
  encodeCancellation,
  parseCancellation,
  signCancellation,
} from './invite-cancel.ts';
import {
  deriveCodeKeys,
  encodePending,
  parsePending,
  pendingLimits,
  pendingSignature,
  type PendingRecord,
  PendingTable,
  sealInvite,
  signPending,
} from './pending-invites.ts';

export const FRAME_PENDING = 0x30;
export const FRAME_HELD = 0x31;
export const FRAME_WANT = 0x32;
export const FRAME_CANCEL = 0x33;
const MAX_HOLDERS = 64;
/** "holds" frames passed on, remembered so each is passed on once (the oldest forgotten first). */
const MAX_PASSED_ON = 4096;
/** Longest input read as a short code (separators included); anything longer is a long invitation. */
const SHORT_INPUT_CHARS = 48;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export interface CodeInviteDeps {
  selfId: NodeId;
  signer: Signer;
  verifier(): Promise<Verifier>;
  relays(): string[];
  /** The active grid's id (hex), if it is a grid with membership. */
  gridHex(): string | undefined;
  isMember(id: NodeId): boolean;
  peers(): NodeId[];
  sendFrame(peer: NodeId, kind: number, body: Uint8Array): boolean;
  /** Something shown changed (a member said it holds one of our invitations). */
  changed?(): void;
  /** The records held for a grid, as saved (checked again on loading: storage is not trusted more). */
  load?(gridHex: string): Promise<unknown>;
  save?(gridHex: string, records: unknown[]): Promise<void>;
}

export class CodeInvites {
  private table = new PendingTable();
  private cancels = new CancelTable();
  private server: RendezvousServer | undefined;
  /** Where each record came from (towards its inviter), and who holds the records this node issued. */
  private readonly cameFrom = new Map<string, NodeId>();
  private readonly holders = new Map<string, Set<string>>();
  private readonly holdersOf = new Map<string, Set<string>>();
  /** The `r by` pairs of "holds" frames this node has passed on towards their inviter. */
  private readonly passedOn = new Set<string>();
  readonly dropped: Record<string, number> = {};

  /**
   * A short code for the long invitation `longCode`; its record goes to the grid at once. Returns the code
   * and the record's rendezvous id `r` (what `cancel` names).
   */
  async issue(longCode: string, expiresAt: number): Promise<{ code: string; r: string }> {
    const gridHex = this.deps.gridHex();
    const invite = base64urlDecode(longCode);
    if (!gridHex || !invite) throw new InviteError('only a grid with members has invitation codes');
    const secret = crypto.getRandomValues(new Uint8Array(INVITE_CODE_BYTES));
    const keys = await deriveCodeKeys(secret);
    const now = Date.now();
    const exp = Math.min(expiresAt, now + pendingLimits.lifetimeMs);
    const blob = await sealInvite(keys, invite);
    const record = await signPending(
      { inviter: this.deps.selfId, grid: gridHex, r: keys.r, exp, blob },
      (m) => this.deps.signer.sign(m),
    );
    // An invitation already expired (or refused by the table) is held by nobody: its code finds nothing.
    const held = this.table.add(record, now, (id) => this.member(id));
    const code = formatInviteCode(secret);
    const holders = new Set<string>();
    this.holders.set(record.r, holders);
    this.holdersOf.set(code, holders);
    while (this.holdersOf.size > pendingLimits.total)
      this.holdersOf.delete(this.holdersOf.keys().next().value!);
    while (this.holders.size > pendingLimits.total) this.holders.delete(this.holders.keys().next().value!);
    if (held) this.spread(record);
    this.ensureServer();
    return { code, r: record.r };
  }

  /**
   * Cancels this node's invitation with rendezvous id `r` (one-time key `key`, hex, expiring at `exp`): the
   * signed cancellation goes to every link, and this node holds the record no more.
   */
  async cancel(r: string, key: string, exp: number): Promise<void> {
    const gridHex = this.deps.gridHex();
    if (!gridHex) throw new InviteError('join a grid first');
    const now = Date.now();
    const c = await signCancellation(
      {
        inviter: this.deps.selfId,
        grid: gridHex,
        r,
        key,
        exp: Math.min(exp, now + pendingLimits.lifetimeMs),
      },
      (m) => this.deps.signer.sign(m),
    );
    if (c.exp <= now) return;
    this.applyCancel(c, now);
  }

  /** Whether `issuer` cancelled its invitation of one-time key `key` (hex): a witness refuses it then. */
  voids(key: string, issuer: NodeId): boolean {
    return this.cancels.voids(key, issuer, Date.now());
  }

  constructor(private readonly deps: CodeInviteDeps) {}

  /** How many other members said they hold the invitation of `code` (issued by this node). */
  heldBy(code: string): number {
    const parsed = parseInviteCode(code);
    return parsed.ok ? (this.holdersOf.get(parsed.code)?.size ?? 0) : 0;
  }

  /** The long invitation for what a person typed or opened: a short code is fetched from the grid. */
  async resolve(urlOrCode: string): Promise<string> {
    const text = inviteCodeOf(urlOrCode);
    if (text.length > SHORT_INPUT_CHARS) return text;
    const parsed = parseInviteCode(text);
    if (!parsed.ok) throw new InviteError(parsed.message);
    const keys = await deriveCodeKeys(parsed.secret);
    const { selfId, signer } = this.deps;
    const invite = await fetchPending(
      { selfId, signer, verifier: await this.deps.verifier(), relays: this.deps.relays() },
      keys,
    ).catch((error: Error) => {
      throw new InviteError(error.message);
    });
    return base64urlEncode(invite);
  }

  /**
   * A new link: it is asked for its records (0x32). Asking rather than sending: the far end may not have
   * finished proving this link yet and would drop them; an answer arrives only once both ends count it up.
   */
  linkUp(peer: NodeId): void {
    this.deps.sendFrame(peer, FRAME_WANT, encoder.encode('{}'));
  }

  /** Frames 0x30 and 0x31 from a proved link. */
  async frame(peer: NodeId, kind: number, body: Uint8Array): Promise<void> {
    const gridHex = this.deps.gridHex();
    if (!gridHex || body.length > pendingLimits.recordChars) return this.count('pending-frame-refused');
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(body));
    } catch {
      return this.count('pending-bad-json');
    }
    if (kind === FRAME_HELD) return this.held(peer, value);
    if (kind === FRAME_WANT) {
      for (const c of this.cancels.all(Date.now())) this.sendCancel(peer, c);
      for (const record of this.table.all(Date.now(), (id) => this.member(id))) this.send(peer, record);
      return;
    }
    if (kind === FRAME_CANCEL) return this.cancelFrame(peer, value, gridHex);
    if (kind !== FRAME_PENDING) return this.count('pending-unknown-frame');
    const now = Date.now();
    const record = parsePending(value, gridHex, now);
    if (typeof record === 'string') return this.count(record);
    if (this.table.has(record.r)) return;
    if (this.cancels.cancels(record.r, record.inviter, now)) return this.count('pending-cancelled');
    const checked = pendingSignature(record);
    const verifier = await this.deps.verifier();
    if (!checked || !(await verifier.verify(checked.key, checked.message, checked.signature)))
      return this.count('pending-bad-signature');
    // The sender's membership was checked when its link was admitted; its announcement may come later.
    if (!this.table.add(record, now, (id) => id === peer || this.member(id))) return;
    this.cameFrom.set(record.r, peer);
    while (this.cameFrom.size > pendingLimits.total) this.cameFrom.delete(this.cameFrom.keys().next().value!);
    this.spread(record, peer);
    this.deps.sendFrame(
      peer,
      FRAME_HELD,
      encoder.encode(JSON.stringify({ r: record.r, by: this.deps.selfId })),
    );
    this.ensureServer();
  }

  stats() {
    return {
      pending: this.table.size,
      cancelled: this.cancels.size,
      answered: this.server?.answered ?? 0,
      dropped: { ...this.dropped, ...this.table.dropped, ...this.cancels.dropped },
    };
  }

  /** A run starts: the records saved for its grid are checked again and held. */
  async start(): Promise<void> {
    const gridHex = this.deps.gridHex();
    const saved = gridHex ? await this.deps.load?.(gridHex).catch(() => undefined) : undefined;
    if (!gridHex || !Array.isArray(saved)) return;
    const verifier = await this.deps.verifier();
    for (const value of saved.slice(0, pendingLimits.total)) {
      const record = parsePending(value, gridHex, Date.now());
      const checked = typeof record === 'string' ? undefined : pendingSignature(record);
      if (typeof record === 'string' || !checked) continue;
      if (!(await verifier.verify(checked.key, checked.message, checked.signature))) continue;
      this.table.add(record, Date.now(), (id) => this.member(id));
    }
    this.ensureServer();
  }

  /** The run ended (grid left or switched): nothing is held any more. */
  stop(): void {
    this.server?.stop();
    this.server = undefined;
    this.table = new PendingTable();
    this.cancels = new CancelTable();
    this.cameFrom.clear();
    this.passedOn.clear();
  }

  private held(peer: NodeId, value: unknown): void {
    const { r, by } = (value ?? {}) as { r?: unknown; by?: unknown };
    if (typeof r !== 'string' || typeof by !== 'string' || by.length > 128)
      return this.count('held-bad-shape');
    const mine = this.holders.get(r);
    if (mine) {
      if (mine.size < MAX_HOLDERS && !mine.has(by)) {
        mine.add(by);
        this.deps.changed?.();
      }
      return;
    }
    const back = this.cameFrom.get(r);
    if (!back || back === peer) return;
    // Each is passed on once: "came from" links can form a loop (a record dropped and received again from
    // a node that had it from here, or records sent out of order by a hostile member), and a "holds"
    // frame going round one would be passed on forever, at the links' full speed.
    const key = `${r} ${by}`;
    if (this.passedOn.has(key)) return this.count('held-duplicate');
    this.passedOn.add(key);
    if (this.passedOn.size > MAX_PASSED_ON) this.passedOn.delete(this.passedOn.values().next().value!);
    this.deps.sendFrame(back, FRAME_HELD, encoder.encode(JSON.stringify({ r, by })));
  }

  /** A cancellation from a link: verified, kept, applied and passed on once. */
  private async cancelFrame(peer: NodeId, value: unknown, gridHex: string): Promise<void> {
    const now = Date.now();
    const c = parseCancellation(value, gridHex, now);
    if (typeof c === 'string') return this.count(c);
    if (this.cancels.has(c)) return;
    if (!this.member(c.inviter)) return this.count('cancel-not-member');
    const checked = cancelSignature(c);
    const verifier = await this.deps.verifier();
    if (!checked || !(await verifier.verify(checked.key, checked.message, checked.signature)))
      return this.count('cancel-bad-signature');
    this.applyCancel(c, now, peer);
  }

  private applyCancel(c: Cancellation, now: number, from?: NodeId): void {
    if (!this.cancels.add(c, now)) return;
    if (this.table.get(c.r, now, (id) => this.member(id))?.inviter === c.inviter) {
      this.table.cancel(c.r);
      this.persist();
    }
    if (c.inviter === this.deps.selfId) this.holders.delete(c.r);
    for (const peer of this.deps.peers()) if (peer !== from) this.sendCancel(peer, c);
  }

  private sendCancel(peer: NodeId, c: Cancellation): void {
    const body = encoder.encode(JSON.stringify(encodeCancellation(c)));
    if (body.length <= cancelLimits.chars) this.deps.sendFrame(peer, FRAME_CANCEL, body);
  }

  private member(id: NodeId): boolean {
    return id === this.deps.selfId || this.deps.isMember(id);
  }

  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  /** Saves the table soon (a burst of records is one write). */
  private persist(): void {
    const gridHex = this.deps.gridHex();
    if (!gridHex || !this.deps.save || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      const records = this.table.all(Date.now(), (id) => this.member(id)).map(encodePending);
      void this.deps.save?.(gridHex, records).catch(() => undefined);
    }, 200);
  }

  private spread(record: PendingRecord, except?: NodeId): void {
    this.persist();
    for (const peer of this.deps.peers()) if (peer !== except) this.send(peer, record);
  }

  private send(peer: NodeId, record: PendingRecord): void {
    this.deps.sendFrame(peer, FRAME_PENDING, encoder.encode(JSON.stringify(encodePending(record))));
  }

  private ensureServer(): void {
    if (this.server || this.table.size === 0) return;
    void this.deps.verifier().then((verifier) => {
      if (this.server) return;
      const { selfId, signer } = this.deps;
      this.server = new RendezvousServer({ selfId, signer, verifier, relays: this.deps.relays() }, (r) =>
        this.table.get(r, Date.now(), (id) => this.member(id)),
      );
    });
  }

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }
}
