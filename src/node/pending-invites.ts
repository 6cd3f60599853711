/**
 * Pending invitations (PROTOCOL.md §11): what the grid holds for a 26-character invitation code, so the
 * invitee needs nothing else and the inviter may be offline.
 *
 * From the code's 120 secret bits, HKDF-SHA256 (salt empty) derives the rendezvous id `r` (16 bytes, hex;
 * info `gridnode/invite-code/v1/rendezvous`) and an AES-256-GCM key (info `gridnode/invite-code/v1/seal`).
 * The record is JSON `{ v: 1, inviter, grid, r, exp, blob, sig }`: `blob` the long invitation (invite.ts:
 * descriptor, chain ending in the one-time certificate, one-time secret, relays, hints) sealed under that
 * key; `sig` the inviter's node signature over `gridnode/pending/v1\n · grid · r · exp · blob`. Members
 * cannot open the blob or claim the invitation; they only hand it to whoever asks with `r`.
 *
 * Bounds (`pendingLimits`): a record is at most 6 KiB; it lives at most 7 days and never past `exp`; a
 * table keeps at most 4 per inviter (the newest) and 256 in all; a record whose inviter is no longer a
 * member (revoked, gone) is dropped, and so is one its inviter cancelled.
 *
 * Pure except `deriveCodeKeys` and the seal helpers (WebCrypto); time is an input. Nothing received throws.
 */
import { concatBytes, toHex, utf8 } from '../core/bytes.ts';
import { type NodeId, parseNodeId } from '../core/identity.ts';
import { base64urlDecode, base64urlEncode, IV_BYTES, open, seal } from '../net/seal.ts';

export const pendingLimits = {
  recordChars: 6 * 1024,
  lifetimeMs: 7 * 24 * 3_600_000,
  perInviter: 4,
  total: 256,
} as const;

export const PENDING_DOMAIN = 'gridnode/pending/v1\n';

export interface PendingRecord {
  inviter: NodeId;
  /** Grid id, hex. */
  grid: string;
  /** Rendezvous id, 32 hex digits. */
  r: string;
  exp: number;
  blob: string;
  sig: string;
}

export interface CodeKeys {
  r: string;
  key: CryptoKey;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** The rendezvous id and sealing key of a code's secret. */
export async function deriveCodeKeys(secret: Uint8Array): Promise<CodeKeys> {
  const ikm = await crypto.subtle.importKey('raw', secret as BufferSource, 'HKDF', false, [
    'deriveBits',
    'deriveKey',
  ]);
  const info = (what: string) => utf8(`gridnode/invite-code/v1/${what}`) as BufferSource;
  const hkdf = (what: string) => ({
    name: 'HKDF',
    hash: 'SHA-256',
    salt: new Uint8Array(0),
    info: info(what),
  });
  const r = new Uint8Array(await crypto.subtle.deriveBits(hkdf('rendezvous'), ikm, 128));
  const key = await crypto.subtle.deriveKey(hkdf('seal'), ikm, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  return { r: toHex(r), key };
}

export function sealInvite(keys: CodeKeys, invite: Uint8Array): Promise<string> {
  return seal(keys.key, invite, crypto.getRandomValues(new Uint8Array(IV_BYTES)));
}

/** The long invitation inside a record's blob, or undefined if this code does not open it. */
export async function openInvite(keys: CodeKeys, blob: string): Promise<Uint8Array | undefined> {
  const bytes = await open(keys.key, blob);
  return typeof bytes === 'string' ? undefined : bytes;
}

/** The bytes a record's signature covers. */
export function pendingMessage(record: Omit<PendingRecord, 'sig' | 'inviter'>): Uint8Array {
  return concatBytes(
    utf8(PENDING_DOMAIN),
    utf8(`${record.grid}\n${record.r}\n${record.exp}\n${record.blob}`),
  );
}

export async function signPending(
  fields: Omit<PendingRecord, 'sig'>,
  sign: (message: Uint8Array) => Promise<Uint8Array>,
): Promise<PendingRecord> {
  return { ...fields, sig: base64urlEncode(await sign(pendingMessage(fields))) };
}

/** A record as received, checked for shape and bounds (not yet its signature), or why not. */
export function parsePending(value: unknown, gridHex: string, now: number): PendingRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'pending-bad-shape';
  const { v, inviter, grid, r, exp, blob, sig } = value as Record<string, unknown>;
  if (v !== 1 || typeof inviter !== 'string' || !parseNodeId(inviter)) return 'pending-bad-shape';
  if (typeof grid !== 'string' || !HEX64.test(grid) || typeof r !== 'string' || !HEX32.test(r))
    return 'pending-bad-shape';
  if (typeof blob !== 'string' || typeof sig !== 'string' || !base64urlDecode(blob))
    return 'pending-bad-shape';
  if (blob.length + sig.length + 300 > pendingLimits.recordChars) return 'pending-too-large';
  if (grid !== gridHex) return 'pending-other-grid';
  if (!Number.isSafeInteger(exp) || (exp as number) <= now) return 'pending-expired';
  if ((exp as number) > now + pendingLimits.lifetimeMs) return 'pending-too-long';
  return { inviter: inviter as NodeId, grid, r, exp: exp as number, blob, sig };
}

/** The signature of a record, as bytes, and the inviter's public key; undefined if malformed. */
export function pendingSignature(record: PendingRecord) {
  const signature = base64urlDecode(record.sig);
  const key = parseNodeId(record.inviter);
  return signature?.length === 64 && key ? { signature, key, message: pendingMessage(record) } : undefined;
}

export const encodePending = (record: PendingRecord) => ({ v: 1, ...record });

/** The pending invitations a node holds: bounded, newest kept, dropped with their inviter. Pure. */
export class PendingTable {
  private readonly byR = new Map<string, PendingRecord>();
  private readonly cancelled = new Set<string>();
  readonly dropped: Record<string, number> = {};

