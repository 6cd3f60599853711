/**
 * Messages from links on their way to the core. Each link's messages are verified one after another,
 * in the order they came, each link on its own: a link whose messages take long to verify (a hostile
 * member's 250 KiB messages, thousands of signatures waiting on WebCrypto) delays only itself, never
 * another link's news, which is what kept honest gossip waiting behind an attacker (issue 12's bench).
 * Once verified, a message is handed on in its link's order (`deliver`, which puts it in the core's
 * single input queue). A link may have at most `maxPending` messages waiting; beyond that its messages
 * are dropped and counted (`link-backlog`), so a slow link cannot pile up memory either.
 */
import type { NodeId } from '../core/index.ts';

export const DEFAULT_MAX_PENDING_PER_LINK = 32;

export class LinkInbox {
  private readonly links = new Map<NodeId, { tail: Promise<unknown>; pending: number }>();
  /** `dropped` is told of each message a full backlog refused (counted as `link-backlog`). */
  constructor(
    private readonly dropped: () => void,
    private readonly maxPending = DEFAULT_MAX_PENDING_PER_LINK,
  ) {}

  /**
   * `verify` runs after the link's earlier messages were verified; `deliver` gets its result, in the
   * link's order. False: the link's backlog is full and the message was dropped.
   */
  push<T>(peer: NodeId, verify: () => Promise<T>, deliver: (value: T) => unknown): boolean {
    let link = this.links.get(peer);
    if (!link) this.links.set(peer, (link = { tail: Promise.resolve(), pending: 0 }));
    if (link.pending >= this.maxPending) {
      this.dropped();
      return false;
    }
    link.pending++;
    const verified = link.tail.then(verify);
    // Registered before the next message's `verify` can start, so deliveries keep the link's order.
    verified.then(deliver, () => undefined);
    const entry = link;
    link.tail = verified
      .catch(() => undefined)
      .finally(() => {
        if (--entry.pending === 0 && this.links.get(peer) === entry) this.links.delete(peer);
      });
    return true;
  }

  /** Links with messages waiting. */
  get busyLinks(): number {
    return this.links.size;
  }
}
