/**
 * A table entry (table.ts): one origin's newest announcement as this node holds it, and the helpers that
 * read one — its ref, its origin key, its body — and the order of refs (§4).
 */
import { type AnnouncementBody, decodeBody } from './announcement.ts';
import type { BodyHead, Canonical } from './canonical.ts';
import type { Tag } from './identity.ts';
import type { Ref } from './messages.ts';

/**
 * One origin's newest announcement. Kept small on purpose — a simulation holds a hundred million of these,
 * a browser in a 10,000-node grid ten thousand — so everything derived from the bytes lives in the shared
 * `Canonical` (canonical.ts) and an entry holds only what is this node's own: times, the gossiped flag, and
 * `tree`, the dissemination layer's per-origin tree state (eager.ts). An entry is also a `Ref`.
 */
export interface Entry {
  /** The origin's index (origins.ts), which it keeps while held, across versions. */
  readonly index: number;
  readonly tag: Tag;
  /** The envelope bytes: origin key at [1, 33). Shared with other holders of equal bytes; never written. */
  readonly envelope: Uint8Array;
  readonly hash: Uint8Array;
  readonly hash32: number;
  readonly seqnum: number;
  readonly held: Canonical;
  lastSeenAt: number;
  /** Counted in the fingerprint and offered to peers. */
  gossiped: boolean;
  /**
   * Owned by dissemination (eager.ts): bit i set while link slot i is in this origin's tree (eager);
   * bit 31 (`NEW_ORIGIN`) until a version of this origin has been spread by this node.
   */
  tree: number;
}

/** `Entry.tree` of an origin no version of which this node has spread yet: no tree links. */
export const NEW_ORIGIN = 1 << 31;

/**
 * Four fields: everything else (tag, bytes, hashes, seqnum) is read from the shared `held`, whose body head
 * `put` has checked. The receipt time is not kept: it goes out once, in the `stored` output, for the driver
 * to persist.
 */
export class HeldEntry implements Entry {
  tree = NEW_ORIGIN;
  constructor(
    readonly index: number,
    /** Written only by the table, which keeps one entry per origin across its versions. */
    public held: Canonical,
    public lastSeenAt: number,
    public gossiped: boolean,
  ) {}
  get tag(): Tag {
    return this.held.tag;
  }
  get envelope(): Uint8Array {
    return this.held.bytes;
  }
  get hash(): Uint8Array {
    return this.held.hash;
  }
  get hash32(): number {
    return this.held.hash32;
  }
  get seqnum(): number {
    return (this.held.head as CheckedHead).seqnum;
  }
}

type CheckedHead = Extract<BodyHead, { ok: true }>;

export const refOf = (e: Entry): Ref => ({ tag: e.tag, seqnum: e.seqnum, hash32: e.hash32 });
/** Ref order (§4): a higher seqnum is newer; at an equal seqnum the lower hash is newer. */
export const refNewer = (a: Ref, b: Ref): boolean =>
  a.seqnum > b.seqnum || (a.seqnum === b.seqnum && a.hash32 < b.hash32);
export const originOf = (e: Entry): Uint8Array => e.held.envelope.origin;
export function sameOrigin(e: Entry, origin: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (e.envelope[i + 1] !== origin[i]) return false;
  return true;
}
export function bodyOf(e: Entry): AnnouncementBody {
  return bodyOfHeld(e.held);
}
export function bodyOfHeld(held: Canonical): AnnouncementBody {
  const body = decodeBody(held.envelope.body);
  if (!body.ok) throw new Error('unreachable: a stored envelope no longer decodes');
  return body.value;
}
