/** Reconnect delays: exponential in the number of consecutive failures, capped, with jitter. */

export interface Backoff {
  /** Delay ceiling after the first failure; doubles with every further one. */
  baseMs: number;
  /** Largest delay ceiling. */
  maxMs: number;
}

export const defaultBackoff: Readonly<Backoff> = { baseMs: 500, maxMs: 30_000 };

/**
 * Delay before the next attempt after `failures` consecutive failures (≥ 1), uniform in [ceiling/2, ceiling).
 * The jitter spreads out clients that lost the same relay at the same moment, so a restarted relay is not hit
 * by all of them at once; the floor keeps an unlucky draw from retrying a dead relay immediately.
 */
export function backoffDelay(failures: number, { baseMs, maxMs }: Backoff, random: () => number): number {
  // Capping the exponent keeps 2 ** n finite however long a relay stays down.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 40));
  return ceiling / 2 + (random() * ceiling) / 2;
}
