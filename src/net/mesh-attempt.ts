/**
 * One link attempt of the mesh (mesh.ts): its PeerLink, its id and path, and the proof exchange that makes
 * it a link (PROTOCOL.md §9). Once the data channel opens each side sends a random 32-byte challenge; the
 * other answers it once, only after a signed signal of the attempt arrived, with a proof (link-proof.ts)
 * binding both node ids, both DTLS fingerprints and the grid id, followed by its membership field. The
 * attempt is up only when the proof verifies and `admit` accepts the membership; every other frame is the
 * host's, which drops what comes before that.
 */
import { concatBytes } from '../core/bytes.ts';
import { type NodeId, parseNodeId } from '../core/identity.ts';
import type { Signer, Verifier } from '../crypto/ed25519.ts';
import { CHALLENGE_BYTES, LinkProof } from './link-proof.ts';
import { PeerLink } from './peer-link.ts';

const FRAME_CHALLENGE = 0x10;
const FRAME_PROOF = 0x11;
const SIGNATURE_BYTES = 64;
/**
 * A link that opened but was not proved and admitted within this long is closed: one end may never get
 * the proof it waits for (its peer refused the challenge, or lost the attempt), and while pings flow
 * nothing else would end it, so one side would count a link the other does not have.
 */
const PROOF_TIMEOUT_MS = 10_000;

/** The count an attempt id starts with (`3-…`), or 0 for an id without one. */
export function attemptOrder(cid: string): number {
  const dash = cid.indexOf('-');
  const count = dash > 0 && dash <= 8 ? Number.parseInt(cid.slice(0, dash), 36) : 0;
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/** Which signaling path an attempt's signals take. */
export type Via = 'relay' | 'mesh';

export interface Attempt {
  readonly peer: NodeId;
  readonly link: PeerLink;
  /** The peer's session, once heard in a hello or signal. */
  session: string | undefined;
  /** This attempt's id, in every signal of it. */
  readonly cid: string;
  /** A signal of this attempt has arrived from the peer. */
  answered: boolean;
  readonly proof: LinkProof;
  proved: boolean;
  up: boolean;
  /** Given up on by the dialer: its end is not reported as a failure. */
  abandoned: boolean;
  via: Via;
  readonly initiator: boolean;
  /** When it started, and when its data channel opened (Date.now()). */
  readonly startedAt: number;
  openedAt: number | undefined;
}

/** How an attempt went, for `Mesh.status().attempts` (the newest few). */
export interface AttemptRecord {
  peer: NodeId;
  via: Via;
  /** This node made the offer. */
  offered: boolean;
  /** When it started (Date.now()). */
  at: number;
  /** Milliseconds from its start until its data channel opened, and until it was up (or it ended). */
  openMs?: number;
  endMs: number;
  /** 'up', or why it ended before. */
  end: string;
}

/** The newest `max` records of attempts, oldest first. */
export class AttemptLog {
  private readonly records: AttemptRecord[] = [];

  constructor(private readonly max: number) {}

  note(attempt: Attempt, end: string, now = Date.now()): void {
    const { peer, via, initiator, startedAt, openedAt } = attempt;
    const openMs = openedAt === undefined ? {} : { openMs: openedAt - startedAt };
    this.records.push({
      peer,
      via,
      offered: initiator,
      at: startedAt,
      ...openMs,
      endMs: now - startedAt,
      end,
    });
    if (this.records.length > this.max) this.records.shift();
  }

  list(): AttemptRecord[] {
    return this.records.map((r) => ({ ...r }));
  }
}

/** What proved links say of themselves, by peer, for `Mesh.status()`. */
export function linksStatus(up: readonly Attempt[]) {
  const stats = up.map((a) => [a.peer, a.link.stats()] as const);
  return {
    /** The ICE candidate types of each link's selected pair ('relay' = through TURN). */
    candidates: Object.fromEntries(
      stats.flatMap(([peer, s]) => (s.candidateTypes ? [[peer, s.candidateTypes] as const] : [])),
    ),
    /** Bytes each way, bytes waiting to be sent, RTT and what each link dropped. */
    traffic: Object.fromEntries(
      stats.map(([peer, { sentBytes, receivedBytes, queuedBytes, rttMs, dropped }]) => [
        peer,
        { sentBytes, receivedBytes, queuedBytes, rttMs, dropped },
      ]),
    ),
  };
}

export interface AttemptOptions {
  gridId: Uint8Array;
  signer: Signer;
  verifier: Verifier;
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: 'relay' | 'all';
  maxMessageBytes?: number;
  membership?: () => Uint8Array;
  admit?: (peer: NodeId, membership: Uint8Array) => string | undefined | Promise<string | undefined>;
}

/** What an attempt needs from its mesh. */
export interface AttemptHost {
  readonly options: AttemptOptions;
  count(reason: string): void;
  /** Sends a signal (SDP, candidate) of `attempt` to its peer. */
  signal(attempt: Attempt, data: unknown): void;
  /** Whether `attempt` is still the mesh's attempt with its peer. */
  current(attempt: Attempt): boolean;
  /** The peer proved itself and was admitted. */
  up(attempt: Attempt): void;
  /** Any frame but the challenge and proof. */
  frame(attempt: Attempt, kind: number | undefined, body: Uint8Array): void;
  rtt(attempt: Attempt, ms: number): void;
  closed(attempt: Attempt, reason: string): void;
}

export function startAttempt(
  host: AttemptHost,
  peer: NodeId,
  initiator: boolean,
  session: string | undefined,
  cid: string,
  via: Via,
): Attempt {
  const options = host.options;
  const proof = new LinkProof(
    options.gridId,
    options.signer.publicKey,
    parseNodeId(peer)!,
    crypto.getRandomValues(new Uint8Array(CHALLENGE_BYTES)),
  );
  const link: PeerLink = new PeerLink(
    {
      initiator,
      iceServers: options.iceServers ?? [],
      iceTransportPolicy: options.iceTransportPolicy ?? 'all',
      ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes + 1 } : {}),
    },
    {
      signal: (data) => {
        const refused = proof.sent(data);
        if (refused) {
          host.count(refused);
          return link.close();
        }
        host.signal(attempt, data);
      },
      open: () => {
        attempt.openedAt = Date.now();
        link.send(concatBytes(new Uint8Array([FRAME_CHALLENGE]), proof.challenge));
        setTimeout(() => {
          if (attempt.up || link.state !== 'open') return;
          host.count('proof-timeout');
          link.close();
        }, PROOF_TIMEOUT_MS);
      },
      refused: (reason) => host.count(reason),
      message: (bytes) => void onFrame(host, attempt, bytes),
      rtt: (ms) => attempt.up && host.rtt(attempt, ms),
      close: (reason) => host.closed(attempt, reason),
    },
  );
  const attempt: Attempt = {
    peer,
    link,
    session,
    cid,
    answered: false,
    proof,
    proved: false,
    up: false,
    abandoned: false,
    via,
    initiator,
    startedAt: Date.now(),
    openedAt: undefined,
  };
  return attempt;
}

