/**
 * One connection to one signaling relay, kept alive for as long as the client runs.
 *
 * States: connecting → open → closed → (after a backoff delay) connecting again. Invariants:
 * - At most one timer per connection for its state (the connect deadline while connecting, the next ping
 *   or the pong deadline while open, the retry while closed), and while open at most one more: the next
 *   subscribe after the relay refused ours (`topic-full`: a crowded or squatted room). That retry backs
 *   off like reconnecting (consecutive refusals grow it), so a node is never left out of its room for good
 *   and a refusing relay is not hammered; a new connection starts the count over.
 * - Events of a socket already given up on (timed out, replaced, stopped) are ignored.
 * - Consecutive failures grow the retry delay (backoff.ts) and reset on a successful open.
 * - A socket holding more than MAX_BUFFERED_BYTES is not written to: a relay that does not drain must not
 *   make us hold every message for it. Its keep-alive then times out and the connection is replaced.
 */
import { backoffDelay } from './backoff.ts';
import type { Backoff } from './backoff.ts';
import { PING_FRAME } from './signaling-frames.ts';

export type RelayState = 'connecting' | 'open' | 'closed';

export interface RelayStatus {
  url: string;
  state: RelayState;
  /** Consecutive failed or lost connections since the last successful open. */
  failures: number;
  /** When the next connection attempt is due (epoch ms), while waiting for it. */
  nextRetryAt?: number;
}

export interface RelayTiming {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface RelayConnectionOptions {
  url: string;
  /** The hashed grid topic to subscribe to on every open. */
  topic: string;
  WebSocket: typeof WebSocket;
  backoff: Backoff;
  random: () => number;
  timing: RelayTiming;
  /** A text or binary frame from the relay, still unchecked. */
  onFrame(connection: RelayConnection, data: unknown): void;
  /** The state changed. */
  onChange(): void;
}

const MAX_BUFFERED_BYTES = 1024 * 1024;

export class RelayConnection {
  state: RelayState = 'closed';
  failures = 0;
  private nextRetryAt: number | undefined;
  private ws: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private awaitingPong = false;
  private running = false;
  private resubscribeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Consecutive refused subscribes on this connection. */
  subscribeRefusals = 0;
  /** Subscribes sent again after a refusal, over the connection's life (for `stats()`). */
  resubscribes = 0;

  constructor(private readonly options: RelayConnectionOptions) {}

  get url(): string {
    return this.options.url;
  }

  status(): RelayStatus {
    const { url, state, failures, nextRetryAt } = this;
    return nextRetryAt === undefined ? { url, state, failures } : { url, state, failures, nextRetryAt };
  }

  start(): void {
    this.running = true;
    this.connect();
  }

  /** Closes the socket and cancels the timer, without scheduling a retry. */
  stop(): void {
    this.running = false;
    const ws = this.ws;
    this.setClosed();
    closeQuietly(ws);
  }

  /** Writes one frame if the connection is open and draining; false otherwise. */
  write(text: string): boolean {
    const ws = this.ws;
    if (this.state !== 'open' || ws === undefined || ws.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    try {
      ws.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The relay refused our subscription (an error frame `topic-full` or `address-topic-limit`): subscribe
   * again after a backoff delay. Refusals beyond the first while one is pending change nothing.
   */
  subscribeRefused(): void {
    if (this.state !== 'open' || this.resubscribeTimer !== undefined) return;
    this.subscribeRefusals++;
    const delay = backoffDelay(this.subscribeRefusals, this.options.backoff, this.options.random);
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      if (this.state !== 'open') return;
      this.resubscribes++;
      this.subscribe();
    }, delay);
  }

  private subscribe(): void {
    this.write(JSON.stringify({ type: 'subscribe', topics: [this.options.topic] }));
  }

  /** The relay answered a ping: the connection is alive. */
  pong(): void {
    if (!this.awaitingPong) return;
    this.clearTimer();
    this.schedulePing();
  }

  private connect(): void {
    this.clearTimer();
    this.state = 'connecting';
    this.nextRetryAt = undefined;
    this.awaitingPong = false;
    let ws: WebSocket;
    try {
      ws = new this.options.WebSocket(this.options.url);
    } catch {
      // The URL was checked up front, so this is the runtime refusing (e.g. too many sockets): try again later.
      return this.lost();
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      if (this.ws === ws) this.opened();
    };
    ws.onmessage = (event: MessageEvent) => {
      if (this.ws === ws) this.options.onFrame(this, event.data);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.lost();
    };
    // Browsers give no detail on errors and always follow with close; ws (Node) throws if nobody listens.
    ws.onerror = () => {};
    this.timer = setTimeout(() => this.abandon(), this.options.timing.connectTimeoutMs);
    this.options.onChange();
  }

  private opened(): void {
    this.clearTimer();
    this.state = 'open';
    this.failures = 0;
    this.subscribeRefusals = 0;
    this.subscribe();
    this.schedulePing();
    this.options.onChange();
  }

  private schedulePing(): void {
    this.awaitingPong = false;
    this.timer = setTimeout(() => {
      this.write(PING_FRAME);
      this.awaitingPong = true;
      this.timer = setTimeout(() => this.abandon(), this.options.timing.pongTimeoutMs);
    }, this.options.timing.pingIntervalMs);
  }

  /** Gives up on a connection that did not open or stopped answering, without waiting for its close. */
  private abandon(): void {
    const ws = this.ws;
    this.lost();
    closeQuietly(ws);
  }

  /** The connection is gone (or never came up): schedule the next attempt. */
  private lost(): void {
    this.setClosed();
    if (this.running) {
      this.failures++;
      const delay = backoffDelay(this.failures, this.options.backoff, this.options.random);
      this.nextRetryAt = Date.now() + delay;
      this.timer = setTimeout(() => this.connect(), delay);
    }
    this.options.onChange();
  }

  private setClosed(): void {
    this.clearTimer();
    clearTimeout(this.resubscribeTimer);
    this.resubscribeTimer = undefined;
    this.ws = undefined;
    this.state = 'closed';
    this.nextRetryAt = undefined;
    this.awaitingPong = false;
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function closeQuietly(ws: WebSocket | undefined): void {
  try {
    ws?.close();
  } catch {
    // Already closing or closed.
  }
}
