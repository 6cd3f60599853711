/**
 * The storage server as a pure state machine: Tahoe-LAFS's storage protocol with accounting, on the time
 * it is given. It does no I/O: each operation returns what it would change as a `Batch`; the adapter
 * (storage-handler.ts) makes the batch durable and only then calls `apply`, so memory never runs ahead of
 * the disk, and a refused commit changes nothing.
 *
 * Rules:
 * - Every operation first judges the caller (the link's authenticated node key): not `mayUse` (a
 *   non-member, a revoked member, one the owner denied, or outside an allow list) is 'denied', before any
 *   other check or work. The judgement is made per request, so a policy change applies to the next one.
 * - Accounting (Tahoe's accounting proposal): a client is charged the full size of every share it holds
 *   a live lease on, and of every unfinished share it allocated; leaseholders are not pro-rated. The
 *   node-wide `used` counts each share once. `available(client)` is the smaller of its quota left and the
 *   offer left.
 * - allocate(si, shares, size, secret): all or nothing. Shares held complete are `alreadyHave` (and the
 *   caller's lease on them is added or renewed, as Tahoe's allocate_buckets does); shares this caller is
 *   already uploading with the same secret and size are `allocated` again (idempotent); shares another
 *   upload is filling are in neither list; the rest are allocated if the size is at most `maxShareSize`
 *   ('too-large'), the caller's charge fits its quota ('quota') and the new bytes fit the offer ('full').
 * - write(offset, bytes): only the uploader of a partial share; within its size ('bad-request');
 *   different bytes over written ones are a 'conflict' (share-bytes.ts).
 * - close: the uploader, all bytes written; the share becomes complete and leased to the uploader for
 *   `leaseMs` (31 days). Closing a share one already leases complete is a no-op. abort frees a partial
 *   share of the caller.
 * - read and list: any admitted caller, complete shares only; a read is clipped at the share's end.
 * - addLease: a lease of `leaseMs` from now on every complete share of the index, charged in full
 *   ('quota'); cancelLease removes the caller's. A share with no live lease left is freed.
 * - tick(now): frees partial shares untouched for `abandonAfterMs` and shares whose leases all expired.
 * - adviseCorrupt is recorded on the share (newest `maxCorruptReports`) and counted.
 */
import { toHex } from '../core/bytes.ts';
import { chunkSpan, covers, overlay, writtenBytes } from './share-bytes.ts';
import type { Batch, ClientRecord, ShareRecord, StoredState } from './share-store.ts';
import {
  type ClientUsage,
  type Outcome,
  type Refusal,
  type StorageConfig,
  defaultStorageConfig,
} from './storage-config.ts';
import type { StorageErrorCode } from './types.ts';

export { type ClientUsage, type Outcome, type Refusal, type StorageConfig, defaultStorageConfig };

const refuse = (code: StorageErrorCode, message: string): Refusal => ({ ok: false, code, message });
const keyOf = (si: string, share: number) => `${si}/${share}`;

export class StorageServer {
  readonly config: StorageConfig;
  private readonly shares = new Map<string, ShareRecord>();
  private readonly clients = new Map<string, ClientRecord>();
  private offerBytes: number;
  /** How many corruption reports arrived. */
  corruptReports = 0;

  /**
   * `quotaFor` gives a caller's quota where the owner set none (a storage club's default quota for its
   * members, clubs.ts); undefined: no limit but the offer.
   */
  constructor(
    private readonly mayUse: (caller: string) => boolean,
    config: Partial<StorageConfig> = {},
    state: StoredState = { shares: [], clients: [], offer: undefined },
    private readonly quotaFor: (caller: string) => number | undefined = () => undefined,
  ) {
    this.config = { ...defaultStorageConfig, ...config };
    for (const s of state.shares) this.shares.set(keyOf(s.si, s.share), s);
    for (const c of state.clients) this.clients.set(c.id, c);
    this.offerBytes = state.offer ?? this.config.defaultOfferBytes;
  }

