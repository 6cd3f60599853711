/**
 * The gossip core's counters (`GossipNode.stats()`): every dropped input under its named reason
 * (PROTOCOL.md §4: "every decoding failure is dropped under a named, counted reason"), the detail of
 * each malformed one, and the traffic in and out. Counting is the only thing a bad input changes.
 */
import type { DropReason } from './gossip-types.ts';

export class Counters {
  readonly dropped = {} as Record<DropReason, number>;
  /** Decoder reasons behind `malformed-message` and `malformed-body`. */
  readonly malformed = {} as Record<string, number>;
  equivocations = 0;
  verifications = 0;
  subscriberErrors = 0;
  sentMessages = 0;
  sentBytes = 0;
  receivedMessages = 0;
  receivedBytes = 0;

  drop(reason: DropReason, detail?: string): void {
    if (detail !== undefined) this.malformed[detail] = (this.malformed[detail] ?? 0) + 1;
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  /** A copy of every counter, in the order `stats()` has always listed them. */
  snapshot() {
    return {
      dropped: { ...this.dropped },
      droppedTotal: Object.values(this.dropped).reduce((a, b) => a + b, 0),
      malformed: { ...this.malformed },
      equivocations: this.equivocations,
      verifications: this.verifications,
      subscriberErrors: this.subscriberErrors,
      sentMessages: this.sentMessages,
      sentBytes: this.sentBytes,
      receivedMessages: this.receivedMessages,
      receivedBytes: this.receivedBytes,
    };
  }
}
