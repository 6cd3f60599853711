/**
 * Announcements: what a node says about itself, signed by its key and gossiped unchanged.
 *
 * Wire format (all integers are canonical varints, see codec.ts):
 *
 *   envelope  = kind:u8 (=1) · origin:32 · body:bytes · signature:64
 *   body      = version:u8 (=1) · gridId:32 · seqnum:varint · nonce:16 · nickname:string
 *               · services:map(name → map(key → value)) · hints:list(string) · membership:bytes
 *   signature = ed25519(originKey, DOMAIN · origin · body)
 *
 * Rules (PROTOCOL.md §2):
 * - The signed message starts with a domain-separation string, so an announcement signature can never be
 *   replayed as any other kind of signed object, nor the other way round.
 * - The origin key is inside the signed message, binding the body to one signer.
 * - Receivers verify the exact bytes they received and forward those bytes; nobody re-encodes a body.
 * - The nonce makes every announcement distinct even when nothing else changed, so a refresh is always a
 *   new byte string with a new hash.
 * - `membership` is opaque here; the membership layer fills and checks it.
 */
import { utf8 } from './bytes.ts';
import { DecodeError, type Decoded, Writer, type Reader, decode } from './codec.ts';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './identity.ts';

export const ENVELOPE_KIND_ANNOUNCEMENT = 1;
export const BODY_VERSION = 1;
export const GRID_ID_BYTES = 32;
export const NONCE_BYTES = 16;
export const DOMAIN_ANNOUNCEMENT = utf8('gridnode/announcement/v1\n');

/** Bounds on every field: what one origin can make every node decode and store. */
export const limits = Object.freeze({
  nicknameBytes: 64,
  services: 32,
  serviceNameBytes: 64,
  paramsPerService: 16,
  paramKeyBytes: 64,
  paramValueBytes: 1024,
  hints: 8,
  hintBytes: 256,
  membershipBytes: 8 * 1024,
});

/** Service names and parameter keys: lowercase words, digits, `-`, `_`, `.`, starting with a letter. */
const NAME = /^[a-z][a-z0-9._-]*$/;

export type ServiceParams = Readonly<Record<string, string>>;
export type Services = Readonly<Record<string, ServiceParams>>;

export interface AnnouncementBody {
  readonly version: number;
  readonly gridId: Uint8Array;
  readonly seqnum: number;
  readonly nonce: Uint8Array;
  readonly nickname: string;
  readonly services: Services;
  readonly hints: readonly string[];
  readonly membership: Uint8Array;
}

/** A decoded envelope: the exact bytes received, and views into them. */
export interface Envelope {
  readonly bytes: Uint8Array;
  readonly origin: Uint8Array;
  readonly body: Uint8Array;
  readonly signature: Uint8Array;
}

export class EncodeError extends Error {
  override name = 'EncodeError';
}

function sortedKeys(record: Readonly<Record<string, unknown>>): string[] {
  // Byte order of UTF-8 equals code-point order; names are ASCII, so plain string order is byte order.
  return Object.keys(record).sort();
}

function checkName(kind: string, name: string, maxBytes: number): void {
  if (!NAME.test(name) || name.length > maxBytes)
    throw new EncodeError(`invalid ${kind}: ${JSON.stringify(name)}`);
}

function checkString(kind: string, text: string, maxBytes: number): void {
  if (utf8(text.normalize('NFC')).length > maxBytes)
    throw new EncodeError(`${kind} longer than ${maxBytes} bytes`);
}

