/**
 * A Reed–Solomon erasure code compatible with zfec (Rizzo's fec.c, as zfec and Tahoe-LAFS ship it).
 *
 * - Field: GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and generator α = 2.
 * - Matrix: the n×k Vandermonde matrix V[i][j] = p_i^j over the points p_0 = 0, p_i = α^(i-1), made
 *   systematic as E = V · (V's top k×k)^-1, so rows 0..k-1 are the identity: shares 0..k-1 are the input
 *   blocks themselves and shares k..n-1 are the check blocks. Any k rows of E are independent, so any k
 *   shares rebuild the input.
 * - Limits: 1 ≤ k ≤ n ≤ 256; every block of one call has the same length.
 *
 * Speed comes from a full 256×256 product table (64 KiB) read four bytes per 32-bit word: a check block
 * is a sum of k products, each one table lookup per byte, with no branch in the inner loop. The code is checked against vectors made with zfec 1.5.2
 * (test/fixtures/files/zfec-vectors.json).
 */

export class FecParamsError extends Error {
  override name = 'FecParamsError';
}

const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
/** MUL[a * 256 + b] = a·b in GF(2^8). */
const MUL = new Uint8Array(256 * 256);

(function buildTables() {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    EXP[i + 255] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let a = 1; a < 256; a++) {
    for (let b = 1; b < 256; b++) MUL[a * 256 + b] = EXP[LOG[a]! + LOG[b]!]!;
  }
})();

export function gfMul(a: number, b: number): number {
  return MUL[(a << 8) | b]!;
}

function gfInverse(a: number): number {
  return EXP[255 - LOG[a]!]!;
}

/** Inverts a k×k matrix in place by Gauss–Jordan elimination; false if it is singular. */
function invertMatrix(m: Uint8Array, k: number): boolean {
  const inv = new Uint8Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let col = 0; col < k; col++) {
    let pivot = col;
    while (pivot < k && m[pivot * k + col] === 0) pivot++;
    if (pivot === k) return false;
    if (pivot !== col) {
      for (let j = 0; j < k; j++) {
        const a = col * k + j;
        const b = pivot * k + j;
        [m[a], m[b]] = [m[b]!, m[a]!];
        [inv[a], inv[b]] = [inv[b]!, inv[a]!];
      }
    }
    const scale = gfInverse(m[col * k + col]!);
    for (let j = 0; j < k; j++) {
      m[col * k + j] = gfMul(m[col * k + j]!, scale);
      inv[col * k + j] = gfMul(inv[col * k + j]!, scale);
    }
    for (let row = 0; row < k; row++) {
      const factor = row === col ? 0 : m[row * k + col]!;
      if (factor === 0) continue;
      for (let j = 0; j < k; j++) {
        m[row * k + j]! ^= gfMul(factor, m[col * k + j]!);
        inv[row * k + j]! ^= gfMul(factor, inv[col * k + j]!);
      }
    }
  }
  m.set(inv);
  return true;
}

/**
 * dst ^= c · src over 32-bit words: four table lookups per load and store. Byte lanes map to the same
 * addresses on the way in and out, so the result does not depend on the platform's byte order.
 */
function addMul(dst: Uint32Array, src: Uint32Array, c: number): void {
  const words = dst.length;
  if (c === 0) return;
  if (c === 1) {
    for (let q = 0; q < words; q++) dst[q]! ^= src[q]!;
    return;
  }
  const base = c << 8;
  const mul = MUL;
  for (let q = 0; q < words; q++) {
    const w = src[q]!;
    dst[q]! ^=
      mul[base | (w & 255)]! |
      (mul[base | ((w >>> 8) & 255)]! << 8) |
      (mul[base | ((w >>> 16) & 255)]! << 16) |
      (mul[base | (w >>> 24)]! << 24);
  }
}

/** Copies blocks into word-aligned buffers (a block may start at any byte of a larger array). */
function toWords(blocks: readonly Uint8Array[], size: number): Uint32Array[] {
  const words = (size + 3) >>> 2;
  return blocks.map((b) => {
    const w = new Uint32Array(words);
    new Uint8Array(w.buffer, 0, size).set(b);
    return w;
  });
}

