/**
 * Tests quote PROTOCOL.md: `rule(text)` returns `text` for use as a test name and fails at load time if
 * the document no longer says it, so prose and behaviour cannot drift apart silently.
 */
import { readFileSync } from 'node:fs';

const protocol = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');

export function rule(text: string): string {
  if (!protocol.includes(text)) throw new Error(`PROTOCOL.md does not state: "${text}"`);
  return `PROTOCOL: ${text}`;
}
