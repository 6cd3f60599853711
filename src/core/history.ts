/**
 * Connection history per peer, and the reconnect order it implies (Zooko's rule 2, seed 001):
 * remember when each peer was last connected and last failed, how many times in a row it failed, its
 * total uptime and its round-trip time; on start, try most-recently-seen peers first, keep a limit on
 * pending attempts, and back off exponentially from peers that keep failing, so that a few dead peers
 * cannot delay joining the grid (Tahoe #605). Every time is this node's own clock.
 */

export interface PeerHistory {
  /** The last time this node was linked to the peer: set at link-up, at link-down, and while linked. */
  lastConnectedAt: number | undefined;
  lastFailureAt: number | undefined;
  failuresInRow: number;
  /** Milliseconds connected in total, up to `connectedSince` when connected. */
  uptimeMs: number;
  /** While connected: from when the current session's time is not yet counted in `uptimeMs`. */
  connectedSince: number | undefined;
  /** Smoothed round-trip time. */
  rttMs: number | undefined;
  /** The latest round-trip samples, oldest first, whole ms (at most `RTT_SAMPLES`). */
  rttSamples: number[];
}

export const RTT_SAMPLES = 8;

export const emptyHistory = (): PeerHistory => ({
  lastConnectedAt: undefined,
  lastFailureAt: undefined,
  failuresInRow: 0,
  uptimeMs: 0,
  connectedSince: undefined,
  rttMs: undefined,
  rttSamples: [],
});

export function recordConnected(h: PeerHistory, now: number): void {
  h.lastConnectedAt = now;
  h.connectedSince = now;
  h.failuresInRow = 0;
}

/**
 * A history read back from storage, which is trusted no more than a peer: fields of the wrong type, or
 * missing (written by an older version), take their empty values; samples are capped.
 */
export function historyFrom(saved: unknown): PeerHistory {
  const h = emptyHistory();
  if (typeof saved !== 'object' || saved === null) return h;
  const s = saved as Record<string, unknown>;
  const time = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  h.lastConnectedAt = time(s.lastConnectedAt);
  h.lastFailureAt = time(s.lastFailureAt);
  h.rttMs = time(s.rttMs);
  h.uptimeMs = Math.max(0, time(s.uptimeMs) ?? 0);
  h.failuresInRow = Number.isSafeInteger(s.failuresInRow) ? Math.max(0, s.failuresInRow as number) : 0;
  if (Array.isArray(s.rttSamples))
    h.rttSamples = s.rttSamples.filter((x): x is number => time(x) !== undefined).slice(-RTT_SAMPLES);
  return h;
}

/** Still connected at `now`: counts the session so far, so a crash loses at most one sweep of uptime. */
export function recordAlive(h: PeerHistory, now: number): void {
  if (h.connectedSince !== undefined) {
    h.uptimeMs += Math.max(0, now - h.connectedSince);
    h.connectedSince = now;
  }
  h.lastConnectedAt = now;
}

export function recordDisconnected(h: PeerHistory, now: number): void {
  if (h.connectedSince !== undefined) h.uptimeMs += Math.max(0, now - h.connectedSince);
  h.connectedSince = undefined;
  h.lastConnectedAt = now;
}

export function recordFailure(h: PeerHistory, now: number): void {
  h.lastFailureAt = now;
  h.failuresInRow += 1;
}

/** Smoothed RTT, as TCP does (RFC 6298: alpha = 1/8). */
export function recordRtt(h: PeerHistory, rttMs: number): void {
  h.rttMs = h.rttMs === undefined ? rttMs : h.rttMs + (rttMs - h.rttMs) / 8;
  h.rttSamples = [...h.rttSamples.slice(-(RTT_SAMPLES - 1)), Math.round(rttMs)];
}

export function backoffMs(failuresInRow: number, baseMs: number, maxMs: number): number {
  if (failuresInRow <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(30, failuresInRow - 1));
}

/** 0: the last attempt worked · 1: never tried · 2: the last attempt failed. */
const groupOf = (h: PeerHistory): number =>
  h.failuresInRow > 0 ? 2 : h.lastConnectedAt === undefined ? 1 : 0;

export interface DialPlan<K> {
  /** Peers to dial now, best first. */
  now: K[];
  /** When the earliest peer skipped for backoff becomes ready (+Infinity if none was skipped). */
  nextReadyAt: number;
}

/**
 * Which peers to dial now (Zooko's rule 2, seed 001): those whose last attempt worked, most recently
 * connected first; then those never tried; then those whose last attempt failed, fewest failures in a row
 * first — each only once out of backoff. Connected peers and those `skip` names are left out; at most
 * `limit` are returned. Times are the local clock; one that lies in the future (the clock was set back)
 * counts as now, so a timequake cannot stall reconnects.
 */
export function planDials<K>(
  peers: Iterable<[K, PeerHistory]>,
  now: number,
  limit: number,
  baseMs: number,
  maxMs: number,
  skip: (key: K) => boolean = () => false,
): DialPlan<K> {
  const ready: [K, PeerHistory][] = [];
  let nextReadyAt = Number.POSITIVE_INFINITY;
  for (const [key, h] of peers) {
    if (h.connectedSince !== undefined || skip(key)) continue;
    if (h.lastFailureAt !== undefined) {
      const readyAt = Math.min(h.lastFailureAt, now) + backoffMs(h.failuresInRow, baseMs, maxMs);
      if (now < readyAt) {
        nextReadyAt = Math.min(nextReadyAt, readyAt);
        continue;
      }
    }
    ready.push([key, h]);
  }
  const seen = (h: PeerHistory) => h.lastConnectedAt ?? Number.NEGATIVE_INFINITY;
  ready.sort(([, a], [, b]) => {
    const ga = groupOf(a);
    const gb = groupOf(b);
    if (ga !== gb) return ga - gb;
    if (a.failuresInRow !== b.failuresInRow) return a.failuresInRow - b.failuresInRow;
    const sa = seen(a);
    const sb = seen(b);
    return sa === sb ? 0 : sb > sa ? 1 : -1;
  });
  return { now: ready.slice(0, Math.max(0, limit)).map(([key]) => key), nextReadyAt };
}

/** The first `limit` peers of `planDials`. */
export function reconnectOrder<K>(
  peers: Iterable<[K, PeerHistory]>,
  now: number,
  limit: number,
  baseMs: number,
  maxMs: number,
): K[] {
  return planDials(peers, now, limit, baseMs, maxMs).now;
}
