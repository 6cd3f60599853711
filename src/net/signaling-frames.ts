/**
 * What crosses a signaling relay, and the checks every incoming piece passes before the client acts on it.
 *
 * Frames are y-webrtc's JSON (`subscribe`, `publish`, `ping`, `pong`, plus our relay's `error`). Inside a
 * `publish` the data is sealed (seal.ts); unsealed it is one envelope `{ v: 1, id, from, to?, payload }`.
 * Invariants: nothing here throws on what a relay or a peer sent (parsers return undefined); the limits
 * below bound every size; message ids are remembered only up to a fixed count.
 */

/** Largest frame accepted from a relay (as our relay enforces on its side). */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Largest sealed plaintext (the JSON envelope around the payload), both ways. Sealed and base64url-encoded
 * it stays well below MAX_FRAME_BYTES, so whatever we send, a relay enforcing that limit accepts.
 */
export const MAX_PLAINTEXT_BYTES = 32 * 1024;
/** Longest node id accepted in `from` / `to`. */
export const MAX_PEER_ID_LENGTH = 256;
export const MESSAGE_ID_BYTES = 16;
const MESSAGE_ID = /^[0-9a-f]{32}$/;

export const PING_FRAME = JSON.stringify({ type: 'ping' });

export class SignalingConfigError extends Error {
  override name = 'SignalingConfigError';
}

/** A payload or recipient that cannot be sent (not JSON, too large, bad id). */
export class SignalingPayloadError extends Error {
  override name = 'SignalingPayloadError';
}

export interface Envelope {
  id: string;
  from: string;
  to?: string;
  payload: unknown;
}

/** Message ids seen recently, forgetting the oldest beyond `capacity`. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Records `id`; false if it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}

/**
 * Runs an application callback. If it throws, that is the application's bug: report it as an uncaught error,
 * as an event listener's would be, rather than let it break a connection's state machine or the inbound queue.
 */
export function notify(callback: () => void): void {
  try {
    callback();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

export function checkRelayUrl(url: unknown): void {
  let protocol: string | undefined;
  try {
    protocol = typeof url === 'string' ? new URL(url).protocol : undefined;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'ws:' && protocol !== 'wss:') {
    throw new SignalingConfigError(`relay URL must be ws:// or wss://: ${String(url)}`);
  }
}

export function isPeerId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_PEER_ID_LENGTH;
}

export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ v: 1, id, from, to?, payload }`, or undefined. Unknown extra fields are ignored. */
export function parseEnvelope(value: unknown): Envelope | undefined {
  if (!isObject(value) || value.v !== 1 || !('payload' in value)) return undefined;
  const { id, from, to, payload } = value;
  if (typeof id !== 'string' || !MESSAGE_ID.test(id) || !isPeerId(from)) return undefined;
  if (to !== undefined && !isPeerId(to)) return undefined;
  return to === undefined ? { id, from, payload } : { id, from, to, payload };
}
