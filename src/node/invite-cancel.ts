/**
 * Cancelled invitations (PROTOCOL.md §11): the inviter's signed word that a pending invitation is void.
 *
 * A cancellation is JSON `{ v: 1, inviter, grid, r, key, exp, sig }`: `r` the pending record's rendezvous
 * id, `key` the invitation's one-time public key (hex; public once used, useless before), `exp` the
 * invitation's expiry, `sig` the inviter's node signature over `gridnode/pending-cancel/v1\n · grid · r ·
 * key · exp`. It spreads over links like the pending record (frame 0x33), and every member then drops the
 * record with that `r` of that inviter, refuses the record if it hears it again, and refuses to witness a
 * redemption of `key` issued by that inviter — so the code is answered by nobody, and an invitation already fetched is not
 * countersigned either.
 *
 * Bounds (`cancelLimits`): at most 16 per inviter (the newest kept) and 256 in all; each kept until `exp`
 * (at most 7 days ahead; after that the invitation is expired anyway). Pure; time is an input.
 */
import { concatBytes, utf8 } from '../core/bytes.ts';
import { type NodeId, parseNodeId } from '../core/identity.ts';
import { base64urlDecode, base64urlEncode } from '../net/seal.ts';
import { pendingLimits } from './pending-invites.ts';

export const cancelLimits = { chars: 1024, perInviter: 16, total: 256 } as const;
export const CANCEL_DOMAIN = 'gridnode/pending-cancel/v1\n';

export interface Cancellation {
  inviter: NodeId;
  grid: string;
  r: string;
  /** The one-time public key of the invitation, hex. */
  key: string;
  exp: number;
  sig: string;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;

export function cancelMessage(c: Omit<Cancellation, 'sig' | 'inviter'>): Uint8Array {
  return concatBytes(utf8(CANCEL_DOMAIN), utf8(`${c.grid}\n${c.r}\n${c.key}\n${c.exp}`));
}

export async function signCancellation(
  fields: Omit<Cancellation, 'sig'>,
  sign: (message: Uint8Array) => Promise<Uint8Array>,
): Promise<Cancellation> {
  return { ...fields, sig: base64urlEncode(await sign(cancelMessage(fields))) };
}

export const encodeCancellation = (c: Cancellation) => ({ v: 1, ...c });

/** A cancellation as received, checked for shape and bounds (not yet its signature), or why not. */
export function parseCancellation(value: unknown, gridHex: string, now: number): Cancellation | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'cancel-bad-shape';
  const { v, inviter, grid, r, key, exp, sig } = value as Record<string, unknown>;
  if (v !== 1 || typeof inviter !== 'string' || !parseNodeId(inviter)) return 'cancel-bad-shape';
  if (typeof grid !== 'string' || !HEX64.test(grid) || typeof r !== 'string' || !HEX32.test(r))
    return 'cancel-bad-shape';
  if (typeof key !== 'string' || !HEX64.test(key) || typeof sig !== 'string') return 'cancel-bad-shape';
  if (grid !== gridHex) return 'cancel-other-grid';
  if (!Number.isSafeInteger(exp) || (exp as number) <= now) return 'cancel-expired';
  if ((exp as number) > now + pendingLimits.lifetimeMs) return 'cancel-too-long';
  return { inviter: inviter as NodeId, grid, r, key, exp: exp as number, sig };
}

/** The signature of a cancellation, as bytes, and the inviter's public key; undefined if malformed. */
export function cancelSignature(c: Cancellation) {
  const signature = base64urlDecode(c.sig);
  const key = parseNodeId(c.inviter);
  return signature?.length === 64 && key ? { signature, key, message: cancelMessage(c) } : undefined;
}

/** The cancellations a node keeps (to pass on to new links, and to refuse what they void). Pure. */
export class CancelTable {
  /** By `inviter r`: a member can cancel only its own records. */
  private readonly byR = new Map<string, Cancellation>();
  /** `inviter key`: only an invitation's own issuer can void it. */
  private readonly keys = new Set<string>();
  readonly dropped: Record<string, number> = {};

  get size(): number {
    return this.byR.size;
  }

  has(c: Cancellation): boolean {
    return this.byR.has(`${c.inviter} ${c.r}`);
  }

  /** Whether `issuer`'s invitation of this one-time key (hex) was cancelled by `issuer`. */
  voids(key: string, issuer: NodeId, now: number): boolean {
    this.prune(now);
    return this.keys.has(`${issuer} ${key}`);
  }

  /** Whether the pending record `r` of `inviter` was cancelled by that inviter. */
  cancels(r: string, inviter: NodeId, now: number): boolean {
    this.prune(now);
    return this.byR.has(`${inviter} ${r}`);
  }

  all(now: number): Cancellation[] {
    this.prune(now);
    return [...this.byR.values()];
  }

  /** Adds a verified cancellation; false if known or refused. */
  add(c: Cancellation, now: number): boolean {
    this.prune(now);
    if (this.has(c)) return false;
    if (c.exp <= now) return this.count('cancel-expired');
    const own = [...this.byR.values()].filter((x) => x.inviter === c.inviter);
    if (own.length >= cancelLimits.perInviter) {
      const oldest = own.sort((a, b) => a.exp - b.exp)[0]!;
      this.remove(`${oldest.inviter} ${oldest.r}`);
      this.count('cancel-inviter-full');
    }
    this.byR.set(`${c.inviter} ${c.r}`, c);
    this.keys.add(`${c.inviter} ${c.key}`);
    while (this.byR.size > cancelLimits.total) {
      this.remove(this.byR.keys().next().value!);
      this.count('cancel-table-full');
    }
    return true;
  }

  private remove(id: string): void {
    const c = this.byR.get(id);
    this.byR.delete(id);
    if (c) this.keys.delete(`${c.inviter} ${c.key}`);
  }

  private prune(now: number): void {
    for (const [id, c] of this.byR) if (c.exp <= now) this.remove(id);
  }

  private count(reason: string): false {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    return false;
  }
}
