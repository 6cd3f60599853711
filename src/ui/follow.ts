/**
 * Keeps listeners on one event target that may change (a node's service, which goes with the node): call
 * `sync()` whenever the target may have changed (a controller's `hostConnected` and `hostUpdate`) and
 * `off()` when the host leaves the document, so a removed element holds no listeners and can be collected.
 */
export class Follow<T extends EventTarget> {
  private current: T | undefined;

  constructor(
    private readonly target: () => T | undefined,
    private readonly listeners: Readonly<Record<string, (event: Event) => void>>,
  ) {}

  sync(): void {
    const next = this.target();
    if (next === this.current) return;
    this.off();
    if (!next) return;
    for (const [type, listener] of Object.entries(this.listeners)) next.addEventListener(type, listener);
    this.current = next;
  }

  off(): void {
    const current = this.current;
    if (!current) return;
    for (const [type, listener] of Object.entries(this.listeners))
      current.removeEventListener(type, listener);
    this.current = undefined;
  }
}
