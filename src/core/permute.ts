/**
 * Permuted peer selection, exactly as Tahoe-LAFS does it (storage_client.get_servers_for_psi and
 * hashutil.permute_server_hash): peers sorted by ascending SHA-1(storageIndex · permutationSeed).
 * Every file gets its own stable order of servers, which spreads load and lets uploader and downloader
 * agree on where shares live without asking anyone (seed 002).
 *
 * SHA-1 is kept for compatibility: the order is not a security boundary, only a spreading function.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { compareBytes, concatBytes } from './bytes.ts';

/** Indices of `seeds` in permuted order for `storageIndex`; ties (equal seeds) keep their input order. */
export function permutedOrder(storageIndex: Uint8Array, seeds: readonly Uint8Array[]): number[] {
  const keyed = seeds.map((seed, index) => ({ index, key: sha1(concatBytes(storageIndex, seed)) }));
  keyed.sort((a, b) => compareBytes(a.key, b.key) || a.index - b.index);
  return keyed.map((k) => k.index);
}
