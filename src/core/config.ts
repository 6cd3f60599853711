/**
 * Every tunable of the protocol core, with its unit in its name, its default, and why.
 * `resolveConfig()` checks the relations between them once, at start.
 */

export interface CoreConfig {
  /**
   * How often a node re-announces itself with a new seqnum although nothing changed (it also announces on
   * every change). Receivers judge freshness by their own clock at receipt (seed 001), so a live node must
   * refresh more often than `expireAfterMs`. Cost: every refresh reaches every node, so the idle cost per
   * node grows with grid size / refreshIntervalMs. Four hours keeps a 1,000-node grid's idle gossip to
   * about a kilobyte a minute per node. Each refresh is jittered by ±10 % so refreshes do not synchronise.
   */
  refreshIntervalMs: number;
  /**
   * Freshness, and Zooko's rule 1: an origin is fresh while this node is linked to it or received its
   * newest seqnum within this time, on this node's own clock. Only fresh origins are gossiped onward;
   * stale ones stay known as connection candidates. Must exceed `refreshIntervalMs` enough to ride out a
   * missed refresh or two: three refreshes plus slack.
   */
  expireAfterMs: number;
  /**
   * Zooko's rule 3: forget an origin (its announcement and connection history) once it has not been seen
   * for this long on the local clock. People leave tabs closed for weeks; a month is the seed's figure.
   */
  forgetAfterMs: number;
  /**
   * ... but only while linked to at least this many peers, each linked for `settleMs`, so a node that was
   * offline for months does not wipe its memory before it has heard its peers' fresh news.
   */
  minPeersToForget: number;
  /**
   * How long a link must have been up before it counts towards `minPeersToForget`: long enough to have
   * reconciled with that peer (a SUMMARY, a DIGEST and the missing announcements: a few round trips).
   */
  settleMs: number;
  /**
   * Every this often, a node compares a 16-byte fingerprint of what it knows with one random linked peer.
   * This is what repairs lost messages and healed partitions. Idle cost: ~30 bytes each way per period.
   */
  antiEntropyMs: number;
  /**
   * After asking one peer for an announcement it advertised (IWANT), wait this long before asking the
   * next peer that advertised it. Should be a few round-trips; too short duplicates payloads.
   */
  wantTimeoutMs: number;
  /**
   * IHAVEs are held this long before being sent, so that announcements arriving together are advertised
   * in one message per link. Adds this much latency per hop; saves most messages when many origins
   * announce at once (a grid starting up, a partition healing). 0 sends at the end of every input.
   */
  ihaveDelayMs: number;
  /**
   * Eager push (PROTOCOL.md §5): how long a node that heard of a version only by IHAVE waits for the
   * payload along its tree before it GRAFTs the advertiser. Above the spread of one hop's latency, or
   * trees graft needlessly and payloads arrive twice; below a few hops, or repair is slow.
   */
  graftTimeoutMs: number;
  /**
   * Eager push: to how many of its lazy (pruned) links a node sends an IHAVE for each new version. The
   * tree carries the payload; IHAVEs only let a node whose tree branch broke notice within
   * `graftTimeoutMs` instead of at the next anti-entropy round. Each costs ~15 bytes per node per
   * announcement, so a quiet grid's refreshes pay for them N times per `refreshIntervalMs`.
   */
  lazyFanout: number;
  /** Largest gossip message accepted or sent, in bytes. WebRTC data channels carry 256 KiB reliably. */
  maxMessageBytes: number;
  /** Largest announcement body, in bytes; bounds what one origin can make every node store. */
  maxBodyBytes: number;
  /** Most origins a node keeps; past this, announcements from new origins are dropped and counted. */
  maxOrigins: number;
  /** Most announcements a node is waiting for at once (IWANT outstanding). */
  maxPendingWants: number;
  /**
   * Most of those one link is asked for at once (SECURITY-REVIEW finding 7): a link advertising made-up
   * refs fills this much of the want table and no more, so honest links' news is still asked for. The
   * refs a link offers beyond it are dropped (`want-link-limit`) and come back with its next IHAVE or
   * DIGEST. A quarter of `maxPendingWants`: a first sync with a grid of up to a thousand members asks one
   * link for everything at once; a larger grid takes a few anti-entropy rounds, or other links' DIGESTs.
   */
  maxWantsPerLink: number;
  /**
   * Rule 2's backoff: after k failed attempts in a row a peer waits min(max, base * 2^(k-1)) before the
   * next one, so a few dead peers cannot hold up joining the grid (Tahoe #605).
   */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /**
   * How many links this node dials for by itself, most-recently-seen peers first. Others may still link
   * to it (up to the driver's own maximum). 0 disables dialing (a simulation with a fixed topology).
   */
  targetLinks: number;
  /** Most connection attempts in flight at once (seed 001's "pending-connection-limit"). */
  maxDialsInFlight: number;
  /** A dial that has not produced a link after this long counts as a failure and frees its slot. */
  dialTimeoutMs: number;
}

const HOUR = 3_600_000;

export const defaultConfig: Readonly<CoreConfig> = Object.freeze({
  refreshIntervalMs: 4 * HOUR,
  expireAfterMs: 13 * HOUR,
  forgetAfterMs: 30 * 24 * HOUR,
  minPeersToForget: 3,
  settleMs: 60_000,
  antiEntropyMs: 60_000,
  wantTimeoutMs: 1_500,
  ihaveDelayMs: 20,
  graftTimeoutMs: 250,
  lazyFanout: 1,
  maxMessageBytes: 256 * 1024,
  maxBodyBytes: 16 * 1024,
  maxOrigins: 10_000,
  maxPendingWants: 4_096,
  maxWantsPerLink: 1_024,
  reconnectBaseMs: 1_000,
  reconnectMaxMs: 5 * 60_000,
  targetLinks: 8,
  maxDialsInFlight: 4,
  dialTimeoutMs: 15_000,
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function resolveConfig(overrides: Partial<CoreConfig> = {}): CoreConfig {
  const config = { ...defaultConfig, ...overrides };
  for (const [key, value] of Object.entries(config)) {
    // Whole milliseconds keep every time the core computes exact, whatever the clock's offset.
    if (!Number.isSafeInteger(value) || value < 0)
      throw new ConfigError(`${key} must be a non-negative integer`);
  }
  if (config.targetLinks > 0 && (config.maxDialsInFlight < 1 || config.dialTimeoutMs < 1)) {
    throw new ConfigError('dialing (targetLinks > 0) needs maxDialsInFlight and dialTimeoutMs of at least 1');
  }
  if (config.expireAfterMs <= config.refreshIntervalMs * 1.1) {
    throw new ConfigError(
      'expireAfterMs must exceed refreshIntervalMs (+10 % jitter), or live nodes go stale',
    );
  }
  if (config.forgetAfterMs < config.expireAfterMs) {
    throw new ConfigError(
      'forgetAfterMs must be at least expireAfterMs: forget only what is no longer gossiped',
    );
  }
  if (config.maxBodyBytes + 200 > config.maxMessageBytes) {
    throw new ConfigError('maxMessageBytes must hold at least one announcement of maxBodyBytes');
  }
  return config;
}
