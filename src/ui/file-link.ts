/**
 * Share links for files: `…/#file=<cap>&name=<name>`, both URL-encoded. The link lives in the fragment so
 * that the cap (which is the key to the file) is never sent to a server; the page takes it out of the
 * address bar and history before anything else (src/main.ts), like an invitation.
 *
 * A link is untrusted input: `parseFileLink` keeps only a cap-shaped string of bounded length and makes
 * the name safe to show and to save under (no path separators, no control or direction-override
 * characters, bounded length). The files service still checks the cap itself.
 */

export interface FileLink {
  cap: string;
  name: string;
}

/** Longer than any CHK cap (a LIT cap holds its file, so only small files fit). */
export const MAX_CAP_LENGTH = 2048;
export const MAX_NAME_LENGTH = 200;
const CAP = /^URI:[A-Za-z0-9:_-]+$/;

/** A `URI:LIT:` cap holds its (small) file itself: reading it needs no server. */
export const isLiteral = (cap: string): boolean => cap.startsWith('URI:LIT:');

/** The share link for `cap` under the page address `base` (origin and path, without query or fragment). */
export function fileLink(base: string, cap: string, name: string): string {
  return `${base}#file=${encodeURIComponent(cap)}&name=${encodeURIComponent(name)}`;
}

/** The link in a fragment (`#file=…&name=…`), or undefined if `hash` is not a usable one. */
export function parseFileLink(hash: string): FileLink | undefined {
  if (!hash.startsWith('#file=') || hash.length > 4 * (MAX_CAP_LENGTH + MAX_NAME_LENGTH)) return undefined;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(hash.slice(1));
  } catch {
    return undefined;
  }
  const cap = params.get('file') ?? '';
  if (cap.length > MAX_CAP_LENGTH || !CAP.test(cap)) return undefined;
  return { cap, name: safeFileName(params.get('name') ?? '') };
}

/** A name to show and save a file under: one path segment, printable, bounded; 'download' if none is left. */
export function safeFileName(name: string): string {
  const cleaned = name
    // Control characters and the marks that reorder text ("txt.exe" shown as "exe.txt").
    .replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '')
    .replace(/[/\\]/g, '_')
    .trim();
  const bounded = [...cleaned].slice(0, MAX_NAME_LENGTH).join('');
  return bounded === '' || bounded === '.' || bounded === '..' ? 'download' : bounded;
}