  /** Makes a committed batch the server's state. */
  apply(batch: Batch): void {
    for (const d of batch.deleteShares ?? []) this.shares.delete(keyOf(d.si, d.share));
    for (const s of batch.shares ?? []) this.shares.set(keyOf(s.si, s.share), s);
    for (const id of batch.deleteClients ?? []) this.clients.delete(id);
    for (const c of batch.clients ?? []) this.clients.set(c.id, c);
    if (batch.offer !== undefined) this.offerBytes = batch.offer;
  }

  // Accounting

  get offer(): number {
    return this.offerBytes;
  }

  /** Bytes of every share held or allocated, each counted once. */
  used(): number {
    let total = 0;
    for (const s of this.shares.values()) total += s.size;
    return total;
  }

  usageOf(id: string, now: number): ClientUsage {
    let bytes = 0;
    let shares = 0;
    let leases = 0;
    for (const s of this.shares.values()) {
      const leased = (s.leases[id] ?? -Infinity) > now;
      if (leased) leases++;
      if (leased || (s.state === 'partial' && s.uploader === id)) {
        bytes += s.size;
        shares++;
      }
    }
    const record = this.clients.get(id);
    return { id, bytes, shares, leases, lastUsedAt: record?.lastUsedAt, quota: record?.quota };
  }

  /** Every client that holds something here or has a record (a quota, a last use). */
  clientsUsage(now: number): ClientUsage[] {
    const ids = new Set(this.clients.keys());
    for (const s of this.shares.values()) {
      if (s.state === 'partial') ids.add(s.uploader);
      for (const id of Object.keys(s.leases)) ids.add(id);
    }
    return [...ids].sort().map((id) => this.usageOf(id, now));
  }

  private quotaOf(id: string, record: ClientRecord | undefined): number {
    return record?.quota ?? this.quotaFor(id) ?? Infinity;
  }

  available(id: string, now: number): number {
    const quota = this.quotaOf(id, this.clients.get(id));
    const left = Math.min(quota - this.usageOf(id, now).bytes, this.offerBytes - this.used());
    return Math.max(0, Math.min(left, Number.MAX_SAFE_INTEGER));
  }

  // The owner's settings (not requests: no judgement)

  setOffer(bytes: number): Batch {
    return { offer: Math.max(0, Math.floor(bytes)) };
  }

  setQuota(id: string, quota: number | undefined, now: number): Batch {
    const old = this.clients.get(id);
    const record: ClientRecord = { id, lastUsedAt: old?.lastUsedAt ?? now };
    if (quota !== undefined) record.quota = Math.max(0, Math.floor(quota));
    return { clients: [record] };
  }

  /** Frees everything the client stored: its leases, its unfinished uploads, shares left unleased. */
  deleteClient(id: string, now: number): Batch {
    const batch: Batch = { shares: [], deleteShares: [] };
    for (const s of this.shares.values()) {
      if (s.state === 'partial' && s.uploader === id) batch.deleteShares!.push({ si: s.si, share: s.share });
      else if (id in s.leases) {
        const leases = { ...s.leases };
        delete leases[id];
        if (Object.values(leases).some((t) => t > now)) batch.shares!.push({ ...s, leases });
        else batch.deleteShares!.push({ si: s.si, share: s.share });
      }
    }
    return batch;
  }

  /** Frees abandoned uploads and shares whose leases all expired. */
  tick(now: number): Batch {
    const deleteShares: { si: string; share: number }[] = [];
    for (const s of this.shares.values()) {
      const abandoned = s.state === 'partial' && s.touchedAt + this.config.abandonAfterMs <= now;
      const expired = s.state === 'complete' && !Object.values(s.leases).some((t) => t > now);
      if (abandoned || expired) deleteShares.push({ si: s.si, share: s.share });
    }
    return deleteShares.length ? { deleteShares } : {};
  }

  // Requests

  /** 'denied' unless the caller may use this server; its last use is noted either way it is admitted. */
  private judge(caller: string, now: number): Refusal | ClientRecord {
    if (!this.mayUse(caller)) return refuse('denied', 'this node does not serve you');
    return { ...(this.clients.get(caller) ?? { id: caller }), lastUsedAt: now };
  }

  version(caller: string, now: number): Outcome<{ maxShareSize: number; available: number }> {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    return {
      ok: true,
      value: { maxShareSize: this.config.maxShareSize, available: this.available(caller, now) },
      batch: { clients: [client] },
    };
  }

