/**
 * The inviter's own list of the invitations it made (issue 17, points 2 and 3): for each, the code, the
 * link, when it expires, the name the inviter gave whom it invites (a petname: kept in this browser,
 * never sent), and what became of it — still pending, joined (by which member), expired or cancelled.
 *
 * Who joined with an invitation is read from the grid, not told: a member's chain ends with the
 * invitation certificate and its redemption, so the member whose invitation certificate names the
 * one-time key of an entry joined with it (`joined`). Anyone can see who invited whom (the chain);
 * only the inviter knows the name it gave.
 *
 * Bounds: at most `MAX_ENTRIES` per grid (the oldest dropped), names at most 64 characters. Stored per
 * grid (a setting), checked again when loaded. Pure apart from `save`; time is an input.
 */
import type { NodeId } from '../core/index.ts';

export const MAX_ENTRIES = 64;
export const MAX_NAME_CHARS = 64;

export type InviteState = 'pending' | 'joined' | 'expired' | 'cancelled';

export interface InviteEntry {
  code: string;
  url: string;
  expiresAt: number;
  createdAt: number;
  /** The inviter's name for whom it invites, if it gave one. */
  name?: string;
  /** Rendezvous id of its pending record (code-invites.ts) and its one-time public key, hex. */
  r: string;
  key: string;
  joinedBy?: NodeId;
  cancelled?: boolean;
}

/** An entry as shown: its state now, and how many other members hold its pending record. */
export interface InviteView {
  code: string;
  url: string;
  expiresAt: number;
  createdAt: number;
  name?: string;
  state: InviteState;
  joinedBy?: NodeId;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** A name as given: trimmed, control and bidi characters removed, at most `MAX_NAME_CHARS`. */
export function cleanName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  return clean ? [...clean].slice(0, MAX_NAME_CHARS).join('') : undefined;
}

function checkEntry(value: unknown): InviteEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (typeof e.code !== 'string' || e.code.length > 64 || typeof e.url !== 'string' || e.url.length > 2048)
    return undefined;
  if (!Number.isSafeInteger(e.expiresAt) || !Number.isSafeInteger(e.createdAt)) return undefined;
  if (typeof e.r !== 'string' || !HEX32.test(e.r) || typeof e.key !== 'string' || !HEX64.test(e.key))
    return undefined;
  const name = cleanName(e.name);
  return {
    code: e.code,
    url: e.url,
    expiresAt: e.expiresAt as number,
    createdAt: e.createdAt as number,
    r: e.r,
    key: e.key,
    ...(name ? { name } : {}),
    ...(typeof e.joinedBy === 'string' && e.joinedBy.length <= 128 ? { joinedBy: e.joinedBy as NodeId } : {}),
    ...(e.cancelled === true ? { cancelled: true } : {}),
  };
}

export class InviteBook {
  private entries: InviteEntry[] = [];

  constructor(private readonly save: (entries: InviteEntry[]) => void = () => undefined) {}

  /** The stored list of a grid, checked again (storage is not trusted more than peers). */
  load(stored: unknown): void {
    this.entries = Array.isArray(stored)
      ? stored
          .slice(-MAX_ENTRIES)
          .map(checkEntry)
          .filter((e): e is InviteEntry => e !== undefined)
      : [];
  }

  clear(): void {
    this.entries = [];
  }

  add(entry: InviteEntry): void {
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    this.save(this.entries);
  }

  find(code: string): InviteEntry | undefined {
    return this.entries.find((e) => e.code === code);
  }

  /** Marks `code` cancelled; the entry, or undefined if it is not one of ours. */
  cancel(code: string): InviteEntry | undefined {
    const entry = this.find(code);
    if (!entry) return undefined;
    entry.cancelled = true;
    this.save(this.entries);
    return entry;
  }

  /**
   * Entries whose one-time key `byKey` knows as redeemed now name their member; returns the entries
   * that just did (to be told, e.g. to name the new member).
   */
  joined(byKey: (key: string) => NodeId | undefined): InviteEntry[] {
    const found: InviteEntry[] = [];
    for (const entry of this.entries) {
      if (entry.joinedBy) continue;
      const id = byKey(entry.key);
      if (id === undefined) continue;
      entry.joinedBy = id;
      found.push(entry);
    }
    if (found.length > 0) this.save(this.entries);
    return found;
  }

  /** Newest first, with each one's state at `now`. */
  list(now: number): InviteView[] {
    return [...this.entries].reverse().map((e) => ({
      code: e.code,
      url: e.url,
      expiresAt: e.expiresAt,
      createdAt: e.createdAt,
      ...(e.name ? { name: e.name } : {}),
      ...(e.joinedBy ? { joinedBy: e.joinedBy } : {}),
      state: e.joinedBy ? 'joined' : e.cancelled ? 'cancelled' : e.expiresAt <= now ? 'expired' : 'pending',
    }));
  }
}
