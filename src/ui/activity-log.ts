/**
 * The dashboard's activity log as a pure fold: each `activity` event of the node in, the bounded list of
 * lines out. Refusals are what a hostile peer controls (one per envelope it sends), so they are folded and
 * fenced off from the rest (SECURITY-REVIEW.md #14: 1,248 refused envelopes flushed the 200-line log).
 *
 * Rules:
 * - A refusal (`kind: 'rejected'`) with the same peer and reason as a refusal line whose newest time is at
 *   most `windowMs` away joins that line: its count goes up, it keeps the first and the newest time, and
 *   it moves to the end (newest). So a peer refused at any rate is one line per reason.
 * - At most `maxRefusals` lines are refusals; past that the oldest refusal line goes. Joins, leaves,
 *   revocations and status lines are never pushed out by refusals, only by `max` lines in all.
 * - What refusals were pushed out is counted (`droppedRefusals`, in envelopes, not lines), to be shown.
 * - A detail that is not an activity (no string kind) is ignored; a time that is not a number is `now`.
 * Time is an input; nothing here reads a clock.
 */
import type { Activity, ActivityDetail } from './node-types.ts';

export interface ActivityLogOptions {
  /** Lines kept in all. */
  max: number;
  /** Lines of refusals kept at most. */
  maxRefusals: number;
  /** How far apart two refusals of one peer and reason may be and still share a line. */
  windowMs: number;
}

export const activityLogDefaults: ActivityLogOptions = { max: 200, maxRefusals: 50, windowMs: 5 * 60_000 };

export interface ActivityLog {
  /** Oldest first. */
  readonly entries: readonly Activity[];
  /** The last `seq` given. */
  readonly seq: number;
  /** Refusals no longer shown because newer refusal lines pushed theirs out. */
  readonly droppedRefusals: number;
}

export const emptyActivityLog: ActivityLog = { entries: [], seq: 0, droppedRefusals: 0 };

const isRefusal = (e: Activity) => e.kind === 'rejected';
const countOf = (e: Activity) => e.count ?? 1;

/** `log` with `detail` added by the rules above; `log` itself is not changed. */
export function appendActivity(
  log: ActivityLog,
  detail: ActivityDetail,
  now: number,
  options: ActivityLogOptions = activityLogDefaults,
): ActivityLog {
  if (!detail || typeof detail.kind !== 'string') return log;
  const at = typeof detail.at === 'number' && Number.isFinite(detail.at) ? detail.at : now;
  const id = typeof detail.id === 'string' ? detail.id : undefined;
  const reason = typeof detail.reason === 'string' ? detail.reason : undefined;
  let entries = log.entries;
  let seq = log.seq;
  let dropped = log.droppedRefusals;

  if (detail.kind === 'rejected') {
    const i = entries.findIndex(
      (e) => isRefusal(e) && e.id === id && e.reason === reason && Math.abs(at - e.at) <= options.windowMs,
    );
    if (i >= 0) {
      const line = entries[i]!;
      const joined: Activity = {
        ...line,
        count: countOf(line) + 1,
        firstAt: Math.min(line.firstAt ?? line.at, at),
        at: Math.max(line.at, at),
      };
      return { ...log, entries: [...entries.slice(0, i), ...entries.slice(i + 1), joined] };
    }
  }

  const entry: Activity = {
    kind: detail.kind,
    id,
    reason,
    at,
    seq: ++seq,
    count: 1,
    firstAt: at,
  };
  const next = [...entries, entry];
  if (isRefusal(entry)) {
    let refusals = next.filter(isRefusal).length;
    while (refusals > Math.max(1, options.maxRefusals)) {
      const oldest = next.findIndex(isRefusal);
      dropped += countOf(next[oldest]!);
      next.splice(oldest, 1);
      refusals--;
    }
  }
  while (next.length > Math.max(1, options.max)) {
    const [gone] = next.splice(0, 1);
    if (gone && isRefusal(gone)) dropped += countOf(gone);
  }
  entries = next;
  return { entries, seq, droppedRefusals: dropped };
}
