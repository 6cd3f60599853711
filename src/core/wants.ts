/**
 * Want records (the state behind dissemination.ts's rules): at most one want per origin, the newest
 * version heard of, with who was asked, when to give up on them, who else advertised it, and which link's
 * share (`maxWantsPerLink`) holds it. A bootstrap holds one in flight per origin at every node (a third of
 * the grid at once in `bench:sim`), so a want is a row of typed arrays, not an object with a list: about
 * 70 bytes, and nothing for the collector to trace or promote. Rows are reused; an origin's row is found
 * through its origin index (origins.ts), which the want holds while it lives.
 *
 * Peers are named inside by small numbers (`peer`), each the same for one NodeId as long as any want is
 * alive; when none is at the end of an input (`settle`), the numbering starts afresh, so it never
 * outgrows the peers of one busy spell.
 *
 * Deadlines: every deadline queued is `now + constant`, so each of the two queues (first asks after an
 * IHAVE's wait, and asks' timeouts) stays sorted by appending. A row queued anew or let go bumps its
 * serial, which voids what it had queued before; voided items are passed over lazily.
 */
import type { NodeId } from './identity.ts';

/** Most fallback advertisers kept per want. */
export const MAX_SOURCES_PER_WANT = 8;

const NONE = -1;

export class Wants {
  /** The row wanting each origin index, or NONE. */
  private rowOf = new Int32Array(16).fill(NONE);
  /** Rows: the origin index, the ref wanted, the deadline, the peer asked (NONE: waiting for the tree). */
  origin = new Int32Array(16);
  seqnum = new Float64Array(16);
  hash32 = new Uint32Array(16);
  deadline = new Float64Array(16);
  asked = new Int32Array(16);
  charged = new Int32Array(16);
  private serial = new Int32Array(16);
  /** Fallback advertisers: a ring of `MAX_SOURCES_PER_WANT` per row, from `sourceAt`, `sourceCount` long. */
  private sources = new Int32Array(16 * MAX_SOURCES_PER_WANT);
  private sourceAt = new Uint8Array(16);
  private sourceCount = new Uint8Array(16);
  private readonly freeRows: number[] = [];
  private rows = 0;
  /** Live wants. */
  count = 0;

  private readonly peerNumbers = new Map<NodeId, number>();
  private readonly peerIds: NodeId[] = [];
  /** How many live wants each peer's advertisements hold (a want's `charged`), by peer number. */
  private charges = new Int32Array(8);

  readonly firstQueue = new DeadlineQueue();
  readonly askQueue = new DeadlineQueue();

  /** The row wanting origin index `origin`, or -1. */
  rowFor(origin: number): number {
    return origin < 0 || origin >= this.rowOf.length ? NONE : this.rowOf[origin]!;
  }

  peer(id: NodeId): number {
    let n = this.peerNumbers.get(id);
    if (n === undefined) {
      n = this.peerIds.length;
      this.peerIds.push(id);
      this.peerNumbers.set(id, n);
      if (n >= this.charges.length) {
        const charges = new Int32Array(2 * this.charges.length);
        charges.set(this.charges);
        this.charges = charges;
      }
    }
    return n;
  }

  /** Live wants charged to peer `n`. */
  chargesOf(n: number): number {
    return this.charges[n]!;
  }

  charge(n: number, delta: number): void {
    this.charges[n]! += delta;
  }

  /** The peer numbered `n`. */
  peerId(n: number): NodeId {
    return this.peerIds[n]!;
  }

  /** A new want of `origin` (which has none). */
  add(
    origin: number,
    seqnum: number,
    hash32: number,
    asked: number,
    deadline: number,
    charged: number,
  ): number {
    const row = this.freeRows.length > 0 ? this.freeRows.pop()! : this.rows++;
    if (row >= this.origin.length) this.growRows(this.origin.length * 2);
    if (origin >= this.rowOf.length) {
      const rowOf = new Int32Array(Math.max(this.rowOf.length * 2, origin + 1)).fill(NONE);
      rowOf.set(this.rowOf);
      this.rowOf = rowOf;
    }
    this.rowOf[origin] = row;
    this.origin[row] = origin;
    this.seqnum[row] = seqnum;
    this.hash32[row] = hash32;
    this.asked[row] = asked;
    this.deadline[row] = deadline;
    this.charged[row] = charged;
    this.sourceAt[row] = 0;
    this.sourceCount[row] = 0;
    this.count++;
    return row;
  }

  /** Lets `row` go: its queued deadlines are void, and its origin wants nothing. */
  remove(row: number): void {
    this.serial[row]!++;
    this.rowOf[this.origin[row]!] = NONE;
    this.freeRows.push(row);
    this.count--;
  }

  /** Between inputs: with no want alive, no peer number is in use, and the numbering starts afresh. */
  settle(): void {
    if (this.count === 0 && this.peerIds.length > 0) {
      this.peerNumbers.clear();
      // Every want charged is gone, so every charge is 0 again; fill in case one was left unbalanced.
      this.charges.fill(0, 0, this.peerIds.length);
      this.peerIds.length = 0;
    }
  }

