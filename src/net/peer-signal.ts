/**
 * Signaling data from the other side of a peer link, checked before any of it reaches simple-peer: its
 * shape (copied field by field), its sizes, and how many ICE candidates one attempt may bring.
 */
// Bounds on what the signaling path may hand us. SDP for one data channel is a few KiB and a peer has a
// handful of candidates; anything beyond these is garbage or abuse (simple-peer buffers early candidates).
const MAX_SDP_CHARS = 64 * 1024;
const MAX_CANDIDATE_CHARS = 2048;
/**
 * Remote ICE candidates one attempt accepts, trickled or in the SDP (SECURITY-REVIEW finding 13: each
 * makes this browser send STUN probes to an address of the sender's choosing, so a forged offer with 64
 * was a packet generator). A machine with two interfaces, both IP families, UDP and TCP, a STUN and a
 * TURN server gathers about a dozen; the excess is refused and counted (`too-many-candidates`).
 */
export const MAX_REMOTE_CANDIDATES = 16;

export type PeerSignal =
  { type: 'offer' | 'answer'; sdp: string } | { type: 'candidate'; candidate: RTCIceCandidateInit };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isOptional = (value: unknown, check: (v: unknown) => boolean): boolean =>
  value === undefined || value === null || check(value);

/**
 * Copies signaling data into a fresh object of the expected shape, or returns undefined. Copying means
 * nothing but the checked fields (no getters, no extra keys) ever reaches simple-peer, which destroys the
 * connection on data it does not understand.
 */
export function parseSignal(data: unknown): PeerSignal | undefined {
  if (!isRecord(data)) return undefined;
  if (data.type === 'offer' || data.type === 'answer') {
    const sdp = data.sdp;
    if (typeof sdp !== 'string' || sdp.length === 0 || sdp.length > MAX_SDP_CHARS) return undefined;
    return { type: data.type, sdp };
  }
  if (data.type !== 'candidate' || !isRecord(data.candidate)) return undefined;
  const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = data.candidate;
  if (typeof candidate !== 'string' || candidate.length > MAX_CANDIDATE_CHARS) return undefined;
  if (!isOptional(sdpMid, (v) => typeof v === 'string' && v.length <= 64)) return undefined;
  if (!isOptional(sdpMLineIndex, (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 65536))
    return undefined;
  if (!isOptional(usernameFragment, (v) => typeof v === 'string' && v.length <= 256)) return undefined;
  // RTCIceCandidate throws without either; inside simple-peer that would destroy the connection.
  if ((sdpMid ?? null) === null && (sdpMLineIndex ?? null) === null) return undefined;
  const init: RTCIceCandidateInit = { candidate };
  if (typeof sdpMid === 'string') init.sdpMid = sdpMid;
  if (typeof sdpMLineIndex === 'number') init.sdpMLineIndex = sdpMLineIndex;
  if (typeof usernameFragment === 'string') init.usernameFragment = usernameFragment;
  return { type: 'candidate', candidate: init };
}

/** The ICE candidates an SDP carries (its `a=candidate:` lines). */
export function candidateLines(sdp: string): number {
  let n = 0;
  for (let i = sdp.indexOf('a=candidate:'); i !== -1; i = sdp.indexOf('a=candidate:', i + 1)) n++;
  return n;
}