async function onFrame(host: AttemptHost, attempt: Attempt, frame: Uint8Array): Promise<void> {
  const kind = frame[0];
  const body = frame.subarray(1);
  if (kind === FRAME_CHALLENGE) {
    const message = attempt.proof.answer(body);
    if (typeof message === 'string') return host.count(message);
    const signature = await host.options.signer.sign(message);
    const membership = host.options.membership?.() ?? new Uint8Array(0);
    attempt.link.send(concatBytes(new Uint8Array([FRAME_PROOF]), signature, membership));
    return;
  }
  if (kind !== FRAME_PROOF) return host.frame(attempt, kind, body);
  if (body.length < SIGNATURE_BYTES) return host.count('bad-frame');
  if (attempt.proved) return host.count('second-proof');
  attempt.proved = true;
  const message = attempt.proof.expected();
  const signature = body.subarray(0, SIGNATURE_BYTES);
  const ok =
    typeof message !== 'string' &&
    (await host.options.verifier.verify(parseNodeId(attempt.peer)!, message, signature));
  if (!ok) {
    host.count('bad-proof');
    return attempt.link.close();
  }
  const live = () => host.current(attempt) && attempt.link.state === 'open';
  if (!live()) return;
  // May be asynchronous (its signatures are verified off the main thread first): check the link again.
  const refused = await host.options.admit?.(attempt.peer, body.slice(SIGNATURE_BYTES));
  if (!live()) return;
  if (refused !== undefined) {
    host.count('link-refused');
    return attempt.link.close();
  }
  attempt.up = true;
  host.up(attempt);
}
