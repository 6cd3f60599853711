/**
 * The storage server's settings, with a reason for each default, and the shapes of its answers.
 */
import type { Batch } from './share-store.ts';
import type { StorageErrorCode } from './types.ts';

export interface StorageConfig {
  /** Largest share accepted. Default 128 MiB: Tahoe's 3-of-10 shares of a 384 MiB file; tabs hold RAM. */
  maxShareSize: number;
  /** Lease length. Default 31 days, as Tahoe. */
  leaseMs: number;
  /** A partial share untouched this long is freed. Default 10 minutes: uploads write every few seconds. */
  abandonAfterMs: number;
  /** Bytes offered to the grid until the owner sets it. Default 1 GiB (and never more than the browser allows). */
  defaultOfferBytes: number;
  /** Corruption reports kept per share. Default 16. */
  maxCorruptReports: number;
}

export const defaultStorageConfig: StorageConfig = {
  maxShareSize: 128 * 1024 * 1024,
  leaseMs: 31 * 24 * 3600_000,
  abandonAfterMs: 10 * 60_000,
  defaultOfferBytes: 1024 * 1024 * 1024,
  maxCorruptReports: 16,
};

export type Refusal = { ok: false; code: StorageErrorCode; message: string };
export type Outcome<T> = Refusal | { ok: true; value: T; batch: Batch };

export interface ClientUsage {
  id: string;
  bytes: number;
  shares: number;
  leases: number;
  lastUsedAt: number | undefined;
  quota: number | undefined;
}
