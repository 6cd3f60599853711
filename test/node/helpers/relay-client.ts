// A raw-protocol test client: no y-webrtc code, just the JSON frames on the wire.
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';

export type Msg = Record<string, unknown>;

const DEFAULT_WAIT_MS = 30_000; // generous: CI shares two cores with browsers; a passing wait returns at once

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Relays must only send JSON objects; anything else shows up in assertions instead of crashing the test file.
function parseMessage(text: string): Msg {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Msg)
      : { notObject: text };
  } catch {
    return { unparseable: text };
  }
}

export class TestClient {
  private readonly inbox: Msg[] = [];
  private waiter: (() => void) | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.inbox.push(isBinary ? { binary: true } : parseMessage(data.toString()));
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.waiter?.();
      });
    });
    ws.on('error', () => {});
  }

  /** `localAddress`: another loopback source address (127.0.0.x), to act as a second client address. */
  static async connect(url: string, localAddress?: string): Promise<TestClient> {
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+/, 'tests only talk to loopback');
    if (localAddress !== undefined) assert.match(localAddress, /^127\./, 'only loopback sources');
    const ws = new WebSocket(url, localAddress === undefined ? {} : { localAddress });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      DEFAULT_WAIT_MS,
      `connection to ${url}`,
    );
    return new TestClient(ws);
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Next received message matching `match` (earlier non-matching ones are discarded). */
  async next(match: (m: Msg) => boolean = () => true, ms = DEFAULT_WAIT_MS): Promise<Msg> {
    let check = (): void => {};
    const found = new Promise<Msg>((resolve, reject) => {
      check = () => {
        let m: Msg | undefined;
        while ((m = this.inbox.shift())) {
          if (match(m)) {
            // Detach at once: more messages may arrive before the awaiting code runs again.
            this.waiter = undefined;
            return resolve(m);
          }
        }
        if (this.ws.readyState === WebSocket.CLOSED) reject(new Error('connection closed while waiting'));
      };
    });
    this.waiter = check;
    check();
    try {
      return await withTimeout(found, ms, 'a message');
    } finally {
      // A timed-out wait must not keep swallowing messages meant for the next one.
      if (this.waiter === check) this.waiter = undefined;
    }
  }

  /** The very next message, whatever it is. */
  nextAny(ms = DEFAULT_WAIT_MS): Promise<Msg> {
    return this.next(() => true, ms);
  }

  /** Round trip a ping so every frame sent before it has been processed by the relay. */
  async sync(): Promise<void> {
    this.send({ type: 'ping' });
    assert.deepEqual(await this.next((m) => m.type === 'pong'), { type: 'pong' });
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await withTimeout(this.closed, DEFAULT_WAIT_MS, 'close');
  }
}

/** Connect and subscribe, returning once the relay has processed the subscription. */
export async function subscriber(url: string, topics: string[], localAddress?: string): Promise<TestClient> {
  const client = await TestClient.connect(url, localAddress);
  client.send({ type: 'subscribe', topics });
  await client.sync();
  return client;
}

/** Proves a relay still serves a long-lived client and a newcomer, after whatever happened before. */
export async function assertStillServing(url: string, bystander: TestClient, topic: string): Promise<void> {
  const newcomer = await subscriber(url, [topic]);
  try {
    const payload = { type: 'publish', topic, data: { hello: Math.random() } };
    newcomer.send(payload);
    // Forwarded exactly as sent: the relay adds no metadata (no subscriber count).
    assert.deepEqual(await bystander.next((m) => m.type === 'publish'), payload);
    assert.deepEqual(await newcomer.next((m) => m.type === 'publish'), payload);
    await bystander.sync();
  } finally {
    await newcomer.close();
  }
}

export async function getHealth(httpBase: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${httpBase}/health`, { signal: AbortSignal.timeout(DEFAULT_WAIT_MS) });
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}

/** Poll until `probe` returns a value, for effects that have no event to wait on (e.g. relay-side drops). */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  ms = DEFAULT_WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
