/**
 * Joining by invitation (`gridNode.acceptInvite`), with where the time goes: each phase's moment
 * (`performance.now()`, so a page can set them beside its navigation timing) is kept in `JoinTimes`, read
 * by `npm run bench:join`.
 *
 * Phases: `started` (asked) → `resolved` (a short code's pending invitation fetched from the grid's
 * rendezvous; at once for a long code) → `witnessed` (a member countersigned the redemption) →
 * `switched` (the grid saved and its run started: relays connecting, hints dialed).
 */
import { type NodeId, parseNodeId } from '../core/index.ts';
import { type GridInfo, gridInfo } from './grids.ts';
import type { Invitations } from './invitations.ts';
import type { GridSession } from './session.ts';

export interface JoinTimes {
  started: number;
  resolved?: number;
  witnessed?: number;
  switched?: number;
  /** Why the join failed, if it did. */
  error?: string;
}

const now = () => (typeof performance === 'undefined' ? Date.now() : performance.now());

/** Joins the grid of `urlOrCode`; `joining` is told when the redemption is under way and when it ends. */
export async function join(
  session: GridSession,
  urlOrCode: string,
  times: JoinTimes,
  joining: (flag: boolean) => void,
): Promise<GridInfo> {
  try {
    const prepared = await session.invitations.prepare(urlOrCode);
    times.resolved = now();
    joining(true);
    let joined: Awaited<ReturnType<Invitations['redeem']>>;
    try {
      joined = await session.invitations.redeem(prepared);
    } finally {
      joining(false);
    }
    times.witnessed = now();
    await session.settings.adoptRelays(joined.relays);
    // The hints are dialed as soon as the grid's mesh exists, not after the rest of the run has started.
    await session.switchGrid(joined.grid, joined.hints.filter((h) => parseNodeId(h)) as NodeId[]);
    times.switched = now();
    return gridInfo(joined.grid);
  } catch (error) {
    times.error = (error as Error).message;
    throw error;
  }
}

export function startTimes(): JoinTimes {
  return { started: now() };
}
