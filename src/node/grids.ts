/**
 * Founding, inviting and joining grids: the signing steps around the pure membership rules in
 * `core/membership.ts`, and how a membership is kept in IndexedDB.
 *
 * One identity for all grids: a node uses the same key in every grid it joins. Tahoe-LAFS chose one key
 * per node for the same reason (seed 000: reciprocal storage grants are easier when "you" are one key), and
 * a browser profile already runs exactly one node. Grids stay separate anyway: each has its own id, topic,
 * sealing key, counter and tables, and a certificate names the grid it is for.
 */
import { checkGridName } from '../core/inputs.ts';
import * as ed from '@noble/ed25519';
import {
  decodeWitnessReply,
  encodeWitnessReply,
  witnessMessage,
  CERT_INVITATION,
  CERT_NODE,
  type Certificate,
  type SigCheck,
  type Descriptor,
  GridMembership,
  type Invite,
  InviteError,
  type MemberRole,
  type NodeId,
  certificateMessage,
  decodeInvite,
  decodeMembership,
  descriptorMessage,
  encodeInvite,
  encodeMembership,
  fromHex,
  gridIdOf,
  inviteCodeOf,
  nodeIdString,
  signedCertificate,
  signedDescriptor,
  toHex,
} from '../core/index.ts';
import { type Signer, nobleSigner, verifySync } from '../crypto/ed25519.ts';
import { base64urlDecode, base64urlEncode } from '../net/seal.ts';

export interface ActiveGrid {
  readonly id: Uint8Array;
  readonly hex: string;
  readonly name: string;
  /** A development grid joined by name: no membership is checked. */
  readonly open: boolean;
  readonly descriptor?: Descriptor;
  readonly chain: readonly Certificate[];
  /** Only the founder holds it (exportable as a backup). */
  readonly gridSecret?: Uint8Array;
  readonly role: MemberRole;
  readonly canInvite: boolean;
  readonly invitedBy?: NodeId;
}

export interface GridInfo {
  id: string;
  name: string;
  role: MemberRole;
  canInvite: boolean;
  invitedBy?: string;
}

export const DAY_MS = 86_400_000;

export function gridInfo(grid: ActiveGrid): GridInfo {
  return {
    id: grid.hex,
    name: grid.name,
    role: grid.role,
    canInvite: grid.canInvite,
    ...(grid.invitedBy ? { invitedBy: grid.invitedBy } : {}),
  };
}

/** The membership rules of `grid`; `sigCheck`: the run's cache (signature-cache.ts), noble by default. */
export function membershipFor(grid: ActiveGrid, sigCheck: SigCheck = verifySync): GridMembership | undefined {
  return grid.descriptor ? new GridMembership(grid.descriptor.gridKey, sigCheck) : undefined;
}

async function certify(
  signer: Pick<Signer, 'sign'>,
  fields: Omit<Certificate, 'signature' | 'bytes'>,
): Promise<Certificate> {
  return signedCertificate(fields, await signer.sign(certificateMessage(fields)));
}

/** Founds a grid: a new grid key, its signed descriptor, and an admin certificate for `node`. */
export async function foundGrid(name: string, node: Uint8Array, now: number): Promise<ActiveGrid> {
  const checked = checkGridName(name);
  if (!checked.ok) throw new InviteError(checked.message);
  const trimmed = checked.value;
  const gridSecret = ed.utils.randomSecretKey();
  const grid = nobleSigner(gridSecret);
  const descriptor = signedDescriptor(
    grid.publicKey,
    trimmed,
    true,
    grid.signSync(descriptorMessage(grid.publicKey, trimmed, true)),
  );
  const id = gridIdOf(grid.publicKey);
  const founder = await certify(grid, {
    kind: CERT_NODE,
    gridId: id,
    issuer: grid.publicKey,
    subject: node,
    role: 'admin',
    canInvite: true,
    issuedAt: now,
    expiresAt: 0,
  });
  return {
    id,
    hex: toHex(id),
    name: trimmed,
    open: false,
    descriptor,
    chain: [founder],
    gridSecret,
    role: 'admin',
    canInvite: true,
  };
}

