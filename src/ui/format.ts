/** Small formatting helpers shared by the elements: durations, relative times, dates. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `1 d 4 h`, `3 h 12 min`, `5 min`, `42 s`: two units at most, enough to compare members at a glance. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < MINUTE) return `${Math.floor(ms / 1000)} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ${Math.floor((ms % HOUR) / MINUTE)} min`;
  return `${Math.floor(ms / DAY)} d ${Math.floor((ms % DAY) / HOUR)} h`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** `5 minutes ago`, `in 2 days`: `at` relative to `now`, in the largest whole unit. */
export function formatRelative(at: number, now: number): string {
  const delta = at - now;
  const abs = Math.abs(delta);
  if (abs < MINUTE) return relative.format(Math.round(delta / 1000), 'second');
  if (abs < HOUR) return relative.format(Math.round(delta / MINUTE), 'minute');
  if (abs < DAY) return relative.format(Math.round(delta / HOUR), 'hour');
  return relative.format(Math.round(delta / DAY), 'day');
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export const formatDateTime = (at: number): string => dateTime.format(at);
export const formatTime = (at: number): string => time.format(at);
/** For `<time datetime=…>`. */
export const isoTime = (at: number): string => new Date(at).toISOString();
