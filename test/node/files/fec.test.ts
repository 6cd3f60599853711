import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Fec, FecParamsError } from '../../../src/files/index.ts';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/files/zfec-vectors.json', import.meta.url), 'utf8'),
) as {
  cases: { k: number; n: number; blockSize: number; sharesSha256: string; shares?: string[] }[];
};

const inputs = (k: number, n: number, size: number): Uint8Array[] =>
  Array.from({ length: k }, (_, b) =>
    Uint8Array.from({ length: size }, (_, i) => (b * 31 + i * 7 + k * 3 + n) & 255),
  );

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('zfec-compatible codec', () => {
  for (const c of fixture.cases) {
    it(`encodes ${c.k}-of-${c.n} exactly as zfec 1.5.2 does`, () => {
      const shares = new Fec(c.k, c.n).encode(inputs(c.k, c.n, c.blockSize), all(c.n));
      const digest = createHash('sha256');
      for (const s of shares) digest.update(s);
      assert.equal(digest.digest('hex'), c.sharesSha256);
      if (c.shares)
        assert.deepEqual(
          shares.map((s) => Buffer.from(s).toString('hex')),
          c.shares,
        );
    });
  }

  it('rebuilds from every k-subset of a 3-of-6 code', () => {
    const fec = new Fec(3, 6);
    const blocks = inputs(3, 6, 11);
    const shares = fec.encode(blocks, all(6));
    for (let a = 0; a < 6; a++)
      for (let b = a + 1; b < 6; b++)
        for (let c = b + 1; c < 6; c++) {
          // Order of the given shares must not matter either.
          assert.deepEqual(
            fec.decode([shares[c]!, shares[a]!, shares[b]!], [c, a, b]),
            blocks,
            `${a}${b}${c}`,
          );
        }
  });

  it('round-trips k = n = 256 (zfec itself crashes there)', () => {
    const fec = new Fec(256, 256);
    const blocks = inputs(256, 256, 3);
    assert.deepEqual(fec.decode(fec.encode(blocks, all(256)).reverse(), all(256).reverse()), blocks);
  });

  it('round-trips random parameters, blocks and share choices', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 37 }),
        fc.integer(),
        (k, extra, size, seed) => {
          const n = Math.min(256, k + extra);
          const fec = new Fec(k, n);
          const blocks = Array.from({ length: k }, (_, b) =>
            Uint8Array.from({ length: size }, (_, i) => (seed * (b + 1) + i * 131) & 255),
          );
          const shares = fec.encode(blocks, all(n));
          const ids = all(n)
            .sort((x, y) => ((x * 7919 + seed) % 101) - ((y * 7919 + seed) % 101))
            .slice(0, k);
          assert.deepEqual(
            fec.decode(
              ids.map((i) => shares[i]!),
              ids,
            ),
            blocks,
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('throws a named error on misuse', () => {
    assert.throws(() => new Fec(0, 3), FecParamsError);
    assert.throws(() => new Fec(4, 3), FecParamsError);
    assert.throws(() => new Fec(3, 257), FecParamsError);
    const fec = new Fec(2, 3);
    assert.throws(() => fec.decode([new Uint8Array(2), new Uint8Array(2)], [1, 1]), FecParamsError);
    assert.throws(() => fec.encode([new Uint8Array(2), new Uint8Array(3)], [2]), FecParamsError);
  });
});
