/**
 * The storage protocol's requests and response bodies, in the canonical codec of src/core/codec.ts (one
 * byte string per meaning; the decoder refuses anything else and trailing bytes). Modelled on Tahoe-LAFS's
 * HTTP storage protocol (docs/specifications/http-storage-node-protocol.rst), as messages on a service
 * channel; the caller's account is the link's authenticated key, so no lease or renew secret travels.
 *
 *     request  = op u8 · fields
 *     version       1 ·                                        → maxShareSize varint · available varint
 *     allocate      2 · si[16] · shares · size varint · secret  → alreadyHave shares · allocated shares
 *     write         3 · si[16] · share u8 · offset varint · bytes(≤ 1 MiB)
 *     close         4 · si[16] · share u8
 *     abort         5 · si[16] · share u8
 *     list          6 · si[16]                                 → shares
 *     read          7 · si[16] · share u8 · offset varint · length varint(≤ 1 MiB) → the bytes, raw
 *     add-lease     8 · si[16]
 *     cancel-lease  9 · si[16]
 *     advise-corrupt 10 · si[16] · share u8 · reason string(≤ 256 bytes)
 *     shares = count varint(≤ 256) · share u8 each, strictly ascending
 *     secret = bytes of 16 to 64
 *
 * Operations without a listed result answer with an empty body.
 */
// DecodeError is how a reader fails with a named reason through codec.ts's one catch.
import { DecodeError as DecodeFailure, Reader, Writer, decode } from '../core/codec.ts';
import type { Decoded } from '../core/codec.ts';

export const STORAGE_INDEX_BYTES = 16;
export const MAX_SHARES = 256;
/** The largest write or read in one request; the client splits larger ones. */
export const MAX_TRANSFER_BYTES = 1024 * 1024;
export const MIN_SECRET_BYTES = 16;
export const MAX_SECRET_BYTES = 64;
export const MAX_REASON_BYTES = 256;

export enum Op {
  Version = 1,
  Allocate = 2,
  Write = 3,
  Close = 4,
  Abort = 5,
  List = 6,
  Read = 7,
  AddLease = 8,
  CancelLease = 9,
  AdviseCorrupt = 10,
}

export type StorageRequest =
  | { op: Op.Version }
  | { op: Op.Allocate; si: Uint8Array; shares: number[]; size: number; secret: Uint8Array }
  | { op: Op.Write; si: Uint8Array; share: number; offset: number; bytes: Uint8Array }
  | { op: Op.Close | Op.Abort; si: Uint8Array; share: number }
  | { op: Op.List | Op.AddLease | Op.CancelLease; si: Uint8Array }
  | { op: Op.Read; si: Uint8Array; share: number; offset: number; length: number }
  | { op: Op.AdviseCorrupt; si: Uint8Array; share: number; reason: string };

export class StorageRequestError extends Error {
  override name = 'StorageRequestError';
}

function checkShares(shares: readonly number[]): number[] {
  const sorted = [...new Set(shares)].sort((a, b) => a - b);
  if (sorted.length !== shares.length) throw new StorageRequestError('duplicate share numbers');
  if (sorted.length > MAX_SHARES) throw new StorageRequestError('too many shares');
  for (const s of sorted)
    if (!Number.isInteger(s) || s < 0 || s > 255) throw new StorageRequestError(`share ${s}`);
  return sorted;
}

function writeShares(w: Writer, shares: readonly number[]): Writer {
  w.varint(shares.length);
  for (const s of shares) w.u8(s);
  return w;
}

function readShares(r: Reader): number[] {
  const count = r.varint(MAX_SHARES);
  const shares: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = r.u8();
    if (i > 0 && s <= shares[i - 1]!) throw new DecodeFailure('shares-not-ascending');
    shares.push(s);
  }
  return shares;
}

function si(w: Writer, storageIndex: Uint8Array): Writer {
  if (storageIndex.length !== STORAGE_INDEX_BYTES)
    throw new StorageRequestError('storage index must be 16 bytes');
  return w.raw(storageIndex);
}

function shareByte(share: number): number {
  if (!Number.isInteger(share) || share < 0 || share > 255) throw new StorageRequestError(`share ${share}`);
  return share;
}

