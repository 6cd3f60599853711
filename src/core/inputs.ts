/**
 * What a person may type into the fields an announcement carries, checked where it enters (GridNode, the
 * control panel, commands from follower tabs) by the same rules the encoder enforces, so nothing that
 * would make every later announcement fail is ever persisted (SECURITY-REVIEW finding 12: a nickname of
 * 40 "é" is 40 characters but 80 bytes, and once stored it stopped every announcement for good).
 *
 * Rules:
 * - A nickname is stored in NFC, is at most `limits.nicknameBytes` UTF-8 bytes, and has no control
 *   characters and no bidirectional formatting characters (they can make a name display as another).
 * - A service name is a lowercase word (`[a-z][a-z0-9._-]*`) of at most `limits.serviceNameBytes`; a
 *   service has at most `limits.paramsPerService` parameters, whose keys follow the same grammar and whose
 *   values are at most `limits.paramValueBytes` UTF-8 bytes.
 * - A relay list holds 1 to 8 ws:// or wss:// URLs.
 * - A grid name is stored in NFC (receivers refuse a descriptor whose name is not), 1 to
 *   `GRID_NAME_BYTES` UTF-8 bytes after trimming, with no control or bidirectional formatting characters.
 * - An ICE server list holds at most `MAX_ICE_SERVERS` servers, each with 1 to 4 stun:, stuns:, turn: or
 *   turns: URLs of at most 512 characters; a TURN server has a username and a credential (strings of at
 *   most 512 characters).
 * Each check returns the value to use or a sentence a person can act on; none throws.
 */
import { limits, type ServiceParams } from './announcement.ts';
import { utf8 } from './bytes.ts';
import { GRID_NAME_BYTES } from './certificate.ts';

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const NAME = /^[a-z][a-z0-9._-]*$/;
// C0 and C1 controls, and the bidi marks, embeddings, overrides and isolates (Unicode UAX #9).
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
export const MAX_RELAYS = 8;
export const MAX_ICE_SERVERS = 8;

const fail = <T>(message: string): Checked<T> => ({ ok: false, message });

export function checkNickname(text: string): Checked<string> {
  if (typeof text !== 'string') return fail('A nickname is text.');
  const value = text.normalize('NFC');
  if (CONTROL_OR_BIDI.test(value))
    return fail('A nickname cannot hold control or text-direction characters.');
  const bytes = utf8(value).length;
  if (bytes > limits.nicknameBytes) {
    return fail(
      `A nickname is at most ${limits.nicknameBytes} bytes; this one takes ${bytes} (accented letters and ` +
        'other non-English characters take two to four bytes each).',
    );
  }
  return { ok: true, value };
}

export function checkServiceName(name: string): Checked<string> {
  if (typeof name !== 'string' || !NAME.test(name) || name.length > limits.serviceNameBytes) {
    return fail(
      `A service name is a lowercase word of letters, digits, “.”, “_” or “-”, starting with a letter, of at ` +
        `most ${limits.serviceNameBytes} characters.`,
    );
  }
  return { ok: true, value: name };
}

export function checkServiceParams(params: unknown): Checked<ServiceParams> {
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return fail('Service parameters are names with text values.');
  const entries = Object.entries(params);
  if (entries.length > limits.paramsPerService)
    return fail(`A service has at most ${limits.paramsPerService} parameters.`);
  const value: Record<string, string> = {};
  for (const [key, text] of entries) {
    if (!NAME.test(key) || key.length > limits.paramKeyBytes)
      return fail(`“${key}” is not a parameter name: lowercase letters, digits, “.”, “_” or “-”.`);
    if (typeof text !== 'string') return fail(`The value of “${key}” must be text.`);
    const normal = text.normalize('NFC');
    if (utf8(normal).length > limits.paramValueBytes)
      return fail(`The value of “${key}” is longer than ${limits.paramValueBytes} bytes.`);
    value[key] = normal;
  }
  return { ok: true, value };
}

export function checkRelays(urls: unknown): Checked<string[]> {
  if (!Array.isArray(urls) || urls.length === 0)
    return fail('Give at least one relay (a ws:// or wss:// address): without one the node cannot join.');
  if (urls.length > MAX_RELAYS) return fail(`Give at most ${MAX_RELAYS} relays.`);
  const value: string[] = [];
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = typeof url === 'string' ? new URL(url) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:'))
      return fail(`“${String(url)}” is not a relay address: it starts with ws:// or wss://.`);
    value.push(url as string);
  }
  return { ok: true, value: [...new Set(value)] };
}

export function checkGridName(text: unknown): Checked<string> {
  if (typeof text !== 'string') return fail('A grid name is text.');
  const value = text.trim().normalize('NFC');
  if (!value) return fail('Give the grid a name.');
  if (CONTROL_OR_BIDI.test(value))
    return fail('A grid name cannot hold control or text-direction characters.');
  const bytes = utf8(value).length;
  if (bytes > GRID_NAME_BYTES)
    return fail(`A grid name is at most ${GRID_NAME_BYTES} bytes; this one takes ${bytes}.`);
  return { ok: true, value };
}

const ICE_URL = /^(stuns?|turns?):[^\s]{1,505}$/i;
const shortText = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 512;

export function checkIceServers(servers: unknown): Checked<RTCIceServer[]> {
  if (!Array.isArray(servers)) return fail('ICE servers are a list.');
  if (servers.length > MAX_ICE_SERVERS) return fail(`Give at most ${MAX_ICE_SERVERS} ICE servers.`);
  const value: RTCIceServer[] = [];
  for (const [i, server] of servers.entries()) {
    const s = (typeof server === 'object' && server !== null ? server : {}) as Record<string, unknown>;
    const urls = [s.urls].flat();
    if (urls.length < 1 || urls.length > 4 || !urls.every((u) => typeof u === 'string' && ICE_URL.test(u)))
      return fail(`ICE server ${i + 1} needs 1 to 4 addresses starting with stun:, stuns:, turn: or turns:.`);
    const turn = (urls as string[]).some((u) => /^turns?:/i.test(u));
    if (turn && (!shortText(s.username) || !shortText(s.credential)))
      return fail(`ICE server ${i + 1} (TURN) needs a username and a credential.`);
    const copy: RTCIceServer = {
      urls: Array.isArray(s.urls) ? [...(urls as string[])] : (urls[0] as string),
    };
    if (shortText(s.username)) copy.username = s.username as string;
    if (shortText(s.credential)) copy.credential = s.credential as string;
    value.push(copy);
  }
  return { ok: true, value };
}