  allocate(
    caller: string,
    now: number,
    storageIndex: Uint8Array,
    shares: readonly number[],
    size: number,
    secret: Uint8Array,
  ): Outcome<{ alreadyHave: number[]; allocated: number[] }> {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    if (size < 1 || size > this.config.maxShareSize) {
      return refuse(
        'too-large',
        `shares of ${size} bytes are not taken (at most ${this.config.maxShareSize})`,
      );
    }
    const si = toHex(storageIndex);
    const secretHex = toHex(secret);
    const alreadyHave: number[] = [];
    const allocated: number[] = [];
    const records: ShareRecord[] = [];
    let charge = 0;
    let newBytes = 0;
    for (const share of shares) {
      const old = this.shares.get(keyOf(si, share));
      if (old?.state === 'complete') {
        alreadyHave.push(share);
        if ((old.leases[caller] ?? -Infinity) <= now) charge += old.size;
        records.push({ ...old, leases: { ...old.leases, [caller]: now + this.config.leaseMs } });
      } else if (old !== undefined) {
        if (old.uploader === caller && old.secret === secretHex && old.size === size) {
          allocated.push(share);
          records.push({ ...old, touchedAt: now });
        }
      } else {
        allocated.push(share);
        charge += size;
        newBytes += size;
        records.push({
          si,
          share,
          size,
          state: 'partial',
          uploader: caller,
          secret: secretHex,
          allocatedAt: now,
          touchedAt: now,
          written: [],
          leases: {},
          corrupt: [],
        });
      }
    }
    const quota = this.quotaOf(caller, client);
    if (this.usageOf(caller, now).bytes + charge > quota) {
      return refuse('quota', `your quota here is ${quota} bytes`);
    }
    if (this.used() + newBytes > this.offerBytes)
      return refuse('full', 'this node has no room for these shares');
    return { ok: true, value: { alreadyHave, allocated }, batch: { shares: records, clients: [client] } };
  }

  /** The chunks a write must see before `write` can judge it, or a refusal. */
  planWrite(
    caller: string,
    now: number,
    storageIndex: Uint8Array,
    share: number,
    offset: number,
    length: number,
  ) {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    const record = this.shares.get(keyOf(toHex(storageIndex), share));
    if (record === undefined || record.state !== 'partial' || record.uploader !== caller) {
      return refuse('not-found', 'no unfinished share of yours there');
    }
    if (offset + length > record.size)
      return refuse('bad-request', `write past the share's ${record.size} bytes`);
    const [first, last] = length === 0 ? [0, -1] : chunkSpan(offset, length);
    return { ok: true as const, record, client, first, last };
  }

  /** Applies a write over the chunks `planWrite` asked for, as read from the store. */
  write(
    caller: string,
    now: number,
    storageIndex: Uint8Array,
    share: number,
    offset: number,
    bytes: Uint8Array,
    stored: readonly (Uint8Array | undefined)[],
  ): Outcome<undefined> {
    const plan = this.planWrite(caller, now, storageIndex, share, offset, bytes.length);
    if (!plan.ok) return plan;
    const { record, client } = plan;
    if (bytes.length === 0) return { ok: true, value: undefined, batch: {} };
    const result = overlay(record.size, record.written, stored, offset, bytes);
    if (result === 'conflict') return refuse('conflict', 'different bytes over written ones');
    const chunks = result.chunks.map((c) => ({ si: record.si, share, index: c.index, bytes: c.bytes }));
    const next: ShareRecord = { ...record, written: result.written, touchedAt: now };
    return { ok: true, value: undefined, batch: { chunks, shares: [next], clients: [client] } };
  }

  close(caller: string, now: number, storageIndex: Uint8Array, share: number): Outcome<undefined> {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    const record = this.shares.get(keyOf(toHex(storageIndex), share));
    if (record?.state === 'complete' && (record.leases[caller] ?? -Infinity) > now) {
      return { ok: true, value: undefined, batch: { clients: [client] } };
    }
    if (record === undefined || record.state !== 'partial' || record.uploader !== caller) {
      return refuse('not-found', 'no unfinished share of yours there');
    }
    if (!covers(record.written, record.size)) {
      return refuse('bad-request', `${writtenBytes(record.written)} of ${record.size} bytes written`);
    }
    const next: ShareRecord = {
      ...record,
      state: 'complete',
      touchedAt: now,
      leases: { [caller]: now + this.config.leaseMs },
    };
    return { ok: true, value: undefined, batch: { shares: [next], clients: [client] } };
  }

