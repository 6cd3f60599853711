/**
 * Origin indices: every origin this node holds an announcement of (table.ts) or wants one of
 * (dissemination.ts) has a small integer of its own, its row in the arrays those parts keep, so that a
 * ref or an envelope received costs one probe of a typed array instead of string-keyed Map lookups in
 * each part (which, with the Maps of a few thousand nodes out of the cache, were most of a simulated
 * bootstrap's time), and so that per-origin state can live in typed arrays.
 *
 * An index is taken by `add` for a holder and held by one or more (a bit each: the table's entry, a want);
 * when the last lets go it is free again, and `add` hands out freed indices first. So indices stay below
 * the most origins held and wanted at once (at most `maxOrigins` + `maxPendingWants`), and nothing is
 * kept for an origin neither holds.
 *
 * The map from tag (8 bytes, four UTF-16 units, identity.ts) to index is open addressing with linear
 * probing over an Int32Array at most half full, keyed by the tag's two 32-bit halves; deletion shifts the
 * following entries back, so there are no tombstones. Tags are the first bytes of public keys; a linked
 * peer can name tags of its choice in refs, but at most `maxWantsPerLink` of them are held for it.
 */
import type { Tag } from './identity.ts';

/** Holder bits. */
export const HELD = 1;
export const WANTED = 2;

const EMPTY = -1;

export class OriginIndex {
  /** Probe slots: an index, or EMPTY. Length a power of two, at least twice `count`. */
  private slots = new Int32Array(16).fill(EMPTY);
  /** Each index's tag as two 32-bit halves, side by side (one cache line for a probe's key check). */
  private keys = new Int32Array(16);
  private holders = new Uint8Array(8);
  private readonly freed: number[] = [];
  /** Indices ever handed out: every index is below it. */
  private top = 0;
  /** Indices in use. */
  count = 0;

  /** One more than the highest index in use or freed: arrays indexed by origin need this length. */
  get bound(): number {
    return this.top;
  }

  /** The index of `tag`, or -1. */
  find(tag: Tag): number {
    const hi = (tag.charCodeAt(0) << 16) | tag.charCodeAt(1);
    const lo = (tag.charCodeAt(2) << 16) | tag.charCodeAt(3);
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let s = hashOf(hi, lo) & mask; ; s = (s + 1) & mask) {
      const i = slots[s]!;
      if (i === EMPTY) return -1;
      if (this.keys[2 * i] === hi && this.keys[2 * i + 1] === lo) return i;
    }
  }

  /** The tag whose index is `i`. */
  tagOf(i: number): Tag {
    const hi = this.keys[2 * i]!;
    const lo = this.keys[2 * i + 1]!;
    return String.fromCharCode(hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff) as Tag;
  }

  /** The index of `tag`, taken for it if it has none, and held by `holder`. */
  add(tag: Tag, holder: number): number {
    const found = this.find(tag);
    if (found >= 0) {
      this.holders[found]! |= holder;
      return found;
    }
    if ((this.count + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    const i = this.freed.length > 0 ? this.freed.pop()! : this.top++;
    if (2 * i >= this.keys.length) this.grow(this.keys.length);
    const hi = (tag.charCodeAt(0) << 16) | tag.charCodeAt(1);
    const lo = (tag.charCodeAt(2) << 16) | tag.charCodeAt(3);
    this.keys[2 * i] = hi;
    this.keys[2 * i + 1] = lo;
    this.holders[i] = holder;
    this.place(i);
    this.count++;
    return i;
  }

  /** `holder` lets go of `i`; with no holder left the index is free (and `find` no longer knows it). */
  release(i: number, holder: number): void {
    if ((this.holders[i]! & holder) === 0) return;
    const left = this.holders[i]! & ~holder;
    this.holders[i] = left;
    if (left !== 0) return;
    this.unplace(i);
    this.freed.push(i);
    this.count--;
  }

  private place(i: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let s = this.homeOf(i) & mask;
    while (slots[s] !== EMPTY) s = (s + 1) & mask;
    slots[s] = i;
  }

  /** Removes `i` from the probe slots, shifting back what followed it (Knuth's algorithm R). */
  private unplace(i: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let s = this.homeOf(i) & mask;
    while (slots[s] !== i) s = (s + 1) & mask;
    for (let next = (s + 1) & mask; slots[next] !== EMPTY; next = (next + 1) & mask) {
      const j = slots[next]!;
      const home = this.homeOf(j) & mask;
      // j may move into the hole at s unless its home lies cyclically in (s, next].
      if (s <= next ? home <= s || home > next : home <= s && home > next) {
        slots[s] = j;
        s = next;
      }
    }
    slots[s] = EMPTY;
  }

  private rehash(length: number): void {
    this.slots = new Int32Array(length).fill(EMPTY);
    for (let i = 0; i < this.top; i++) if (this.holders[i] !== 0) this.place(i);
  }

  private homeOf(i: number): number {
    return hashOf(this.keys[2 * i]!, this.keys[2 * i + 1]!);
  }

  /** Room for `length` indices. */
  private grow(length: number): void {
    const keys = new Int32Array(2 * length);
    keys.set(this.keys);
    this.keys = keys;
    const holders = new Uint8Array(length);
    holders.set(this.holders);
    this.holders = holders;
  }
}

/** Mixes both halves into the low bits, which the probe uses. */
function hashOf(hi: number, lo: number): number {
  const h = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}
