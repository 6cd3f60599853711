/**
 * Stored records checked on the way back in (SECURITY-REVIEW finding 12): IndexedDB is not trusted more
 * than a peer. Another script of the origin, a browser bug, an old version or a disk error can leave a
 * record `null`, of the wrong type, or garbled.
 *
 * Rules:
 * - A record that does not parse is dropped and reported (counted by kind in the store's `stats()`),
 *   and start-up goes on without it.
 * - The identity is never replaced silently: a garbled identity record is an `IdentityDamagedError`, so
 *   the node refuses to start with a clear message instead of making a new key (which would leave every
 *   stored membership chain pointing at a key this node no longer holds). Only a missing record makes a
 *   new identity.
 *
 * Pure: each check returns the record to use, or undefined.
 */
import type { AnnouncementRecord, FloorRecord, IdentityRecord, PeerHistoryRecord } from './schema.ts';

/** The stored node identity is present but unusable: the node must not start with another one. */
export class IdentityDamagedError extends Error {
  override name = 'IdentityDamagedError';
  constructor(detail: string) {
    super(
      `This browser's stored node identity is damaged (${detail}). The node will not replace it with a ` +
        'new one on its own, since that would lose its memberships: restore the site data, or clear it ' +
        'to start again as a new node.',
    );
  }
}

/** Largest seqnum counter believed: far above any a node reaches (one a second for 285,000 years). */
export const MAX_STORED_COUNTER = 2 ** 43;
const MAX_ENVELOPE = 64 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isBytes = (v: unknown, length?: number): v is Uint8Array =>
  v instanceof Uint8Array && (length === undefined || v.length === length);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Why an identity record is unusable, or undefined if it is usable. */
export function identityProblem(record: unknown): string | undefined {
  if (!isObject(record)) return 'not a record';
  if (!isBytes(record.publicKey, 32)) return 'no 32-byte public key';
  if (record.kind === 'noble') return isBytes(record.secretKey, 32) ? undefined : 'no 32-byte secret key';
  if (record.kind !== 'webcrypto') return 'unknown key kind';
  const pair = record.keyPair;
  if (!isObject(pair)) return 'no key pair';
  const isKey = (k: unknown) => typeof CryptoKey !== 'undefined' && k instanceof CryptoKey;
  return isKey(pair.privateKey) && isKey(pair.publicKey) ? undefined : 'the key pair holds no keys';
}

export function checkIdentity(record: unknown): IdentityRecord {
  const problem = identityProblem(record);
  if (problem) throw new IdentityDamagedError(problem);
  return record as IdentityRecord;
}

export function checkCounter(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_STORED_COUNTER
    ? value
    : undefined;
}

export function checkAnnouncement(value: unknown): AnnouncementRecord | undefined {
  if (!isObject(value) || !isBytes(value.envelope) || value.envelope.length > MAX_ENVELOPE) return undefined;
  return isTime(value.receivedAt) ? { envelope: value.envelope, receivedAt: value.receivedAt } : undefined;
}

export function checkFloor(value: unknown): FloorRecord | undefined {
  if (!isObject(value) || !Number.isSafeInteger(value.seqnum) || !isTime(value.until)) return undefined;
  return { seqnum: value.seqnum as number, until: value.until };
}

/** Only the shape: the core sanitises each field again (liveness.ts). */
export function checkPeerHistory(value: unknown): PeerHistoryRecord | undefined {
  return isObject(value) && !Array.isArray(value) ? (value as unknown as PeerHistoryRecord) : undefined;
}
