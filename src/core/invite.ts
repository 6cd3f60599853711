/**
 * Invitations (PROTOCOL.md §8): a single-use bearer capability in a URL fragment.
 *
 *   invite = version:u8 (=1) · descriptor:bytes · chain:list(certificate) · oneTimeSecret:32
 *            · relays:list(string) · hints:list(string)
 *
 * `chain` is the inviter's own chain followed by the invitation certificate, whose subject is the public
 * key of `oneTimeSecret`. Whoever holds the code can redeem it once — by signing their own node
 * certificate with the one-time key — without the inviter being online. `hints` name members to reach
 * first (the inviter and some of its peers); `relays` are where to find them.
 *
 * The code travels as base64url in `#invite=…`: a fragment is never sent to any server.
 */
import { type Decoded, DecodeError, Writer, decode } from './codec.ts';
import {
  type Certificate,
  type Descriptor,
  type Witness,
  decodeMembership,
  encodeMembership,
} from './membership.ts';

const INVITE_VERSION = 1;
const MAX_RELAYS = 8;
const MAX_HINTS = 8;

export interface Invite {
  readonly descriptor: Descriptor;
  readonly chain: readonly Certificate[];
  readonly oneTimeSecret: Uint8Array;
  readonly relays: readonly string[];
  readonly hints: readonly string[];
}

export class InviteError extends Error {
  override name = 'InviteError';
}

export function encodeInvite(invite: Invite): Uint8Array {
  // The descriptor and chain use the membership field's encoding, so one decoder checks both.
  const membership = encodeMembership({
    descriptor: invite.descriptor,
    chain: invite.chain,
    revocations: [],
    leaving: false,
  });
  const w = new Writer().u8(INVITE_VERSION).bytes(membership).raw(invite.oneTimeSecret);
  w.varint(Math.min(invite.relays.length, MAX_RELAYS));
  for (const relay of invite.relays.slice(0, MAX_RELAYS)) w.string(relay);
  w.varint(Math.min(invite.hints.length, MAX_HINTS));
  for (const hint of invite.hints.slice(0, MAX_HINTS)) w.string(hint);
  return w.finish();
}

export function decodeInvite(bytes: Uint8Array): Decoded<Invite> {
  return decode(bytes, (r) => {
    if (r.u8() !== INVITE_VERSION) throw new DecodeError('unsupported-invite-version');
    const membership = decodeMembership(r.bytes(16 * 1024));
    if (!membership.ok) throw new DecodeError(membership.reason);
    const oneTimeSecret = r.raw(32);
    const relays: string[] = [];
    for (let n = r.varint(MAX_RELAYS); n > 0; n--) relays.push(r.string(512));
    const hints: string[] = [];
    for (let n = r.varint(MAX_HINTS); n > 0; n--) hints.push(r.string(128));
    const { descriptor, chain } = membership.value;
    return { descriptor, chain, oneTimeSecret, relays, hints };
  });
}

/** The code inside a pasted link (`…#invite=CODE`), or the pasted code itself. */
export function inviteCodeOf(urlOrCode: string): string {
  const text = urlOrCode.trim();
  const at = text.indexOf('#invite=');
  return at >= 0 ? text.slice(at + '#invite='.length) : text;
}

/**
 * A witness's answer to a redemption request:
 *
 *   witnessReply = witnessKey:32 · witnessedAt:varint · signature:64 · membership (the witness's own)
 *
 * `witnessedAt` is the witness's clock when it signed (certificate.ts), so the invitee learns the date
 * every node will judge its redemption by.
 */
export function encodeWitnessReply(w: Witness, descriptor: Descriptor): Uint8Array {
  const own = encodeMembership({ descriptor, chain: w.chain, revocations: [], leaving: false });
  return new Writer().raw(w.key).varint(w.at).raw(w.signature).raw(own).finish();
}

export function decodeWitnessReply(bytes: Uint8Array): Decoded<Witness> {
  return decode(bytes, (r) => {
    const key = r.raw(32);
    const at = r.varint();
    const signature = r.raw(64);
    const own = decodeMembership(r.raw(r.remaining));
    if (!own.ok) throw new DecodeError(own.reason);
    return { key, at, signature, chain: own.value.chain };
  });
}