/** Makes an invitation code: a one-time key certified by this member. */
export async function issueInvite(
  grid: ActiveGrid,
  signer: Signer,
  now: number,
  options: { expiresInMs?: number; canInvite?: boolean; relays: readonly string[]; hints: readonly string[] },
): Promise<{ code: string; expiresAt: number; oneTimeKey: string }> {
  if (!grid.descriptor) throw new InviteError('an open development grid has no invitations');
  if (!(grid.role === 'admin' || grid.canInvite)) throw new InviteError('this member may not invite');
  const expiresInMs = options.expiresInMs ?? 7 * DAY_MS;
  if (!(expiresInMs > 0)) throw new InviteError('expiresInMs must be positive');
  const expiresAt = now + expiresInMs;
  const oneTimeSecret = ed.utils.randomSecretKey();
  const subject = nobleSigner(oneTimeSecret).publicKey;
  const invitation = await certify(signer, {
    kind: CERT_INVITATION,
    gridId: grid.id,
    issuer: signer.publicKey,
    subject,
    role: 'member',
    canInvite: options.canInvite ?? true,
    issuedAt: now,
    expiresAt,
  });
  const invite: Invite = {
    descriptor: grid.descriptor,
    chain: [...grid.chain, invitation],
    oneTimeSecret,
    relays: options.relays,
    hints: options.hints,
  };
  return { code: base64urlEncode(encodeInvite(invite)), expiresAt, oneTimeKey: toHex(subject) };
}

/** Reads an invitation link or code; throws `InviteError` with a reason a person can act on. */
export function readInvite(urlOrCode: string): Invite {
  const bytes = base64urlDecode(inviteCodeOf(urlOrCode));
  if (!bytes) throw new InviteError('this is not an invitation code');
  const invite = decodeInvite(bytes);
  if (!invite.ok) throw new InviteError(`this invitation is damaged (${invite.reason})`);
  return invite.value;
}

/**
 * Redeeming, step 1 (the invitee): checks the invitation (grid, chain, expiry on our clock) and signs our
 * own certificate with the one-time key. Step 2 is a member's witness (`witnessRedemption`), asked for
 * over signaling; step 3 `completeRedemption`.
 */
export async function prepareRedemption(
  invite: Invite,
  node: Uint8Array,
  now: number,
  sigCheck: SigCheck = verifySync,
): Promise<Certificate> {
  const membership = new GridMembership(invite.descriptor.gridKey, sigCheck);
  if (!membership.descriptorValid(invite.descriptor))
    throw new InviteError('the grid description is not signed by its grid');
  const invitation = invite.chain.at(-1);
  if (!invitation || invitation.kind !== CERT_INVITATION)
    throw new InviteError('this code holds no invitation');
  const oneTime = nobleSigner(invite.oneTimeSecret);
  if (toHex(oneTime.publicKey) !== toHex(invitation.subject))
    throw new InviteError('the invitation key does not match');
  if (invitation.expiresAt !== 0 && now > invitation.expiresAt)
    throw new InviteError('this invitation has expired');
  const redemption = await certify(oneTime, {
    kind: CERT_NODE,
    gridId: membership.gridId,
    issuer: oneTime.publicKey,
    subject: node,
    role: 'member',
    canInvite: invitation.canInvite,
    issuedAt: now,
    expiresAt: 0,
  });
  return redemption;
}

/** The redemption request an invitee broadcasts: its would-be chain, as a membership field. */
export function redemptionRequest(invite: Invite, redemption: Certificate): string {
  const chain = [...invite.chain, redemption];
  return base64urlEncode(
    encodeMembership({ descriptor: invite.descriptor, chain, revocations: [], leaving: false }),
  );
}

/**
 * Redeeming, step 2 (any member): witnesses a redemption request unless the invitation is already spent
 * on another node or the request is not valid. Returns the witness, or the reason for refusing.
 */
export async function witnessRedemption(
  grid: ActiveGrid,
  membership: GridMembership,
  signer: Signer,
  request: unknown,
  now: number,
  /** Whether the issuer cancelled its invitation of this one-time key (code-invites.ts). */
  voided?: (oneTimeKey: string, issuer: NodeId) => boolean,
): Promise<{ witness: string } | { refused: string }> {
  const bytes = typeof request === 'string' ? base64urlDecode(request) : undefined;
  const decoded = bytes && decodeMembership(bytes);
  if (!decoded || !decoded.ok) return { refused: 'malformed-request' };
  const chain = decoded.value.chain;
  const redemption = chain.at(-1);
  const invitation = chain.at(-2);
  if (!redemption || invitation?.kind !== CERT_INVITATION) return { refused: 'not-a-redemption' };
  const inviterCheck = membership.checkChain(chain.slice(0, -2), invitation.issuer, now);
  if (!inviterCheck.ok) return { refused: inviterCheck.reason };
  if (invitation.expiresAt !== 0 && now > invitation.expiresAt) return { refused: 'expired-invitation' };
  if (!membership.mayWitness(invitation.subject, redemption.subject)) return { refused: 'invite-used' };
  if (voided?.(toHex(invitation.subject), nodeIdString(invitation.issuer)))
    return { refused: 'invite-cancelled' };
  // The witness dates the redemption on its own clock; checking the witnessed chain as every node will
  // also records the redemption, so from now on this member refuses any other.
  const signature = await signer.sign(witnessMessage(redemption, now));
  const witness = { key: signer.publicKey, at: now, signature, chain: grid.chain };
  const check = membership.checkChain(
    [...chain.slice(0, -1), { ...redemption, witness }],
    redemption.subject,
    now,
  );
  if (!check.ok) return { refused: check.reason };
  return { witness: base64urlEncode(encodeWitnessReply(witness, grid.descriptor!)) };
}

