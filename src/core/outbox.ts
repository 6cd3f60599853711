/**
 * Where the parts of the gossip core write what they decide: one ordered list of outputs per input, handed
 * to the driver when the input is done (the y-protocols way: write the reply, do not send it). Every
 * message passes through `send`, so the traffic counters cannot miss one.
 *
 * Invariant: outputs leave in the order the parts wrote them; `take` empties the list.
 */
import type { NodeId } from './identity.ts';
import type { Output } from './gossip-types.ts';
import type { Counters } from './stats.ts';

export class Outbox {
  private out: Output[] = [];

  constructor(readonly counters: Counters) {}

  push(output: Output): void {
    this.out.push(output);
  }

  send(to: NodeId, bytes: Uint8Array): void {
    this.counters.sentMessages++;
    this.counters.sentBytes += bytes.length;
    this.out.push({ type: 'send', to, bytes });
  }

  take(): Output[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}
