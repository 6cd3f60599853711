/**
 * The link proof (PROTOCOL.md §9): who is on the other end of one WebRTC link, in a form that cannot be
 * carried to another link.
 *
 * Rules:
 * - "The proof signs `gridnode/link/v2\n · gridId · prover key · verifier key · prover fingerprint ·
 *   verifier fingerprint · challenge`", the fingerprints being the DTLS certificate fingerprints of the
 *   two ends (the first `a=fingerprint:` line of each side's SDP), each written as a length byte and its
 *   text, the challenge the verifier's 32 random bytes. DTLS makes sure the far end holds the certificate
 *   its SDP names, so a proof made on one link names fingerprints that no other link has.
 * - "A node answers one challenge per link, and only once the link's signaling was authenticated": a
 *   signed signal of the attempt arrived (signed-signaling.ts), and both fingerprints are known.
 * - A link whose SDP names no fingerprint, or a second SDP naming another, is refused.
 *
 * Pure: the challenge is given (the caller's randomness); signing and verifying are the caller's.
 */
import { concatBytes, utf8 } from '../core/bytes.ts';

export const LINK_DOMAIN = 'gridnode/link/v2\n';
export const CHALLENGE_BYTES = 32;
const MAX_FINGERPRINT_CHARS = 200;
const FINGERPRINT = /^a=fingerprint:([A-Za-z0-9-]{1,16}) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){15,63})\s*$/m;

/** The DTLS fingerprint an SDP names (its first `a=fingerprint:` line), normalised; or undefined. */
export function sdpFingerprint(sdp: unknown): string | undefined {
  if (typeof sdp !== 'string' || sdp.length > 64 * 1024) return undefined;
  const match = FINGERPRINT.exec(sdp);
  if (!match) return undefined;
  const text = `${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}`;
  return text.length <= MAX_FINGERPRINT_CHARS ? text : undefined;
}

/** The bytes a link proof signs. */
export function linkProofMessage(
  gridId: Uint8Array,
  prover: Uint8Array,
  verifier: Uint8Array,
  proverFingerprint: string,
  verifierFingerprint: string,
  challenge: Uint8Array,
): Uint8Array {
  const text = (s: string) => {
    const bytes = utf8(s);
    return concatBytes(new Uint8Array([bytes.length]), bytes);
  };
  return concatBytes(
    utf8(LINK_DOMAIN),
    gridId,
    prover,
    verifier,
    text(proverFingerprint),
    text(verifierFingerprint),
    challenge,
  );
}

/** One link's side of the proof: the fingerprints seen, the challenge sent, the one answer given. */
export class LinkProof {
  local: string | undefined;
  remote: string | undefined;
  /** A signed signal of this attempt came from the peer. */
  authenticated = false;
  private answered = false;

  constructor(
    private readonly gridId: Uint8Array,
    private readonly self: Uint8Array,
    private readonly peer: Uint8Array,
    readonly challenge: Uint8Array,
  ) {}

  /** Signaling data this side sent; a refusal reason if its SDP breaks the rules. */
  sent(data: unknown): string | undefined {
    return this.see(data, 'local');
  }

  /** Signaling data the peer sent (through signed signaling). */
  received(data: unknown): string | undefined {
    this.authenticated = true;
    return this.see(data, 'remote');
  }

  /** The message to sign in answer to the peer's challenge, or why not (at most once per link). */
  answer(challenge: Uint8Array): Uint8Array | string {
    if (this.answered) return 'second-challenge';
    if (challenge.length !== CHALLENGE_BYTES) return 'bad-challenge';
    if (!this.authenticated) return 'unauthenticated-link';
    if (!this.local || !this.remote) return 'unbound-link';
    this.answered = true;
    return linkProofMessage(this.gridId, this.self, this.peer, this.local, this.remote, challenge);
  }

  /** The message the peer's proof must sign, or why it cannot be checked. */
  expected(): Uint8Array | string {
    if (!this.local || !this.remote) return 'unbound-link';
    return linkProofMessage(this.gridId, this.peer, this.self, this.remote, this.local, this.challenge);
  }

  private see(data: unknown, side: 'local' | 'remote'): string | undefined {
    const sdp = typeof data === 'object' && data !== null ? (data as { sdp?: unknown }).sdp : undefined;
    if (sdp === undefined) return undefined;
    const fingerprint = sdpFingerprint(sdp);
    if (!fingerprint) return 'no-fingerprint';
    if (this[side] !== undefined && this[side] !== fingerprint) return 'fingerprint-changed';
    this[side] = fingerprint;
    return undefined;
  }
}