  get size(): number {
    return this.byR.size;
  }

  has(r: string): boolean {
    return this.byR.has(r);
  }

  get(r: string, now: number, isMember: (id: NodeId) => boolean): PendingRecord | undefined {
    this.prune(now, isMember);
    return this.byR.get(r);
  }

  all(now: number, isMember: (id: NodeId) => boolean): PendingRecord[] {
    this.prune(now, isMember);
    return [...this.byR.values()];
  }

  /**
   * Adds a verified record; false if it was known, cancelled, or refused (counted). At a bound the newest
   * are kept (by expiry, then rendezvous id): a record older than every one held is refused, not taken in
   * for another. Otherwise a record let go would be taken back when a neighbour sends it again, letting go
   * of another, which comes back in turn: the table would never settle, and each record taken in is sent
   * on to every link (seen as hundreds of MB on the links of a seven-member grid).
   */
  add(record: PendingRecord, now: number, isMember: (id: NodeId) => boolean): boolean {
    if (this.byR.has(record.r) || this.cancelled.has(record.r)) return false;
    if (!isMember(record.inviter)) return this.count('pending-not-member');
    if (record.exp <= now) return this.count('pending-expired');
    const own = [...this.byR.values()].filter((p) => p.inviter === record.inviter);
    if (own.length >= pendingLimits.perInviter && !this.makeRoom(own, record, 'pending-inviter-full'))
      return false;
    if (
      this.byR.size >= pendingLimits.total &&
      !this.makeRoom([...this.byR.values()], record, 'pending-table-full')
    )
      return false;
    this.byR.set(record.r, record);
    return true;
  }

  /** Lets the oldest of `held` go for `record`, unless `record` is older still; counted either way. */
  private makeRoom(held: PendingRecord[], record: PendingRecord, reason: string): boolean {
    const older = (a: PendingRecord, b: PendingRecord) => a.exp < b.exp || (a.exp === b.exp && a.r < b.r);
    const oldest = held.reduce((o, p) => (older(p, o) ? p : o));
    this.count(reason);
    if (older(record, oldest)) return false;
    this.byR.delete(oldest.r);
    return true;
  }

  /** The inviter cancelled `r` (or its code was used): forgotten, and refused if heard again. */
  cancel(r: string): boolean {
    this.cancelled.add(r);
    if (this.cancelled.size > pendingLimits.total * 4)
      this.cancelled.delete(this.cancelled.values().next().value!);
    return this.byR.delete(r);
  }

  private prune(now: number, isMember: (id: NodeId) => boolean): void {
    for (const [r, p] of this.byR) if (p.exp <= now || !isMember(p.inviter)) this.byR.delete(r);
  }

  private count(reason: string): false {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    return false;
  }
}
