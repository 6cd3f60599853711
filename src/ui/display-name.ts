/**
 * How the dashboard shows a name someone else chose (a nickname, a grid's name, a petname another script
 * of this origin could have stored), so that a person deciding something — revoke, allow, deny, join —
 * knows whom they decide about (SECURITY-REVIEW.md #14).
 *
 * Rules:
 * - A shown name is NFC, holds no control, format (bidi marks, embeddings, overrides, isolates, zero-width
 *   characters, tags), private-use, unassigned or lone-surrogate code points and no blank fillers; runs of
 *   white space are one space; at most `MAX_MARKS` combining marks follow a letter; it is at most
 *   `MAX_NAME_CHARS` characters (graphemes), cut with "…". A name with nothing left is no name.
 * - A member is shown as its name with its short id (`name (ab12cd34)`), or the short id alone: the id
 *   comes from the member's key, the name from anyone.
 * - Two members whose names look alike (the same `skeleton`: case, accents, spacing, common Cyrillic and
 *   Greek lookalikes and digit/letter confusions folded), or whose name looks like another's short id, are
 *   both marked `lookalike`.
 * Pure: no DOM, no clock; never throws, whatever it is given.
 */

/** Characters of a shown name, before "…". */
export const MAX_NAME_CHARS = 40;
/** Characters of shown free text (a reason, a sentence naming a grid). */
export const MAX_TEXT_CHARS = 300;
/** Combining marks kept after one base character ("Zalgo" text stacks hundreds). */
export const MAX_MARKS = 3;

// Cc controls, Cf format (bidi controls, ZWSP/ZWJ/ZWNJ, word joiner, BOM, tags, soft hyphen…), Co private
// use, Cs lone surrogates, Cn unassigned, line and paragraph separators, and letters that draw nothing
// (combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian selectors, braille blank).
const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\uffa0]/gu;
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
const SPACES = /\p{Zs}+/gu;
const MARK_RUN = new RegExp(`(\\p{M}{${MAX_MARKS}})\\p{M}+`, 'gu');

const segmenter =
  typeof Intl !== 'undefined' && 'Segmenter' in Intl
    ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    : undefined;

function graphemes(text: string): string[] {
  return segmenter ? Array.from(segmenter.segment(text), (s) => s.segment) : Array.from(text);
}

// Printable ASCII with single spaces: nothing to strip, normalise or cut by grapheme (most names).
const PLAIN = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;

/**
 * A bounded memo: the dashboard names every member on every render, while names rarely change. Cleared
 * when full, so a stream of new names costs their cleaning, never memory.
 */
function memo<T>(limit: number, compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      if (cache.size >= limit) cache.clear();
      cache.set(key, (value = compute(key)));
    }
    return value;
  };
}

function clean(raw: string, max: number): string {
  // Bounded before any work: a peer's string is at most a few hundred bytes, but this never trusts that.
  let text = raw.length > max * 16 ? raw.slice(0, max * 16) : raw;
  if (text.length <= max && PLAIN.test(text)) return text;
  try {
    text = text.normalize('NFC');
  } catch {
    // Never thrown for strings, but a name is worth less than a dashboard.
  }
  text = text.replace(BREAKS, ' ').replace(INVISIBLE, '').replace(MARK_RUN, '$1').replace(SPACES, ' ').trim();
  if (text.length <= max) return text;
  const chars = graphemes(text);
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

const cleanMemo = memo(4096, (key) => {
  const at = key.indexOf(':');
  return clean(key.slice(at + 1), Number(key.slice(0, at)));
});

/** `text` made safe to show: see the rules above. Empty when nothing visible is left. */
export function cleanText(raw: unknown, max: number = MAX_TEXT_CHARS): string {
  if (typeof raw !== 'string' || raw === '') return '';
  return raw.length > max * 16 ? clean(raw, max) : cleanMemo(`${max}:${raw}`);
}

/** A name to show, or undefined when it has nothing visible. */
export function cleanName(raw: unknown, max: number = MAX_NAME_CHARS): string | undefined {
  return cleanText(raw, max) || undefined;
}

/** A grid's name as shown (beside its fingerprint, always): cleaned, or "unnamed grid". */
export const gridName = (raw: unknown): string => cleanName(raw, 64) ?? 'unnamed grid';

/** The first 8 characters of a node id after its version (`v0-…`): what people compare at a glance. */
export const shortId = (id: string): string => (id.startsWith('v0-') ? id.slice(3, 11) : id.slice(0, 8));

// Letters of other scripts drawn like Latin ones, and Latin letters and digits mistaken for each other.
// prettier-ignore
const CONFUSABLE: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  ѕ: 's', і: 'l', ї: 'l', ј: 'j', һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w', ү: 'y', ӏ: 'l', ɡ: 'g', α: 'a', β: 'b',
  ε: 'e', η: 'n', ι: 'l', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w', ı: 'l', ʟ: 'l',
  '0': 'o', '1': 'l', '|': 'l', '!': 'l', '5': 's', $: 's', '@': 'a', i: 'l', ø: 'o', đ: 'd', ħ: 'h', ł: 'l',
  ß: 'ss', æ: 'ae', œ: 'oe',
};

/**
 * What a name looks like, for telling whether two look alike: compatibility-folded, lowercase, without
 * accents, spaces or punctuation, with lookalike letters made one. Not shown to anyone.
 */
export function skeleton(name: string): string {
  return skeletonMemo(cleanText(name, MAX_NAME_CHARS * 2));
}

const skeletonMemo = memo(4096, (name) => {
  let text = name.normalize('NFKD').toLowerCase().replace(/\p{M}/gu, '');
  text = Array.from(text, (c) => CONFUSABLE[c] ?? c).join('');
  return text
    .replace(/[\s\p{P}\p{S}]/gu, (c) => CONFUSABLE[c] ?? '')
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w');
});

/** One member (or any node id) as shown. */
export interface DisplayName {
  /** The full id, for a tooltip and for keys. */
  id: string;
  /** `shortId(id)`. */
  short: string;
  /** The cleaned name, if there is one. */
  name: string | undefined;
  /** `name (short)`, or `short` alone: for text where only a string fits (labels, options, titles). */
  label: string;
  /** Another member's name looks like this one (or like this one's short id): tell them apart by the id. */
  lookalike: boolean;
}

/** `id` named by the first of `names` with anything visible in it. */
export function displayName(id: string, ...names: readonly (string | undefined)[]): DisplayName {
  const short = shortId(id);
  let name: string | undefined;
  for (const candidate of names) if ((name = cleanName(candidate))) break;
  return { id, short, name, label: name ? `${name} (${short})` : short, lookalike: false };
}

/**
 * The same names with `lookalike` set on every one that looks like another id's: what is shown (the name,
 * else the short id) has the skeleton of another id's name or short id (a nickname spelt like someone's
 * id counts). Linear in the number of names.
 */
export function markLookalikes(names: readonly DisplayName[]): DisplayName[] {
  const owners = new Map<string, Set<string>>();
  const add = (key: string, id: string) => {
    if (!key) return;
    let ids = owners.get(key);
    if (!ids) owners.set(key, (ids = new Set()));
    ids.add(id);
  };
  const shown = names.map((n) => skeleton(n.name ?? n.short));
  names.forEach((n, i) => {
    add(shown[i]!, n.id);
    if (n.name) add(skeleton(n.short), n.id);
  });
  return names.map((n, i) => {
    const lookalike = (owners.get(shown[i]!)?.size ?? 0) > 1;
    return lookalike === n.lookalike ? n : { ...n, lookalike };
  });
}
