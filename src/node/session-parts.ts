/**
 * A session's parts (session.ts), made and wired to each other once, as it opens: the store and this node's
 * identity, the signature checks, the membership guard and link admission, the settings, the runtime, mesh
 * upkeep, code invitations, invitations and the services.
 *
 * Rules: a part reaches another through the session, when it calls it (`node.runtime.mesh`, not a copy),
 * so it always finds the current run's mesh and core, or none. Every signature from a peer is verified
 * asynchronously before the core runs; nothing is verified synchronously (see `syncPerSecond` below).
 */
import { defaultVerifier } from '../crypto/ed25519.ts';
import { SignatureCache } from '../crypto/signature-cache.ts';
import { VerificationCache } from '../crypto/verify-cache.ts';
import { openStore } from '../store/index.ts';
import { CodeInvites } from './code-invites.ts';
import { MembershipGuard } from './guard.ts';
import { Invitations } from './invitations.ts';
import { LinkAdmission } from './link-admission.ts';
import { MESH_SERVICE, MeshUpkeep } from './mesh-upkeep.ts';
import { NodeServices } from './node-services.ts';
import { Preverifier } from './receive-budgets.ts';
import { Runtime } from './runtime.ts';
import type { GridSession, SessionHooks } from './session.ts';
import { Settings } from './settings.ts';
import type { GridNodeOptions } from './types.ts';

/**
 * Opens `node`'s store and identity and makes its parts. `expelled` is the session's answer to being
 * revoked, or to its invitation being used by another node first.
 */
export async function assembleParts(
  node: GridSession,
  options: GridNodeOptions,
  hooks: SessionHooks,
  expelled: (reason: 'revoked' | 'invite-used') => Promise<void>,
): Promise<void> {
  node.store = await openStore(options.dbName ?? 'gridnode');
  const identity = await node.store.loadOrCreateIdentity();
  node.signer = identity.signer;
  node.publicKey = identity.publicKey;
  // Every signature from a peer is verified here, asynchronously, before the core runs; the core's
  // synchronous checks only look the results up (receive-budgets.ts, signature-cache.ts).
  const verifier = await defaultVerifier();
  // No synchronous check at all (`syncPerSecond` 0): what this node signs for the membership rules
  // (revocations, witnesses, certificates) is vouched for as it signs (`vouched`), the chain it holds
  // is verified when read and when a run starts, and everything from peers before the core.
  node.signatures = new SignatureCache(verifier, { syncPerSecond: 0 });
  node.cache = new VerificationCache(verifier, undefined, node.signatures.check);
  node.preverifier = new Preverifier(node.cache, node.signatures, () => Date.now());
  const vouched = node.signatures.vouching(node.signer);
  node.guard = new MembershipGuard({
    sigCheck: node.signatures.check,
    publicKey: node.publicKey,
    signer: vouched,
    // Before held announcements are judged again (revocations arrived): their results may have left
    // the cache since they were admitted.
    preverifyHeld: async () => {
      const core = node.runtime.core;
      if (!core) return;
      const held = [...node.guard.members.keys()].flatMap((id) => core.envelopeOf(id) ?? []);
      await node.preverifier.stored(held, core.config.maxBodyBytes);
    },
    preverify: (membership) => node.preverifier.membership(undefined, membership),
    active: () => node.active,
    activity: (kind, id, reason) => hooks.activity(kind, id, reason),
    input: (step) => node.runtime.input(step),
    closeLink: (peer) => {
      node.runtime.mesh?.close(peer);
      // Revocations arrived: links admitted before may no longer pass (PROTOCOL.md §9).
      void node.admission
        .recheck(node.runtime.mesh?.peers() ?? [])
        .then((closing) => closing.forEach((other) => node.runtime.mesh?.close(other)));
    },
    sendSignal: (payload, to) => node.runtime.mesh?.sendSignal(payload, to),
    saveRevocation: (gridHex, id, record) => node.store.membership.saveRevocation(gridHex, id, record),
    expelled: (reason) => expelled(reason),
  });
  node.admission = new LinkAdmission(
    node.guard,
    () => node.runtime.now(),
    // A link's membership within its budget; one presented before, checked again, without.
    (peer, membership) => node.preverifier.membership(peer, membership, true),
    (membership) => node.preverifier.membership(undefined, membership),
  );
  node.settings = await Settings.load(node.store, options);
  node.runtime = new Runtime({
    store: node.store,
    signer: node.signer,
    publicKey: node.publicKey,
    cache: node.cache,
    preverifier: node.preverifier,
    emit: (type, detail) => hooks.emit(type, detail),
    forgotten: (id) => {
      node.guard.forgetMember(id);
      hooks.activity('forgotten', id);
    },
    changed: () => {
      // Clubs are read from announcements; a storage request asks for them (mayUse, quotas).
      node.wiring?.clubs.invalidate();
      // A member joined with one of our invitations: said once, with the name we gave it (invite-book.ts).
      for (const e of node.invitations.noticeJoins())
        hooks.emit('invite-joined', { code: e.code, id: e.joinedBy, name: e.name });
      hooks.changed();
    },
  });
  node.upkeep = new MeshUpkeep({
    selfId: node.id,
    mesh: () => node.runtime.mesh,
    members: () => node.runtime.core?.getPeers() ?? [],
    known: (peer) => node.knownMember(peer),
    publish: (params) => node.runtime.input((c) => c.publish(MESH_SERVICE, params)),
  });
  node.codes = new CodeInvites({
    selfId: node.id,
    signer: node.signer,
    verifier: defaultVerifier,
    relays: () => node.settings.relays(),
    gridHex: () => (node.active && !node.active.open ? node.active.hex : undefined),
    isMember: (id) => node.guard.isMember(id),
    peers: () => node.runtime.mesh?.peers() ?? [],
    sendFrame: (peer, kind, body) => node.runtime.mesh?.sendFrame(peer, kind, body) ?? false,
    changed: () => hooks.changed(),
    load: (hex) => node.store.getSetting(`pendingInvites:${hex}`),
    save: (hex, records) => node.store.setSetting(`pendingInvites:${hex}`, records as never),
  });
  node.invitations = new Invitations({
    codes: node.codes,
    selfId: node.id,
    publicKey: node.publicKey,
    signer: vouched,
    signatures: node.signatures,
    guard: node.guard,
    relays: () => node.settings.relays(),
    peers: () => node.runtime.mesh?.peers() ?? [],
    sendSignal: (payload, to) => node.runtime.mesh?.sendSignal(payload, to),
    loadBook: (hex) => node.store.getSetting(`invites:${hex}`),
    saveBook: (hex, entries) => void node.store.setSetting(`invites:${hex}`, entries as never).catch(() => 0),
  });
  node.wiring = await NodeServices.create(node, options.dbName ?? 'gridnode');
  node.services = node.wiring.registry;
}
