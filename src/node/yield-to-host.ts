/**
 * Gives the browser's event loop a turn (input, rendering, timers, other links' messages) in the middle of
 * a long piece of work, so that no single task holds the main thread: `scheduler.yield()` where the
 * browser has it (it resumes ahead of other queued tasks), else a zero-delay timer.
 */
export function yieldToHost(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}