  /** Queues `row` at its deadline (in the first-ask queue if `first`), voiding what it queued before. */
  queue(row: number, first: boolean): void {
    const serial = ++this.serial[row]!;
    (first ? this.firstQueue : this.askQueue).push(row, serial, this.deadline[row]!);
  }

  isLive(row: number, serial: number): boolean {
    return this.serial[row] === serial;
  }

  sourceCountOf(row: number): number {
    return this.sourceCount[row]!;
  }

  hasSource(row: number, peer: number): boolean {
    const base = row * MAX_SOURCES_PER_WANT;
    const at = this.sourceAt[row]!;
    for (let k = 0, n = this.sourceCount[row]!; k < n; k++)
      if (this.sources[base + ((at + k) % MAX_SOURCES_PER_WANT)] === peer) return true;
    return false;
  }

  /** Appends a fallback advertiser; the caller keeps the count below `MAX_SOURCES_PER_WANT`. */
  pushSource(row: number, peer: number): void {
    const n = this.sourceCount[row]!;
    this.sources[row * MAX_SOURCES_PER_WANT + ((this.sourceAt[row]! + n) % MAX_SOURCES_PER_WANT)] = peer;
    this.sourceCount[row] = n + 1;
  }

  /** Takes the first fallback advertiser, or -1. */
  shiftSource(row: number): number {
    const n = this.sourceCount[row]!;
    if (n === 0) return NONE;
    const at = this.sourceAt[row]!;
    this.sourceAt[row] = (at + 1) % MAX_SOURCES_PER_WANT;
    this.sourceCount[row] = n - 1;
    return this.sources[row * MAX_SOURCES_PER_WANT + at]!;
  }

  /** Appends the ids of `row`'s fallback advertisers, in the order heard, to `out`. */
  sourceIds(row: number, out: NodeId[]): void {
    const base = row * MAX_SOURCES_PER_WANT;
    const at = this.sourceAt[row]!;
    for (let k = 0, n = this.sourceCount[row]!; k < n; k++)
      out.push(this.peerIds[this.sources[base + ((at + k) % MAX_SOURCES_PER_WANT)]!]!);
  }

  private growRows(length: number): void {
    const grow = <T extends Int32Array | Float64Array | Uint32Array | Uint8Array>(from: T, per = 1): T => {
      const to = new (from.constructor as new (n: number) => T)(length * per);
      to.set(from);
      return to;
    };
    this.origin = grow(this.origin);
    this.seqnum = grow(this.seqnum);
    this.hash32 = grow(this.hash32);
    this.deadline = grow(this.deadline);
    this.asked = grow(this.asked);
    this.charged = grow(this.charged);
    this.serial = grow(this.serial);
    this.sources = grow(this.sources, MAX_SOURCES_PER_WANT);
    this.sourceAt = grow(this.sourceAt);
    this.sourceCount = grow(this.sourceCount);
  }
}

/**
 * Deadlines in the order queued, which is their order (see above): rows with the serial and deadline
 * they were queued at, in parallel typed arrays from `head`; compacted once the passed-over front is half
 * of it, so memory is O(live items) and each item is copied O(1) times.
 */
export class DeadlineQueue {
  private rows = new Int32Array(64);
  private serials = new Int32Array(64);
  private deadlines = new Float64Array(64);
  private head = 0;
  private tail = 0;

  push(row: number, serial: number, deadline: number): void {
    if (this.tail === this.rows.length) this.makeRoom();
    this.rows[this.tail] = row;
    this.serials[this.tail] = serial;
    this.deadlines[this.tail] = deadline;
    this.tail++;
  }

  /** The first live item's row (after passing over void ones), or -1; its deadline is `headDeadline`. */
  peek(wants: Wants): number {
    while (this.head < this.tail && !wants.isLive(this.rows[this.head]!, this.serials[this.head]!))
      this.head++;
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      return NONE;
    }
    return this.rows[this.head]!;
  }

  get headDeadline(): number {
    return this.deadlines[this.head]!;
  }

  /** Takes the first item (the one `peek` returned), if it is `row`. */
  take(row: number): boolean {
    if (this.head === this.tail || this.rows[this.head] !== row) return false;
    this.head++;
    return true;
  }

  private makeRoom(): void {
    const live = this.tail - this.head;
    if (this.head * 2 >= this.rows.length) {
      this.rows.copyWithin(0, this.head, this.tail);
      this.serials.copyWithin(0, this.head, this.tail);
      this.deadlines.copyWithin(0, this.head, this.tail);
    } else {
      const length = this.rows.length * 2;
      const rows = new Int32Array(length);
      const serials = new Int32Array(length);
      const deadlines = new Float64Array(length);
      rows.set(this.rows.subarray(this.head, this.tail));
      serials.set(this.serials.subarray(this.head, this.tail));
      deadlines.set(this.deadlines.subarray(this.head, this.tail));
      [this.rows, this.serials, this.deadlines] = [rows, serials, deadlines];
    }
    this.head = 0;
    this.tail = live;
  }
}
