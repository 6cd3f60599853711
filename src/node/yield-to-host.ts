/**
 * Gives the event loop a turn (input, rendering, timers, other links' messages) in the middle of a long
 * piece of work, so that no single task holds the main thread. The continuation is queued as an ordinary
 * task, behind what is already waiting — not `scheduler.yield()`, whose continuations go ahead of other
 * tasks, so a hostile link's long verification kept getting ahead of an honest link's message events.
 * In a page, through a MessageChannel (no minimum delay); elsewhere a zero-delay timer.
 */
let channel: MessageChannel | undefined;
const waiting: (() => void)[] = [];

export function yieldToHost(): Promise<void> {
  if (typeof window === 'undefined' || typeof MessageChannel === 'undefined')
    return new Promise((resolve) => setTimeout(resolve, 0));
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel!.port2.postMessage(0);
  });
}
