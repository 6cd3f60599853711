/**
 * Connection history per peer, and the reconnect order it implies (Zooko's rule 2, seed 001):
 * remember when each peer was last connected and last failed, how many times in a row it failed, its
 * total uptime and its round-trip time; on start, try most-recently-seen peers first, keep a limit on
 * pending attempts, and back off exponentially from peers that keep failing, so that a few dead peers
 * cannot delay joining the grid (Tahoe #605).
 */

export interface PeerHistory {
  lastConnectedAt: number | undefined;
  lastFailureAt: number | undefined;
  failuresInRow: number;
  /** Milliseconds connected in total, counting closed sessions only. */
  uptimeMs: number;
  /** Start of the current session, if connected. */
  connectedSince: number | undefined;
  rttMs: number | undefined;
}

export const emptyHistory = (): PeerHistory => ({
  lastConnectedAt: undefined,
  lastFailureAt: undefined,
  failuresInRow: 0,
  uptimeMs: 0,
  connectedSince: undefined,
  rttMs: undefined,
});

export function recordConnected(h: PeerHistory, now: number): void {
  h.lastConnectedAt = now;
  h.connectedSince = now;
  h.failuresInRow = 0;
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
}

export function backoffMs(failuresInRow: number, baseMs: number, maxMs: number): number {
  if (failuresInRow <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(30, failuresInRow - 1));
}

/**
 * Which peers to dial now: not connected, out of backoff, most recently seen first (never-seen last),
 * fewest failures breaking ties, at most `limit` of them.
 */
export function reconnectOrder<K>(
  peers: Iterable<[K, PeerHistory]>,
  now: number,
  limit: number,
  baseMs: number,
  maxMs: number,
): K[] {
  const ready: [K, PeerHistory][] = [];
  for (const [key, h] of peers) {
    if (h.connectedSince !== undefined) continue;
    if (h.lastFailureAt !== undefined && now < h.lastFailureAt + backoffMs(h.failuresInRow, baseMs, maxMs))
      continue;
    ready.push([key, h]);
  }
  const seen = (h: PeerHistory) => h.lastConnectedAt ?? Number.NEGATIVE_INFINITY;
  ready.sort(([, a], [, b]) => {
    const sa = seen(a);
    const sb = seen(b);
    return sa === sb ? a.failuresInRow - b.failuresInRow : sb > sa ? 1 : -1;
  });
  return ready.slice(0, Math.max(0, limit)).map(([key]) => key);
}
