/**
 * Every tunable of the protocol core, with its unit in its name, its default, and why.
 * `resolveConfig()` checks the relations between them once, at start.
 */

export interface CoreConfig {
  /**
   * How often a node re-announces itself with a new seqnum although nothing changed. Receivers judge
   * freshness by their own clock at receipt (seed 001), so a live node must refresh more often than
   * `staleAfterMs`. Cost: every refresh reaches every node, so the idle cost per node grows with
   * grid size / refreshMs. Four hours keeps a 1,000-node grid's idle gossip to a few hundred bytes a
   * minute per node. Each refresh is jittered by ±10 % so refreshes do not synchronise.
   */
  refreshMs: number;
  /**
   * Zooko's rule 1: do not gossip about an origin that you have neither been linked to nor heard a new
   * announcement from within this time. Must exceed `refreshMs` by enough to ride out a missed refresh
   * or two; three refreshes plus slack.
   */
  staleAfterMs: number;
  /**
   * Zooko's rule 3: forget an origin not seen for this long on the local clock ... */
  forgetAfterMs: number;
  /** ... but only while linked to at least this many peers, so a node that was offline for months does
   * not wipe its memory before it has had a chance to hear fresh news. */
  minLinksToForget: number;
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
  /** Largest gossip message accepted or sent, in bytes. WebRTC data channels carry 256 KiB reliably. */
  maxMessageBytes: number;
  /** Largest announcement body, in bytes; bounds what one origin can make every node store. */
  maxBodyBytes: number;
  /** Most origins a node keeps; past this, announcements from new origins are dropped and counted. */
  maxOrigins: number;
  /** Most announcements a node is waiting for at once (IWANT outstanding). */
  maxPendingWants: number;
  /** Rule 2's backoff: a peer that failed k times in a row waits min(max, base * 2^(k-1)) before a retry. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
}

const HOUR = 3_600_000;

export const defaultConfig: Readonly<CoreConfig> = Object.freeze({
  refreshMs: 4 * HOUR,
  staleAfterMs: 13 * HOUR,
  forgetAfterMs: 30 * 24 * HOUR,
  minLinksToForget: 3,
  antiEntropyMs: 60_000,
  wantTimeoutMs: 1_500,
  ihaveDelayMs: 20,
  maxMessageBytes: 256 * 1024,
  maxBodyBytes: 16 * 1024,
  maxOrigins: 10_000,
  maxPendingWants: 4_096,
  reconnectBaseMs: 1_000,
  reconnectMaxMs: 5 * 60_000,
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function resolveConfig(overrides: Partial<CoreConfig> = {}): CoreConfig {
  const config = { ...defaultConfig, ...overrides };
  for (const [key, value] of Object.entries(config)) {
    if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${key} must be a non-negative number`);
  }
  if (config.staleAfterMs <= config.refreshMs * 1.1) {
    throw new ConfigError('staleAfterMs must exceed refreshMs (+10 % jitter), or live nodes go stale');
  }
  if (config.forgetAfterMs < config.staleAfterMs) {
    throw new ConfigError(
      'forgetAfterMs must be at least staleAfterMs: forget only what is no longer gossiped',
    );
  }
  if (config.maxBodyBytes + 200 > config.maxMessageBytes) {
    throw new ConfigError('maxMessageBytes must hold at least one announcement of maxBodyBytes');
  }
  return config;
}
