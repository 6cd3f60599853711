// Client frames as the relay reads them: JSON text objects of the y-webrtc signaling protocol. Reading
// never trusts the bytes; a frame that is not a JSON object is a Rejection (the client gets an error frame
// and keeps its connection), never an exception that escapes the relay.
import type { RawData } from 'ws';

export type Frame = Record<string, unknown>;

/** A refused frame: answered with an error frame, the connection stays open. */
export class Rejection {
  constructor(
    readonly reason: string,
    readonly detail?: string,
  ) {}
}

export function parseFrame(text: string): Frame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Rejection('bad-json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Rejection('not-object', 'frame must be a JSON object');
  }
  return value as Frame;
}

export function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}
