/** A grid with helpers that issue certificates, witnesses and revocations the way the node does. */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  CERT_INVITATION,
  CERT_NODE,
  type Certificate,
  GossipNode,
  GridMembership,
  type MemberRole,
  type NodeId,
  certificateMessage,
  descriptorMessage,
  encodeAnnounce,
  encodeBody,
  encodeEnvelope,
  encodeMembership,
  gridIdOf,
  nodeIdString,
  revocationMessage,
  seededRandom,
  signedCertificate,
  signedDescriptor,
  signedMessage,
  signedRevocation,
  utf8,
  witnessMessage,
} from '../../../src/core/index.ts';
import { nobleSigner, verifySync } from '../../../src/crypto/ed25519.ts';
import { countingVerify } from './fixtures.ts';

export type Key = ReturnType<typeof nobleSigner>;
export const key = (name: string): Key => nobleSigner(sha256(utf8(`attack ${name}`)));
export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export function testGrid(name = 'grid') {
  const g = key(name);
  const gridId = gridIdOf(g.publicKey);
  const descriptor = signedDescriptor(
    g.publicKey,
    'Friends',
    true,
    g.signSync(descriptorMessage(g.publicKey, 'Friends', true)),
  );
  const issue = (
    by: Key,
    subject: Uint8Array,
    o: { role?: MemberRole; canInvite?: boolean; kind?: 1 | 2; issuedAt?: number; expiresAt?: number } = {},
  ): Certificate => {
    const fields = {
      kind: o.kind ?? CERT_NODE,
      gridId,
      issuer: by.publicKey,
      subject,
      role: o.role ?? 'member',
      canInvite: o.canInvite ?? true,
      issuedAt: o.issuedAt ?? 1_000,
      expiresAt: o.expiresAt ?? 0,
    } as const;
    return signedCertificate(fields, by.signSync(certificateMessage(fields)));
  };
  const founder = (who: Key) => [issue(g, who.publicKey, { role: 'admin' })];
  /** An invitation by `inviter` (with `chain`) to a one-time key, and the chain up to it. */
  const invitation = (
    chain: Certificate[],
    inviter: Key,
    oneTime: Key,
    o: { role?: MemberRole; canInvite?: boolean; issuedAt?: number; expiresAt?: number } = {},
  ) => [
    ...chain,
    issue(inviter, oneTime.publicKey, {
      kind: CERT_INVITATION,
      role: o.role ?? 'member',
      canInvite: o.canInvite ?? true,
      issuedAt: o.issuedAt ?? 1_000,
      expiresAt: o.expiresAt ?? 7 * DAY,
    }),
  ];
  /** `invitee` redeems the invitation at the end of `invited` with `oneTime`, witnessed by `by` at `at`. */
  const redeem = (
    invited: Certificate[],
    oneTime: Key,
    invitee: Key,
    by: { signer: Key; chain: Certificate[]; at: number },
    o: { issuedAt?: number; role?: MemberRole; canInvite?: boolean } = {},
  ) => {
    const last = invited.at(-1)!;
    const redemption = issue(oneTime, invitee.publicKey, {
      role: o.role ?? last.role,
      canInvite: o.canInvite ?? last.canInvite,
      issuedAt: o.issuedAt ?? by.at,
    });
    const witness = {
      key: by.signer.publicKey,
      at: by.at,
      signature: by.signer.signSync(witnessMessage(redemption, by.at)),
      chain: by.chain,
    };
    return [...invited, { ...redemption, witness }];
  };
  const revoke = (admin: Key, adminChain: Certificate[], revoked: Uint8Array, revokedAt: number) =>
    signedRevocation(
      { gridId, revoker: admin.publicKey, revoked, revokedAt },
      admin.signSync(revocationMessage(gridId, admin.publicKey, revoked, revokedAt)),
      adminChain,
    );
  const membership = () => new GridMembership(g.publicKey, verifySync);
  let seqnums = 0;
  const envelope = (who: Key, chain: readonly Certificate[]) => {
    const m = encodeMembership({ descriptor, chain, revocations: [], leaving: false });
    const body = encodeBody({
      version: 1,
      gridId,
      seqnum: ++seqnums,
      nonce: new Uint8Array(16),
      nickname: 'x',
      services: {},
      hints: [],
      membership: m,
    });
    return encodeEnvelope(who.publicKey, body, who.signSync(signedMessage(who.publicKey, body)));
  };
  /** A core node judging announcements with a membership `m`, linked to one peer. */
  const node = (m: GridMembership, name = 'me') => {
    const me = key(name);
    const core = new GossipNode({
      publicKey: me.publicKey,
      gridId,
      random: seededRandom(7),
      revocations: m,
      admit: (origin, body, now) => {
        const r = m.admit(origin, body.membership, now);
        return r.ok ? undefined : r.reason;
      },
    });
    const peer: NodeId = nodeIdString(key('peer').publicKey);
    core.linkUp(peer, 0);
    const receive = (env: Uint8Array, now: number) =>
      core.receive(peer, encodeAnnounce([env], 1 << 18)[0]!, now, countingVerify());
    const members = () =>
      core
        .getPeers()
        .filter((p) => !p.self)
        .map((p) => p.id);
    return { core, receive, members, peer };
  };
  return { g, gridId, descriptor, issue, founder, invitation, redeem, revoke, membership, envelope, node };
}