/** The chain a witness reply completes (undefined: the reply is damaged). Pure. */
export function witnessedChain(
  invite: Invite,
  redemption: Certificate,
  witnessReply: unknown,
): Certificate[] | undefined {
  const bytes = typeof witnessReply === 'string' ? base64urlDecode(witnessReply) : undefined;
  const witness = bytes && decodeWitnessReply(bytes);
  if (!witness || !witness.ok) return undefined;
  return [...invite.chain, { ...redemption, witness: witness.value }];
}

/**
 * Redeeming, step 3 (the invitee): attaches the witness and checks the whole chain as others will.
 * `sigCheck`: noble by default; in the browser, a cache the chain's signatures were verified into first.
 */
export function completeRedemption(
  invite: Invite,
  redemption: Certificate,
  witnessReply: unknown,
  node: Uint8Array,
  now: number,
  sigCheck: SigCheck = verifySync,
): ActiveGrid {
  const chain = witnessedChain(invite, redemption, witnessReply);
  if (!chain) throw new InviteError('a member answered with a damaged witness');
  const membership = new GridMembership(invite.descriptor.gridKey, sigCheck);
  const check = membership.checkChain(chain, node, now);
  if (!check.ok) throw new InviteError(`this invitation is not valid (${check.reason})`);
  const invitation = invite.chain.at(-1)!;
  return {
    id: membership.gridId,
    hex: toHex(membership.gridId),
    name: invite.descriptor.name,
    open: false,
    descriptor: invite.descriptor,
    chain,
    role: check.role,
    canInvite: check.canInvite,
    invitedBy: nodeIdString(invitation.issuer),
  };
}

// ——— Persistence: the `data` of a grid record ——————————————————————————————————————————————————————

export interface StoredGrid {
  membership: string;
  /** Only in records written before the secret moved to its own store; read, never written. */
  gridSecret?: string;
}

export function gridToStored(grid: ActiveGrid): StoredGrid {
  const membership = encodeMembership({
    descriptor: grid.descriptor!,
    chain: grid.chain,
    revocations: [],
    leaving: false,
  });
  // The grid secret is not a membership record: the session keeps it in its own store.
  return { membership: base64urlEncode(membership) };
}

/** The membership field a stored grid record holds (undefined: none, or not a string). */
export function storedMembership(data: StoredGrid): Uint8Array | undefined {
  return typeof data.membership === 'string' ? base64urlDecode(data.membership) : undefined;
}

/** `sigCheck`: noble by default; in the browser, a cache the record's signatures were verified into. */
export function gridFromStored(
  data: StoredGrid,
  node: Uint8Array,
  now: number,
  sigCheck: SigCheck = verifySync,
): ActiveGrid | undefined {
  const bytes = base64urlDecode(data.membership);
  const decoded = bytes && decodeMembership(bytes);
  if (!decoded || !decoded.ok) return undefined;
  const { descriptor, chain } = decoded.value;
  const membership = new GridMembership(descriptor.gridKey, sigCheck);
  const check = membership.checkChain(chain, node, now);
  if (!check.ok || !membership.descriptorValid(descriptor)) return undefined;
  return {
    id: membership.gridId,
    hex: toHex(membership.gridId),
    name: descriptor.name,
    open: false,
    descriptor,
    chain,
    role: check.role,
    canInvite: check.canInvite,
    ...(check.invitedBy ? { invitedBy: nodeIdString(check.invitedBy) } : {}),
    ...(data.gridSecret ? { gridSecret: fromHex(data.gridSecret) } : {}),
  };
}
