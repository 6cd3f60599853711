/**
 * How the dashboard names and orders members: from the node's peers, its policy and the user's petnames.
 * Every name goes through ./display-name.ts (cleaned, with the short id, lookalikes marked).
 */
import { type DisplayName, cleanName, displayName, markLookalikes } from './display-name.ts';
import type { Member, NodeLike } from './node-types.ts';

export { shortId } from './display-name.ts';

/** Every member `node` knows as shown: petname, else nickname, with the short id; lookalikes marked. */
export function memberNames(
  node: NodeLike | undefined,
  petnames: Readonly<Record<string, string>>,
): Map<string, DisplayName> {
  const peers = node?.getPeers() ?? [];
  const names = markLookalikes(peers.map((p) => displayName(p.id, petnames[p.id], p.nickname)));
  return new Map(names.map((n) => [n.id, n]));
}

/** `id` as shown, whether or not it is a member (a refused stranger has only its id). */
export function whoOf(names: ReadonlyMap<string, DisplayName>, id: string): DisplayName {
  return names.get(id) ?? displayName(id);
}

/** Every member `node` knows, itself first, then online ones, then by name. */
export function deriveMembers(node: NodeLike, petnames: Readonly<Record<string, string>>): Member[] {
  const peers = node.getPeers();
  const policy = node.policy();
  const names = memberNames(node, petnames);
  const members = peers.map((p): Member => {
    const who = whoOf(names, p.id);
    const inviter = p.invitedBy === undefined ? undefined : whoOf(names, p.invitedBy);
    return {
      id: p.id,
      nickname: cleanName(p.nickname) ?? '',
      petname: cleanName(petnames[p.id]),
      name: who.name ?? who.short,
      short: who.short,
      label: who.label,
      lookalike: who.lookalike,
      self: p.self,
      online: p.self || p.connected,
      connected: p.connected,
      lastSeen: p.lastSeen,
      rttMs: p.rttMs,
      uptimeMs: p.uptimeMs,
      failuresInRow: p.failuresInRow,
      services: Object.keys(p.services).sort(),
      role: p.role,
      invitedBy: p.invitedBy,
      invitedByName: inviter && (inviter.name ?? inviter.short),
      invitedByWho: inviter,
      revoked: p.revoked ?? false,
      policy: policy[p.id],
    };
  });
  const rank = (m: Member) => (m.self ? 0 : m.online ? 1 : 2);
  return members.sort(
    (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
}

/** The display name of `id`: petname, nickname or the start of the id (cleaned). */
export function nameOf(node: NodeLike | undefined, petnames: Readonly<Record<string, string>>, id: string) {
  const peer = node?.getPeers().find((p) => p.id === id);
  const who = displayName(id, petnames[id], peer?.nickname);
  return who.name ?? who.short;
}
