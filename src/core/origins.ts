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
 * following entries back, so there are no tombstones. A probe slot holds the key beside the index (four
 * int32s: hi, lo, index, unused), so finding a tag reads one cache line: in a simulation of thousands of
 * nodes the tables are out of the cache, and a slot that held only the index cost a second miss to read
 * the key it names. Tags are the first bytes of public keys; a linked peer can name tags of its choice
 * in refs, but at most `maxWantsPerLink` of them are held for it.
 */
import type { Tag } from './identity.ts';

/** Holder bits. */
export const HELD = 1;
export const WANTED = 2;

const EMPTY = -1;

/** What the table and the wants need of origin indices; `OriginIndex` and `SharedOrigins` give it. */
export interface Origins {
  /** The index of `tag`, or -1 if no holder holds it here. */
  find(tag: Tag): number;
  /** The index of `tag`, held by `holder` from now on. */
  add(tag: Tag, holder: number): number;
  /** `holder` lets go of `i`. */
  release(i: number, holder: number): void;
  /** The tag whose index is `i`. */
  tagOf(i: number): Tag;
  /** Indices in use. */
  readonly count: number;
  /** Every index in use is below it. */
  readonly bound: number;
}

export class OriginIndex implements Origins {
  /** Probe slots of `SLOT` int32s each: the tag's halves and its index (EMPTY: a free slot). */
  private slots = emptySlots(16);
  /** Slots (a power of two, at least twice `count`) less one. */
  private mask = 15;
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
    const mask = this.mask;
    for (let s = hashOf(hi, lo) & mask; ; s = (s + 1) & mask) {
      const at = s * SLOT;
      const i = slots[at + 2]!;
      if (i === EMPTY) return -1;
      if (slots[at] === hi && slots[at + 1] === lo) return i;
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
    if ((this.count + 1) * 2 > this.mask + 1) this.rehash(2 * (this.mask + 1));
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
    const { slots, mask } = this;
    const hi = this.keys[2 * i]!;
    const lo = this.keys[2 * i + 1]!;
    let s = hashOf(hi, lo) & mask;
    while (slots[s * SLOT + 2] !== EMPTY) s = (s + 1) & mask;
    slots[s * SLOT] = hi;
    slots[s * SLOT + 1] = lo;
    slots[s * SLOT + 2] = i;
  }

  /** Removes `i` from the probe slots, shifting back what followed it (Knuth's algorithm R). */
  private unplace(i: number): void {
    const { slots, mask } = this;
    let s = this.homeOf(i) & mask;
    while (slots[s * SLOT + 2] !== i) s = (s + 1) & mask;
    for (let next = (s + 1) & mask; slots[next * SLOT + 2] !== EMPTY; next = (next + 1) & mask) {
      const home = hashOf(slots[next * SLOT]!, slots[next * SLOT + 1]!) & mask;
      // The entry at next may move into the hole at s unless its home lies cyclically in (s, next].
      if (s <= next ? home <= s || home > next : home <= s && home > next) {
        slots.copyWithin(s * SLOT, next * SLOT, next * SLOT + SLOT);
        s = next;
      }
    }
    slots[s * SLOT + 2] = EMPTY;
  }

  private rehash(length: number): void {
    this.slots = emptySlots(length);
    this.mask = length - 1;
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

/**
 * Origin indices drawn from a numbering shared by many nodes (a simulator's: `GossipNodeOptions.tags`),
 * as the simulator shares held envelopes (canonical.ts). Each node keeps only its own holder bits, one
 * byte per number; nothing is ever freed from the numbering.
 * A node in a simulated grid of N origins then holds N bytes here instead of a probe table of its own
 * (16 · 2N bytes, a second cache miss per lookup). The indices are other numbers than a node's own
 * `OriginIndex` would give, and nothing a node does depends on them (the table's order is its own list).
 */
export class SharedOrigins implements Origins {
  private holders = new Uint8Array(16);
  count = 0;

  constructor(private readonly numbering: OriginIndex) {}

  get bound(): number {
    return this.numbering.bound;
  }

  find(tag: Tag): number {
    const i = this.numbering.find(tag);
    return i >= 0 && i < this.holders.length && this.holders[i] !== 0 ? i : -1;
  }

  add(tag: Tag, holder: number): number {
    const i = this.numbering.add(tag, HELD);
    if (i >= this.holders.length) {
      const holders = new Uint8Array(Math.max(2 * this.holders.length, i + 1));
      holders.set(this.holders);
      this.holders = holders;
    }
    if (this.holders[i] === 0) this.count++;
    this.holders[i]! |= holder;
    return i;
  }

  release(i: number, holder: number): void {
    const held = this.holders[i]!;
    if ((held & holder) === 0) return;
    this.holders[i] = held & ~holder;
    if (held === holder) this.count--;
  }

  tagOf(i: number): Tag {
    return this.numbering.tagOf(i);
  }
}

/** Int32s per probe slot: hi, lo, index, and one unused, so a slot never straddles a cache line. */
const SLOT = 4;

function emptySlots(count: number): Int32Array {
  const slots = new Int32Array(count * SLOT);
  for (let s = 0; s < count; s++) slots[s * SLOT + 2] = EMPTY;
  return slots;
}

/** Mixes both halves into the low bits, which the probe uses. */
function hashOf(hi: number, lo: number): number {
  const h = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}
