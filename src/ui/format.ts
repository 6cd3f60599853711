/** Small formatting helpers shared by the elements: durations, relative times, dates, fingerprints. */
import { base32Encode } from '../core/base32.ts';

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

/**
 * A grid's short fingerprint: the first 8 characters of the lowercase base32 of its id (40 bits), shown
 * beside its name wherever the name is shown, because names are chosen by founders and two grids may share
 * one (SECURITY-REVIEW.md #10). `id` is the grid id in hex, as `GridInfo.id`; anything else is shown as is.
 */
export function gridFingerprint(id: string): string {
  if (!/^(?:[0-9a-f]{2})+$/.test(id)) return id.slice(0, 8);
  const bytes = new Uint8Array(id.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  return base32Encode(bytes).slice(0, 8);
}
