// Tahoe-LAFS's own CHK test vectors (test/fixtures/files/tahoe-chk-vectors.json, taken from
// integration/vectors/test_vectors.yaml): encodeCHK must give Tahoe's exact cap for every case.
// The twelve cases of 4 MiB and more at 71/255 and 101/256 cost about two CPU-minutes of erasure coding
// (N-k check blocks of k lookups per byte): they run with FILES_VECTORS=all (all 120 pass), and are
// skipped by default so the suite stays within a minute on a shared two-core machine.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeCHK, encodeCHK } from '../../../src/files/index.ts';
import { nodeCrypto } from './node-crypto.ts';

interface Vector {
  k: number;
  n: number;
  segmentSize: number;
  convergence: string;
  seed: string;
  length: number;
  expected: string;
}
const { cases } = JSON.parse(
  readFileSync(new URL('../../fixtures/files/tahoe-chk-vectors.json', import.meta.url), 'utf8'),
) as { cases: Vector[] };

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** Tahoe's `stretch(seed, size)`: the seed repeated, cut to size. */
function stretch(seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += seed.length)
    out.set(seed.subarray(0, Math.min(seed.length, length - at)), at);
  return out;
}

describe("Tahoe-LAFS's CHK test vectors", () => {
  it('are all 120 cases, k/N from 1/1 to 101/256, 56 B to 8 MiB + 1', () => {
    assert.equal(cases.length, 120);
    assert.equal(Math.min(...cases.map((c) => c.length)), 56);
    assert.equal(Math.max(...cases.map((c) => c.length)), 8 * 1024 * 1024 + 1);
  });

  const crypto = nodeCrypto();
  const everything = process.env.FILES_VECTORS === 'all';
  for (const c of cases) {
    const heavy = c.k > 3 && c.length >= 4 * 1024 * 1024;
    const name = `${c.k}/${c.n}, ${c.length} B, secret ${c.convergence.slice(0, 8)}…`;
    it(name, { skip: heavy && !everything ? 'heavy: set FILES_VECTORS=all' : false }, async () => {
      const plaintext = stretch(hex(c.seed), c.length);
      const small = c.length <= 131073;
      // Small cases run on the default WebCrypto slots too, large ones on node:crypto (same algorithms).
      const options = { k: c.k, n: c.n, segmentSize: c.segmentSize, convergence: hex(c.convergence) };
      const encoded = await encodeCHK(plaintext, small ? options : { ...options, crypto });
      assert.equal(encoded.cap, c.expected);
      assert.equal(encoded.shares.size, c.n);
      if (small) {
        const last = [...encoded.shares].slice(-c.k);
        const decoded = await decodeCHK(encoded.cap, last);
        assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
        assert.deepEqual(decoded.value, plaintext);
      }
    });
  }
});
