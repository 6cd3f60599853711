/**
 * The user's own names for members ("petnames"): kept in this browser only, never sent anywhere. Stored as
 * one JSON object under a key of the caller's choosing; whatever else is found there is ignored.
 */

/** Where petnames are kept: `localStorage` in the page, a fake in tests. */
export type PetnameStorage = Pick<Storage, 'getItem' | 'setItem'>;

export function defaultPetnameStorage(): PetnameStorage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    // Opaque origins and some privacy modes throw on access: petnames then last for the page only.
    return undefined;
  }
}

export function loadPetnames(storage: PetnameStorage | undefined, key: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(key) ?? '{}');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    // Stored by this page, but another script of this origin could have written anything there.
    return Object.fromEntries(
      Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
    );
  } catch {
    return {};
  }
}

/** `petnames` with `id` named `petname` (trimmed; empty removes it), saved where it can be. */
export function withPetname(
  petnames: Record<string, string>,
  id: string,
  petname: string,
  storage: PetnameStorage | undefined,
  key: string,
): Record<string, string> {
  const name = petname.trim();
  let next: Record<string, string>;
  if (name) next = { ...petnames, [id]: name };
  else {
    const { [id]: _, ...rest } = petnames;
    next = rest;
  }
  try {
    storage?.setItem(key, JSON.stringify(next));
  } catch {
    // Quota or privacy mode: the name still holds for this page.
  }
  return next;
}
