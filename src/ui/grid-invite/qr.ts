/**
 * QR code of a text as one SVG path (uqr encodes; we draw), so the code is built from numbers and never
 * from markup. Runs of dark modules in a row become one rectangle, which keeps the path short.
 */
import { encode } from 'uqr';

export interface QrPath {
  /** Modules per side, quiet zone included. */
  size: number;
  /** `d` of a path filling the dark modules, in module units. */
  d: string;
}

/** A 4-module quiet zone (ISO/IEC 18004 §6.3.8): phone cameras find the code more reliably with it. */
const QUIET_ZONE = 4;

export function qrPath(text: string): QrPath {
  // The smallest version that holds the text at 'L' (7 % recovery, enough for a code shown on a screen),
  // then the highest recovery level that still fits that version (`boostEcc`): a short invitation link
  // (~60 characters, a 26-character code) is version 4, 33×33 modules, at level M.
  const { data, size } = encode(text, { ecc: 'L', boostEcc: true, border: QUIET_ZONE });
  const parts: string[] = [];
  data.forEach((row, y) => {
    for (let x = 0; x < size; x++) {
      if (!row[x]) continue;
      const start = x;
      while (x + 1 < size && row[x + 1]) x++;
      parts.push(`M${start} ${y}h${x - start + 1}v1h${-(x - start + 1)}z`);
    }
  });
  return { size, d: parts.join('') };
}
