/**
 * Invitations: issuing them, redeeming them, and witnessing other nodes' redemptions.
 *
 * The protocol (PROTOCOL.md, invitations; the signing steps are in grids.ts):
 * - An invitation is a single-use bearer capability in a URL fragment (`#invite=…`), which browsers never
 *   send to a server. It names relays and hints (the inviter and a few of its peers).
 * - The invitee cannot link to anyone yet, so it asks over the grid's relays (signed and sealed `redeem`
 *   requests, sent the moment a relay opens and repeated every 1.5 s for 30 s; PROTOCOL.md §9) for a member to witness its redemption. It prefers a witness the
 *   invitation names (members in good standing as far as the inviter knew) and takes any other only if
 *   none of those answers within a second.
 * - A member witnesses a valid redemption; it answers spent or expired invitations so that the invitee can
 *   say why, and stays silent on anything else (counted as a refusal).
 */
import { type Certificate, type Invite, type NodeId, gridIdOf, InviteError, toHex } from '../core/index.ts';
import { defaultVerifier, type Signer } from '../crypto/ed25519.ts';
import { SignalingClient } from '../net/signaling.ts';
import { SignedSignaling } from '../net/signed-signaling.ts';
import {
  type ActiveGrid,
  completeRedemption,
  issueInvite,
  prepareRedemption,
  readInvite,
  redemptionRequest,
  witnessedChain,
  witnessRedemption,
} from './grids.ts';
import { chainSignatures } from '../core/signatures.ts';
import type { SignatureCache } from '../crypto/signature-cache.ts';
import type { CodeInvites } from './code-invites.ts';
import type { MembershipGuard } from './guard.ts';
import { cleanName, InviteBook, type InviteView } from './invite-book.ts';

const RETRY_MS = 1_500;
const FALLBACK_WAIT_MS = 1_000;
const DEADLINE_MS = 30_000;
/** Peers named as hints in an invitation, besides the inviter. */
const HINTED_PEERS = 4;

export interface Redemption {
  invite: Invite;
  redemption: Certificate;
}

export interface InvitationDeps {
  /** Short codes: issued for each invitation, and resolved back to it (code-invites.ts). */
  codes: CodeInvites;
  selfId: NodeId;
  publicKey: Uint8Array;
  signer: Signer;
  guard: MembershipGuard;
  /**
   * Where an invitation's and a witnessed chain's signatures are verified (asynchronously) before the
   * membership rules look them up; without it they are checked with noble (tests, tools).
   */
  signatures?: Pick<SignatureCache, 'check' | 'verifyAll'>;
  relays(): string[];
  peers(): NodeId[];
  sendSignal(payload: Record<string, unknown>, to: NodeId): void;
  /** The inviter's list of a grid, as stored (invite-book.ts checks it again). */
  loadBook?(gridHex: string): Promise<unknown>;
  saveBook?(gridHex: string, entries: unknown[]): void;
}

export interface InviteOptions {
  expiresInMs?: number;
  canInvite?: boolean;
  /** The inviter's name for whom it invites: the new member is shown under it (a petname, never sent). */
  name?: string;
}

export class Invitations {
  /** The invitations this node made in the active grid (names, who joined, cancelled). */
  readonly book: InviteBook;
  private bookGrid: string | undefined;

  constructor(private readonly deps: InvitationDeps) {
    this.book = new InviteBook((entries) => {
      if (this.bookGrid) this.deps.saveBook?.(this.bookGrid, entries);
    });
  }

  /** A run of `gridHex` starts (or ends): its list is loaded. */
  async startBook(gridHex: string | undefined): Promise<void> {
    this.bookGrid = gridHex;
    this.book.clear();
    if (gridHex) this.book.load(await this.deps.loadBook?.(gridHex).catch(() => undefined));
  }

  /** A single-use invitation to `grid`, as a link and as a code. */
  async create(grid: ActiveGrid, options: InviteOptions) {
    const hints = [this.deps.selfId, ...this.deps.peers().slice(0, HINTED_PEERS)];
    const name = cleanName(options.name);
    const { code, expiresAt, oneTimeKey } = await issueInvite(grid, this.deps.signer, Date.now(), {
      ...(options.expiresInMs !== undefined ? { expiresInMs: options.expiresInMs } : {}),
      ...(options.canInvite !== undefined ? { canInvite: options.canInvite } : {}),
      relays: this.deps.relays(),
      hints,
    });
    const short = await this.deps.codes.issue(code, expiresAt);
    const base = typeof location === 'undefined' ? '' : `${location.origin}${location.pathname}`;
    const url = `${base}#invite=${short.code}`;
    this.book.add({
      code: short.code,
      url,
      expiresAt,
      createdAt: Date.now(),
      r: short.r,
      key: oneTimeKey,
      ...(name ? { name } : {}),
    });
    return {
      url,
      code: short.code,
      expiresAt,
      longUrl: `${base}#invite=${code}`,
      ...(name ? { name } : {}),
    };
  }

  /** The invitations made here, newest first, with what became of each. */
  list(): InviteView[] {
    return this.book.list(Date.now());
  }

