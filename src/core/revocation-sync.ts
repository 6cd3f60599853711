/**
 * Reconciling the grid's revocation set over links (PROTOCOL.md §8, "Revocation set"):
 *
 *   REVOKED_SUMMARY (6) count:varint · fingerprint:16     "these are the revocations I hold, in brief"
 *   REVOKED_IDS     (7) count:varint · (id:8)*             "these exactly"
 *   REVOKED         (8) count:varint · (record:bytes)*     revocation records (revocation.ts)
 *
 * Rules:
 *  - "A REVOKED_SUMMARY goes with every SUMMARY of anti-entropy: at link-up and every period."
 *  - "On a REVOKED_SUMMARY that differs from its own set, a node answers with REVOKED_IDS."
 *  - "On REVOKED_IDS, a node sends the records the peer lacks, and its own REVOKED_IDS if it lacks some."
 *  - "A revocation new to a node is passed on at once to every other link."
 * A REVOKED message never causes REVOKED_IDS, so one exchange ends after at most three messages. The
 * fingerprint is the first 16 bytes of SHA-256 over the sorted ids, so equal sets cost one small message.
 * Records are checked by the set (a revoker must be an admin of the grid, signatures must hold); what is
 * refused is counted under `bad-revocation`, and nothing here throws on peer bytes.
 */
import { equalBytes, toHex } from './bytes.ts';
import type { CoreConfig } from './config.ts';
import { DecodeError, type Decoded, Writer, decode } from './codec.ts';
import type { NodeId } from './identity.ts';
import type { Links } from './links.ts';
import type { Outbox } from './outbox.ts';
import { MAX_REVOCATION_SET, REVOCATION_ID_BYTES } from './revocation.ts';

export const REVOKED_SUMMARY = 6;
export const REVOKED_IDS = 7;
export const REVOKED = 8;
const FINGERPRINT_BYTES = 16;

/** The node's revocation set, as the sync needs it (GridMembership implements it). */
export interface RevocationSet {
  readonly revocationCount: number;
  revocationFingerprint(): Uint8Array;
  /** Every id held, sorted. */
  revocationIds(): Uint8Array[];
  /** The record for an id, if held. */
  revocationRecord(id: Uint8Array): Uint8Array | undefined;
  /** Checks and adds a record; `new` if it was not held, else why not. */
  learnRevocationRecord(record: Uint8Array, now: number): 'new' | 'known' | 'refused';
}

export type RevocationMessage =
  | { type: typeof REVOKED_SUMMARY; count: number; fingerprint: Uint8Array }
  | { type: typeof REVOKED_IDS; ids: Uint8Array[] }
  | { type: typeof REVOKED; records: Uint8Array[] };

export const isRevocationMessage = (bytes: Uint8Array): boolean =>
  bytes.length > 0 && bytes[0]! >= REVOKED_SUMMARY && bytes[0]! <= REVOKED;

export function decodeRevocationMessage(
  bytes: Uint8Array,
  maxRecordBytes: number,
): Decoded<RevocationMessage> {
  return decode<RevocationMessage>(bytes, (r) => {
    const type = r.u8();
    if (type === REVOKED_SUMMARY) return { type, count: r.varint(), fingerprint: r.raw(FINGERPRINT_BYTES) };
    const count = r.varint(MAX_REVOCATION_SET);
    if (type === REVOKED_IDS) {
      if (count * REVOCATION_ID_BYTES > r.remaining) throw new DecodeError('count-exceeds-message');
      const ids: Uint8Array[] = [];
      for (let i = 0; i < count; i++) ids.push(r.raw(REVOCATION_ID_BYTES));
      return { type, ids };
    }
    if (type !== REVOKED) throw new DecodeError('unknown-message-type');
    if (count * 2 > r.remaining) throw new DecodeError('count-exceeds-message');
    const records: Uint8Array[] = [];
    for (let i = 0; i < count; i++) records.push(r.bytes(maxRecordBytes));
    return { type, records };
  });
}