  abort(caller: string, now: number, storageIndex: Uint8Array, share: number): Outcome<undefined> {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    const si = toHex(storageIndex);
    const record = this.shares.get(keyOf(si, share));
    if (record === undefined || record.state !== 'partial' || record.uploader !== caller) {
      return refuse('not-found', 'no unfinished share of yours there');
    }
    return { ok: true, value: undefined, batch: { deleteShares: [{ si, share }], clients: [client] } };
  }

  list(caller: string, now: number, storageIndex: Uint8Array): Outcome<number[]> {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    return {
      ok: true,
      value: this.complete(toHex(storageIndex)).map((s) => s.share),
      batch: { clients: [client] },
    };
  }

  /** Where a read lies in the share's chunks (clipped at its end), or a refusal. */
  planRead(
    caller: string,
    now: number,
    storageIndex: Uint8Array,
    share: number,
    offset: number,
    length: number,
  ) {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    const si = toHex(storageIndex);
    const record = this.shares.get(keyOf(si, share));
    if (record?.state !== 'complete') return refuse('not-found', 'no such share here');
    const clipped = Math.max(0, Math.min(length, record.size - offset));
    const [first, last] = clipped === 0 ? [0, -1] : chunkSpan(offset, clipped);
    return { ok: true as const, si, offset, length: clipped, first, last, batch: { clients: [client] } };
  }

  addLease(caller: string, now: number, storageIndex: Uint8Array): Outcome<undefined> {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    const held = this.complete(toHex(storageIndex));
    if (held.length === 0) return refuse('not-found', 'no share of that storage index here');
    let charge = 0;
    for (const s of held) if ((s.leases[caller] ?? -Infinity) <= now) charge += s.size;
    const quota = this.quotaOf(caller, client);
    if (this.usageOf(caller, now).bytes + charge > quota)
      return refuse('quota', `your quota here is ${quota} bytes`);
    const shares = held.map((s) => ({ ...s, leases: { ...s.leases, [caller]: now + this.config.leaseMs } }));
    return { ok: true, value: undefined, batch: { shares, clients: [client] } };
  }

  cancelLease(caller: string, now: number, storageIndex: Uint8Array): Outcome<undefined> {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    const held = this.complete(toHex(storageIndex)).filter((s) => caller in s.leases);
    if (held.length === 0) return refuse('not-found', 'you hold no lease there');
    const batch: Batch = { shares: [], deleteShares: [], clients: [client] };
    for (const s of held) {
      const leases = { ...s.leases };
      delete leases[caller];
      if (Object.values(leases).some((t) => t > now)) batch.shares!.push({ ...s, leases });
      else batch.deleteShares!.push({ si: s.si, share: s.share });
    }
    return { ok: true, value: undefined, batch };
  }

  adviseCorrupt(
    caller: string,
    now: number,
    storageIndex: Uint8Array,
    share: number,
    reason: string,
  ): Outcome<undefined> {
    const client = this.judge(caller, now);
    if ('ok' in client) return client;
    const record = this.shares.get(keyOf(toHex(storageIndex), share));
    if (record === undefined) return refuse('not-found', 'no such share here');
    this.corruptReports++;
    const corrupt = [...record.corrupt, { by: caller, reason, at: now }].slice(
      -this.config.maxCorruptReports,
    );
    return { ok: true, value: undefined, batch: { shares: [{ ...record, corrupt }], clients: [client] } };
  }

  /** A share's record, for tests and the dashboard. */
  share(storageIndex: Uint8Array, share: number): ShareRecord | undefined {
    return this.shares.get(keyOf(toHex(storageIndex), share));
  }

  private complete(si: string): ShareRecord[] {
    const out: ShareRecord[] = [];
    for (const s of this.shares.values()) if (s.si === si && s.state === 'complete') out.push(s);
    return out.sort((a, b) => a.share - b.share);
  }
}
