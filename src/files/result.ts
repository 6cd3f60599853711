/**
 * How the file layer answers about untrusted bytes (caps, shares, UEBs from peers or storage): a value or
 * a named reason, never an exception. Reasons are short kebab-case words that callers count and tests
 * match (`'bad-ueb-hash'`, `'truncated'`, …), followed by a detail for logs.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(reason: string): Result<T> => ({ ok: false, reason });

/** Programmer errors in the file layer (bad parameters from our own code): thrown at once. */
export class FileParamsError extends Error {
  override name = 'FileParamsError';
}