/** The sum over j of row[j] · inputs[j], as `size` bytes. */
function combine(inputs: readonly Uint32Array[], row: Uint8Array, size: number): Uint8Array {
  const out = new Uint32Array(inputs[0]!.length);
  for (let j = 0; j < inputs.length; j++) addMul(out, inputs[j]!, row[j]!);
  return new Uint8Array(out.buffer, 0, size);
}

export class Fec {
  readonly k: number;
  readonly n: number;
  /** The systematic n×k encoding matrix, row-major. */
  readonly #matrix: Uint8Array;

  constructor(k: number, n: number) {
    if (!Number.isInteger(k) || !Number.isInteger(n) || k < 1 || n < k || n > 256) {
      throw new FecParamsError(`need 1 <= k <= n <= 256, got k=${k} n=${n}`);
    }
    this.k = k;
    this.n = n;
    const v = new Uint8Array(n * k);
    v[0] = 1;
    for (let i = 1; i < n; i++) {
      for (let j = 0; j < k; j++) v[i * k + j] = EXP[((i - 1) * j) % 255]!;
    }
    const top = v.slice(0, k * k);
    if (!invertMatrix(top, k)) throw new FecParamsError('Vandermonde top is singular');
    const e = new Uint8Array(n * k);
    for (let i = 0; i < k; i++) e[i * k + i] = 1;
    for (let i = k; i < n; i++) {
      for (let j = 0; j < k; j++) {
        let sum = 0;
        for (let t = 0; t < k; t++) sum ^= gfMul(v[i * k + t]!, top[t * k + j]!);
        e[i * k + j] = sum;
      }
    }
    this.#matrix = e;
  }

  /** The shares `ids` of the k equal-length input blocks (ids below k are the inputs, not copied). */
  encode(blocks: readonly Uint8Array[], ids: readonly number[]): Uint8Array[] {
    const { k, n } = this;
    if (blocks.length !== k) throw new FecParamsError(`encode needs ${k} blocks, got ${blocks.length}`);
    const size = blocks[0]!.length;
    for (const b of blocks) {
      if (b.length !== size) throw new FecParamsError('encode blocks differ in length');
    }
    let words: Uint32Array[] | undefined;
    return ids.map((id) => {
      if (!Number.isInteger(id) || id < 0 || id >= n) throw new FecParamsError(`share id ${id} out of range`);
      if (id < k) return blocks[id]!;
      words ??= toWords(blocks, size);
      return combine(words, this.#matrix.subarray(id * k, id * k + k), size);
    });
  }

  /**
   * The k input blocks from k shares with distinct `ids`. Throws FecParamsError on misuse (wrong count,
   * duplicate or out-of-range ids, unequal lengths): callers validate peer data before it gets here.
   */
  decode(blocks: readonly Uint8Array[], ids: readonly number[]): Uint8Array[] {
    const { k, n } = this;
    if (blocks.length !== k || ids.length !== k) throw new FecParamsError(`decode needs ${k} blocks`);
    const size = blocks[0]!.length;
    const seen = new Set<number>();
    for (let i = 0; i < k; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= n || seen.has(id)) {
        throw new FecParamsError(`bad or repeated share id ${id}`);
      }
      seen.add(id);
      if (blocks[i]!.length !== size) throw new FecParamsError('decode blocks differ in length');
    }
    const out: (Uint8Array | undefined)[] = Array.from({ length: k }, () => undefined);
    for (let i = 0; i < k; i++) if (ids[i]! < k) out[ids[i]!] = blocks[i]!;
    if (out.every((b) => b !== undefined)) return out as Uint8Array[];
    const sub = new Uint8Array(k * k);
    for (let i = 0; i < k; i++) sub.set(this.#matrix.subarray(ids[i]! * k, ids[i]! * k + k), i * k);
    if (!invertMatrix(sub, k)) throw new FecParamsError('share rows are singular');
    const words = toWords(blocks, size);
    for (let j = 0; j < k; j++) out[j] ??= combine(words, sub.subarray(j * k, j * k + k), size);
    return out as Uint8Array[];
  }
}
