/**
 * The control panel's text fields, parsed at the edge: one relay or ICE server per line. Each parser
 * returns the values or, for the first bad line, a message saying which line and why.
 */
import { checkIceServers, checkRelays } from '../../core/inputs.ts';
import type { IceServer } from '../controller.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

/** Relays: `ws://` or `wss://` URLs. */
export function parseRelays(text: string): Parsed<string[]> {
  const relays: string[] = [];
  for (const [i, line] of lines(text).entries()) {
    let url: URL;
    try {
      url = new URL(line);
    } catch {
      return { ok: false, error: `Relay ${i + 1} is not a URL.` };
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
      return { ok: false, error: `Relay ${i + 1} must start with ws:// or wss://.` };
    relays.push(line);
  }
  const checked = checkRelays(relays);
  return checked.ok ? { ok: true, value: checked.value } : { ok: false, error: checked.message };
}

/** ICE servers: `stun:host:port`, or `turn:host:port username credential` (TURN needs both). */
export function parseIceServers(text: string): Parsed<IceServer[]> {
  const servers: IceServer[] = [];
  for (const [i, line] of lines(text).entries()) {
    const [urls = '', username, credential, ...rest] = line.split(/\s+/);
    if (!/^(stuns?|turns?):\S+$/.test(urls) || rest.length > 0)
      return { ok: false, error: `ICE server ${i + 1} must be "stun:…" or "turn:… username credential".` };
    if (urls.startsWith('turn') && (!username || !credential))
      return { ok: false, error: `ICE server ${i + 1} (TURN) needs a username and a credential.` };
    servers.push(username && credential ? { urls, username, credential } : { urls });
  }
  // The node's own rule (lengths, how many), so the form never offers what setIceServers refuses.
  const checked = checkIceServers(servers);
  return checked.ok ? { ok: true, value: servers } : { ok: false, error: checked.message };
}

/** The inverse of `parseIceServers`, for showing the current list. */
export function formatIceServers(servers: readonly IceServer[]): string {
  return servers
    .flatMap((s) =>
      (Array.isArray(s.urls) ? s.urls : [s.urls]).map((url) =>
        [url, s.username, s.credential].filter((x) => typeof x === 'string' && x).join(' '),
      ),
    )
    .join('\n');
}