export function encodeRevokedSummary(count: number, fingerprint: Uint8Array): Uint8Array {
  return new Writer().u8(REVOKED_SUMMARY).varint(count).raw(fingerprint).finish();
}

/** Ids in as many REVOKED_IDS messages as `maxBytes` requires. */
export function encodeRevokedIds(ids: readonly Uint8Array[], maxBytes: number): Uint8Array[] {
  const per = Math.max(1, Math.floor((maxBytes - 16) / REVOCATION_ID_BYTES));
  const out: Uint8Array[] = [];
  for (let start = 0; start === 0 || start < ids.length; start += per) {
    const part = ids.slice(start, start + per);
    const w = new Writer().u8(REVOKED_IDS).varint(part.length);
    for (const id of part) w.raw(id);
    out.push(w.finish());
  }
  return out;
}

/** Records packed into REVOKED messages of at most `maxBytes` (one record always fits one message). */
export function encodeRevoked(records: readonly Uint8Array[], maxBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let batch: Uint8Array[] = [];
  let size = 8;
  const flush = () => {
    if (batch.length === 0) return;
    const w = new Writer().u8(REVOKED).varint(batch.length);
    for (const record of batch) w.bytes(record);
    out.push(w.finish());
    batch = [];
    size = 8;
  };
  for (const record of records) {
    if (size + record.length + 4 > maxBytes) flush();
    batch.push(record);
    size += record.length + 4;
  }
  flush();
  return out;
}

export class RevocationSync {
  constructor(
    private readonly set: RevocationSet,
    private readonly links: Links,
    private readonly outbox: Outbox,
    private readonly config: CoreConfig,
  ) {}

  /** Sent beside every anti-entropy SUMMARY. */
  sendSummary(to: NodeId): void {
    this.outbox.send(to, encodeRevokedSummary(this.set.revocationCount, this.set.revocationFingerprint()));
  }

  /** Handles one revocation message; returns a drop reason, or undefined. */
  receive(from: NodeId, bytes: Uint8Array, now: number): 'malformed-message' | 'bad-revocation' | undefined {
    const decoded = decodeRevocationMessage(bytes, this.config.maxMessageBytes);
    if (!decoded.ok) return 'malformed-message';
    const m = decoded.value;
    if (m.type === REVOKED_SUMMARY) {
      if (
        m.count !== this.set.revocationCount ||
        !equalBytes(m.fingerprint, this.set.revocationFingerprint())
      )
        this.sendIds(from);
      return undefined;
    }
    if (m.type === REVOKED_IDS) {
      const theirs = new Set(m.ids.map(toHex));
      const mine = this.set.revocationIds();
      const push = mine.filter((id) => !theirs.has(toHex(id))).map((id) => this.set.revocationRecord(id)!);
      for (const part of encodeRevoked(push, this.config.maxMessageBytes)) this.outbox.send(from, part);
      const held = new Set(mine.map(toHex));
      if (m.ids.some((id) => !held.has(toHex(id)))) this.sendIds(from);
      return undefined;
    }
    let refused = false;
    const fresh: Uint8Array[] = [];
    for (const record of m.records) {
      const learned = this.set.learnRevocationRecord(record, now);
      if (learned === 'new') fresh.push(record);
      else if (learned === 'refused') refused = true;
    }
    this.spread(fresh, from);
    return refused ? 'bad-revocation' : undefined;
  }

  /** Passes records new to this node on to every link but the one they came from. */
  spread(records: readonly Uint8Array[], except?: NodeId): void {
    if (records.length === 0) return;
    const parts = encodeRevoked(records, this.config.maxMessageBytes);
    for (const peer of this.links.ids())
      if (peer !== except) for (const part of parts) this.outbox.send(peer, part);
  }

  private sendIds(to: NodeId): void {
    for (const part of encodeRevokedIds(this.set.revocationIds(), this.config.maxMessageBytes))
      this.outbox.send(to, part);
  }
}
