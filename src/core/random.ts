/**
 * Randomness as an input. The core never calls Math.random or crypto.getRandomValues: it is handed a
 * `Random`, so a simulation with the same seed replays exactly, and a browser node passes a
 * cryptographic one (nonces must not repeat across restarts, which a seeded source cannot promise).
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** n uniformly random bytes. */
  bytes(n: number): Uint8Array;
}

/** A seeded source: sfc32 (Chris Doty-Humphrey's small fast counter), seeded through splitmix32. */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const u32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  return {
    next: () => u32() / 4294967296,
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const v = u32();
        for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
      }
      return out;
    },
  };
}

/** `ms` scaled by a random factor in [low, low + spread), in whole milliseconds (PROTOCOL.md §6, clocks). */
export function jittered(random: Random, ms: number, low: number, spread: number): number {
  return Math.round(ms * (low + spread * random.next()));
}
