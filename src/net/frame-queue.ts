// The send queue behind a PeerLink's data channel: frames wait here while the channel's buffer is above
// its high-water mark, and the queue's estimated memory is bounded by the link's maxQueuedBytes.

// A queued frame costs more than its bytes (the Uint8Array object); counting this keeps a flood of tiny
// messages within the same memory bound as a few big ones.
export const QUEUE_ENTRY_OVERHEAD = 64;

/** FIFO of outgoing frames. Array.shift is O(n), and the queue may hold tens of thousands of tiny frames. */
export class FrameQueue {
  private frames: Uint8Array<ArrayBuffer>[] = [];
  private head = 0;
  bytes = 0;

  get length(): number {
    return this.frames.length - this.head;
  }

  /** Whether one more frame of `size` bytes keeps the queue's estimated memory within `limit`. */
  fits(size: number, limit: number): boolean {
    return this.bytes + size + (this.length + 1) * QUEUE_ENTRY_OVERHEAD <= limit;
  }

  push(frame: Uint8Array<ArrayBuffer>): void {
    this.frames.push(frame);
    this.bytes += frame.length;
  }

  shift(): Uint8Array<ArrayBuffer> | undefined {
    const frame = this.frames[this.head];
    if (frame === undefined) return undefined;
    this.head++;
    this.bytes -= frame.length;
    // Compact once the consumed prefix dominates, so memory follows the live queue.
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    } else if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    }
    return frame;
  }

  clear(): void {
    this.frames = [];
    this.head = 0;
    this.bytes = 0;
  }
}
