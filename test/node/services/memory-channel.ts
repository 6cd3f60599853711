/**
 * An in-memory pair of `DataChannelLike`s for Node tests, with a simulated `bufferedAmount`: a sent message
 * waits in its sender's buffer until the simulated wire (`bytesPerTick` per macrotask) delivers it, and
 * `bufferedamountlow` fires when the buffer falls to its threshold, as in a browser. `send()` throws past
 * `sendLimitBytes` (Chromium's ~16 MiB wall), so a sender without backpressure fails loudly.
 */
import type { DataChannelLike } from '../../../src/services/types.ts';

type Listener = (event: { data: unknown }) => void;

export class MemoryChannel implements DataChannelLike {
  readyState: DataChannelLike['readyState'] = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType: BinaryType = 'arraybuffer';
  /** The largest `bufferedAmount` ever reached. */
  peakBuffered = 0;
  sent = 0;
  peer: MemoryChannel | undefined;
  private readonly wire: Uint8Array[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();
  private scheduled = false;

  constructor(
    readonly label: string,
    private readonly bytesPerTick: number,
    private readonly sendLimitBytes = 16 * 1024 * 1024,
  ) {}

  send(data: Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError: not open');
    if (this.bufferedAmount + data.length > this.sendLimitBytes)
      throw new Error('OperationError: queue full');
    this.wire.push(data.slice());
    this.sent++;
    this.bufferedAmount += data.length;
    this.peakBuffered = Math.max(this.peakBuffered, this.bufferedAmount);
    this.schedule();
  }

  /** Puts raw bytes (or anything) on the peer's receiving side, as a hostile sender could. */
  inject(data: unknown): void {
    this.emit('message', { data });
  }

  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.wire.length = 0;
    this.bufferedAmount = 0;
    this.emit('close');
    this.peer?.close();
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (set === undefined) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  private emit(type: string, event: { data: unknown } = { data: undefined }): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      let budget = this.bytesPerTick;
      const wasAbove = this.bufferedAmount > this.bufferedAmountLowThreshold;
      while (this.wire.length > 0 && budget > 0 && this.readyState === 'open') {
        const data = this.wire.shift()!;
        budget -= data.length;
        this.bufferedAmount -= data.length;
        // Delivered as an ArrayBuffer, as with binaryType 'arraybuffer'.
        this.peer?.emit('message', { data: data.buffer });
      }
      if (wasAbove && this.bufferedAmount <= this.bufferedAmountLowThreshold) this.emit('bufferedamountlow');
      if (this.wire.length > 0) this.schedule();
    });
  }
}

export function memoryPair(bytesPerTick = 256 * 1024, label = 'storage'): [MemoryChannel, MemoryChannel] {
  const a = new MemoryChannel(label, bytesPerTick);
  const b = new MemoryChannel(label, bytesPerTick);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