  /**
   * Cancels an invitation this node made and nobody has joined with yet: its pending record is dropped
   * grid-wide and its code answered by nobody (code-invites.ts); witnesses refuse its redemption.
   */
  async cancel(code: string): Promise<void> {
    const entry = this.book.find(code);
    if (!entry) throw new InviteError('this node made no invitation with that code');
    if (entry.joinedBy) throw new InviteError('this invitation has already been used');
    await this.deps.codes.cancel(entry.r, entry.key, entry.expiresAt);
    this.book.cancel(code);
  }

  /** Invitations of ours that a member joined with since last asked (its chain names the one-time key). */
  noticeJoins() {
    return this.book.joined((key) => this.deps.guard.byInviteKey.get(key));
  }

  /** Reads an invitation (a link or a pasted code) and signs this node's redemption of it. */
  async prepare(urlOrCode: string): Promise<Redemption> {
    const invite = readInvite(await this.deps.codes.resolve(urlOrCode));
    const signatures = this.deps.signatures;
    await signatures?.verifyAll(chainSignatures(invite.descriptor, invite.chain));
    const redemption = await prepareRedemption(invite, this.deps.publicKey, Date.now(), signatures?.check);
    return { invite, redemption };
  }

  /** Has the redemption witnessed: the grid joined, and the relays and peers the invitation names. */
  async redeem({ invite, redemption }: Redemption) {
    const verifier = await defaultVerifier();
    const witness = await this.askForWitness(invite, redemptionRequest(invite, redemption), verifier);
    const signatures = this.deps.signatures;
    const chain = witnessedChain(invite, redemption, witness);
    if (chain) await signatures?.verifyAll(chainSignatures(invite.descriptor, chain));
    const now = Date.now();
    const grid = completeRedemption(invite, redemption, witness, this.deps.publicKey, now, signatures?.check);
    return { grid, relays: invite.relays, hints: invite.hints };
  }

  /** A sealed `redeem` request from the grid's signaling topic. */
  async witness(grid: ActiveGrid, from: NodeId, request: unknown): Promise<void> {
    const membership = this.deps.guard.membership;
    if (!membership || !grid.descriptor) return;
    // The witness carries this node's chain, checked with it (its results may have left the cache).
    await this.deps.signatures?.verifyAll(chainSignatures(grid.descriptor, grid.chain));
    const answer = await witnessRedemption(grid, membership, this.deps.signer, request, Date.now(), (k, i) =>
      this.deps.codes.voids(k, i),
    );
    if (
      'witness' in answer ||
      answer.refused === 'invite-used' ||
      answer.refused === 'expired-invitation' ||
      answer.refused === 'invite-cancelled'
    ) {
      this.deps.sendSignal({ t: 'witness', ...answer }, from);
    }
    if ('refused' in answer) this.deps.guard.refuse(answer.refused, from);
  }

  /**
   * Asks the grid, over its relays, for a member to witness our redemption; resolves with the first
   * witness, rejects when a member says the invitation is spent, or when nobody answers.
   */
  private askForWitness(
    invite: Invite,
    request: string,
    verifier: Awaited<ReturnType<typeof defaultVerifier>>,
  ): Promise<unknown> {
    const gridId = gridIdOf(invite.descriptor.gridKey);
    const relays = [...new Set([...invite.relays, ...this.deps.relays()])];
    const session = toHex(crypto.getRandomValues(new Uint8Array(8)));
    return new Promise((resolve, reject) => {
      let retry: ReturnType<typeof setInterval> | undefined;
      let fallback: string | undefined;
      let done = false;
      let opened = 0;
      const finish = (error?: Error, witness?: unknown) => {
        if (done) return;
        done = true;
        clearInterval(retry);
        clearTimeout(deadline);
        client.stop();
        if (error) reject(error);
        else resolve(witness);
      };
      const client = new SignalingClient({
        relays,
        gridId,
        selfId: this.deps.selfId,
        onMessage: (from, payload, info) => signed.receive(from, payload, info.direct),
        // Ask the moment a relay opens, not at the next retry (a request sent before is lost).
        onStatus: (status) => {
          const open = status.relays.filter((r) => r.state === 'open').length;
          if (open > opened) ask();
          opened = open;
        },
      });
      const signed = new SignedSignaling({
        transport: client,
        signer: this.deps.signer,
        verifier,
        gridId,
        selfId: this.deps.selfId,
        session,
        onMessage: (from, payload) => {
          const reply = payload as { t?: unknown; witness?: unknown; refused?: unknown } | null;
          if (reply?.t !== 'witness') return;
          if (typeof reply.witness === 'string') {
            if (invite.hints.includes(from)) finish(undefined, reply.witness);
            else if (!fallback) {
              fallback = reply.witness;
              setTimeout(() => finish(undefined, fallback), FALLBACK_WAIT_MS);
            }
          } else if (reply.refused === 'invite-used')
            finish(new InviteError('this invitation has already been used'));
          else if (reply.refused === 'expired-invitation')
            finish(new InviteError('this invitation has expired'));
          else if (reply.refused === 'invite-cancelled')
            finish(new InviteError('this invitation was cancelled by whoever made it'));
        },
      });
      const ask = () => void signed.send({ t: 'redeem', request }).catch(() => undefined);
      const deadline = setTimeout(
        () => finish(new InviteError('no member of the grid answered; try again when one is online')),
        DEADLINE_MS,
      );
      client.start();
      retry = setInterval(ask, RETRY_MS);
      ask();
    });
  }
}