/** Encodes a request; throws `StorageRequestError` for a caller's out-of-range argument (a bug). */
export function encodeRequest(req: StorageRequest): Uint8Array {
  const w = new Writer().u8(req.op);
  switch (req.op) {
    case Op.Version:
      break;
    case Op.Allocate: {
      if (req.secret.length < MIN_SECRET_BYTES || req.secret.length > MAX_SECRET_BYTES) {
        throw new StorageRequestError('upload secret must be 16 to 64 bytes');
      }
      writeShares(si(w, req.si), checkShares(req.shares)).varint(req.size).bytes(req.secret);
      break;
    }
    case Op.Write:
      if (req.bytes.length > MAX_TRANSFER_BYTES) throw new StorageRequestError('write larger than 1 MiB');
      si(w, req.si).u8(shareByte(req.share)).varint(req.offset).bytes(req.bytes);
      break;
    case Op.Close:
    case Op.Abort:
      si(w, req.si).u8(shareByte(req.share));
      break;
    case Op.List:
    case Op.AddLease:
    case Op.CancelLease:
      si(w, req.si);
      break;
    case Op.Read:
      if (req.length > MAX_TRANSFER_BYTES) throw new StorageRequestError('read larger than 1 MiB');
      si(w, req.si).u8(shareByte(req.share)).varint(req.offset).varint(req.length);
      break;
    case Op.AdviseCorrupt:
      si(w, req.si)
        .u8(shareByte(req.share))
        .string(req.reason.slice(0, MAX_REASON_BYTES / 4));
      break;
  }
  return w.finish();
}

/** Decodes a request from a peer; never throws. */
export function decodeRequest(bytes: Uint8Array): Decoded<StorageRequest> {
  return decode(bytes, (r): StorageRequest => {
    const op = r.u8();
    switch (op) {
      case Op.Version:
        return { op };
      case Op.Allocate: {
        const storageIndex = r.raw(STORAGE_INDEX_BYTES);
        const shares = readShares(r);
        const size = r.varint();
        const secret = r.bytes(MAX_SECRET_BYTES);
        if (secret.length < MIN_SECRET_BYTES) throw new DecodeFailure('short-secret');
        return { op, si: storageIndex, shares, size, secret };
      }
      case Op.Write:
        return {
          op,
          si: r.raw(STORAGE_INDEX_BYTES),
          share: r.u8(),
          offset: r.varint(),
          bytes: r.bytes(MAX_TRANSFER_BYTES),
        };
      case Op.Close:
      case Op.Abort:
        return { op, si: r.raw(STORAGE_INDEX_BYTES), share: r.u8() };
      case Op.List:
      case Op.AddLease:
      case Op.CancelLease:
        return { op, si: r.raw(STORAGE_INDEX_BYTES) };
      case Op.Read:
        return {
          op,
          si: r.raw(STORAGE_INDEX_BYTES),
          share: r.u8(),
          offset: r.varint(),
          length: r.varint(MAX_TRANSFER_BYTES),
        };
      case Op.AdviseCorrupt:
        return { op, si: r.raw(STORAGE_INDEX_BYTES), share: r.u8(), reason: r.string(MAX_REASON_BYTES) };
      default:
        throw new DecodeFailure('unknown-op');
    }
  });
}

export function encodeVersion(maxShareSize: number, available: number): Uint8Array {
  return new Writer().varint(maxShareSize).varint(available).finish();
}

export function decodeVersion(bytes: Uint8Array): Decoded<{ maxShareSize: number; available: number }> {
  return decode(bytes, (r) => ({ maxShareSize: r.varint(), available: r.varint() }));
}

export function encodeShares(shares: readonly number[]): Uint8Array {
  return writeShares(new Writer(), checkShares(shares)).finish();
}

export function decodeShares(bytes: Uint8Array): Decoded<number[]> {
  return decode(bytes, readShares);
}

export function encodeAllocated(alreadyHave: readonly number[], allocated: readonly number[]): Uint8Array {
  return writeShares(writeShares(new Writer(), checkShares(alreadyHave)), checkShares(allocated)).finish();
}

export function decodeAllocated(bytes: Uint8Array): Decoded<{ alreadyHave: number[]; allocated: number[] }> {
  return decode(bytes, (r) => ({ alreadyHave: readShares(r), allocated: readShares(r) }));
}