/** Encodes a body canonically. Throws `EncodeError` on a caller's mistake (never reached by peer bytes). */
export function encodeBody(body: AnnouncementBody): Uint8Array {
  if (body.gridId.length !== GRID_ID_BYTES) throw new EncodeError('gridId must be 32 bytes');
  if (body.nonce.length !== NONCE_BYTES) throw new EncodeError('nonce must be 16 bytes');
  if (!Number.isSafeInteger(body.seqnum) || body.seqnum < 0) throw new EncodeError('seqnum out of range');
  checkString('nickname', body.nickname, limits.nicknameBytes);
  const names = sortedKeys(body.services);
  if (names.length > limits.services) throw new EncodeError('too many services');
  if (body.hints.length > limits.hints) throw new EncodeError('too many hints');
  if (body.membership.length > limits.membershipBytes) throw new EncodeError('membership too large');

  for (const name of names) {
    checkName('service name', name, limits.serviceNameBytes);
    const params = body.services[name]!;
    const keys = Object.keys(params);
    if (keys.length > limits.paramsPerService) throw new EncodeError(`too many parameters for ${name}`);
    for (const key of keys) {
      checkName('parameter key', key, limits.paramKeyBytes);
      checkString('parameter value', params[key]!, limits.paramValueBytes);
    }
  }
  for (const hint of body.hints) checkString('hint', hint, limits.hintBytes);

  // Everything is checked: writing cannot fail half-way.
  const w = new Writer().u8(body.version).raw(body.gridId).varint(body.seqnum).raw(body.nonce);
  w.string(body.nickname).varint(names.length);
  for (const name of names) {
    const params = body.services[name]!;
    const keys = sortedKeys(params);
    w.string(name).varint(keys.length);
    for (const key of keys) w.string(key).string(params[key]!);
  }
  w.varint(body.hints.length);
  for (const hint of body.hints) w.string(hint);
  return w.bytes(body.membership).finish();
}

function readName(r: Reader, maxBytes: number, previous: string | undefined): string {
  const name = r.string(maxBytes);
  if (!NAME.test(name)) throw new DecodeError('invalid-name');
  if (previous !== undefined && !(previous < name)) throw new DecodeError('unsorted-or-duplicate-key');
  return name;
}

function readBody(r: Reader): AnnouncementBody {
  const version = r.u8();
  if (version !== BODY_VERSION) throw new DecodeError('unsupported-version');
  const gridId = r.raw(GRID_ID_BYTES);
  const seqnum = r.varint();
  const nonce = r.raw(NONCE_BYTES);
  const nickname = r.string(limits.nicknameBytes);
  const services: Record<string, ServiceParams> = Object.create(null);
  const serviceCount = r.varint(limits.services);
  let previousName: string | undefined;
  for (let i = 0; i < serviceCount; i++) {
    const name = (previousName = readName(r, limits.serviceNameBytes, previousName));
    const params: Record<string, string> = Object.create(null);
    const paramCount = r.varint(limits.paramsPerService);
    let previousKey: string | undefined;
    for (let j = 0; j < paramCount; j++) {
      const key = (previousKey = readName(r, limits.paramKeyBytes, previousKey));
      params[key] = r.string(limits.paramValueBytes);
    }
    services[name] = params;
  }
  const hints: string[] = [];
  const hintCount = r.varint(limits.hints);
  for (let i = 0; i < hintCount; i++) hints.push(r.string(limits.hintBytes));
  const membership = r.bytes(limits.membershipBytes);
  return { version, gridId, seqnum, nonce, nickname, services, hints, membership };
}

export function decodeBody(bytes: Uint8Array): Decoded<AnnouncementBody> {
  return decode(bytes, readBody);
}

/** The exact message an origin signs: domain · origin key · body. */
export function signedMessage(origin: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN_ANNOUNCEMENT.length + origin.length + body.length);
  out.set(DOMAIN_ANNOUNCEMENT, 0);
  out.set(origin, DOMAIN_ANNOUNCEMENT.length);
  out.set(body, DOMAIN_ANNOUNCEMENT.length + origin.length);
  return out;
}

export function encodeEnvelope(origin: Uint8Array, body: Uint8Array, signature: Uint8Array): Uint8Array {
  if (origin.length !== PUBLIC_KEY_BYTES) throw new EncodeError('origin must be 32 bytes');
  if (signature.length !== SIGNATURE_BYTES) throw new EncodeError('signature must be 64 bytes');
  return new Writer().u8(ENVELOPE_KIND_ANNOUNCEMENT).raw(origin).bytes(body).raw(signature).finish();
}

/** Splits envelope bytes into views; the body is checked separately (`decodeBody`). */
export function decodeEnvelope(bytes: Uint8Array, maxBodyBytes: number): Decoded<Envelope> {
  return decode(bytes, (r) => {
    if (r.u8() !== ENVELOPE_KIND_ANNOUNCEMENT) throw new DecodeError('unknown-envelope-kind');
    const origin = r.raw(PUBLIC_KEY_BYTES);
    const body = r.bytes(maxBodyBytes);
    const signature = r.raw(SIGNATURE_BYTES);
    return { bytes, origin, body, signature };
  });
}
