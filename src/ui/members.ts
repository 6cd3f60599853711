/** How the dashboard names and orders members: from the node's peers, its policy and the user's petnames. */
import type { Member, NodeLike } from './node-types.ts';

export const shortId = (id: string): string => (id.startsWith('v0-') ? id.slice(3, 11) : id.slice(0, 8));

/** Every member `node` knows, itself first, then online ones, then by name. */
export function deriveMembers(node: NodeLike, petnames: Readonly<Record<string, string>>): Member[] {
  const peers = node.getPeers();
  const policy = node.policy();
  const nicknames = new Map(peers.map((p) => [p.id, p.nickname]));
  const nameOf = (id: string) => petnames[id] || nicknames.get(id) || shortId(id);
  const members = peers.map((p): Member => {
    const petname = petnames[p.id] || undefined;
    return {
      id: p.id,
      nickname: p.nickname,
      petname,
      name: petname ?? (p.nickname || shortId(p.id)),
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
      invitedByName: p.invitedBy === undefined ? undefined : nameOf(p.invitedBy),
      revoked: p.revoked ?? false,
      policy: policy[p.id],
    };
  });
  const rank = (m: Member) => (m.self ? 0 : m.online ? 1 : 2);
  return members.sort(
    (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
  );
}

/** The display name of `id`: petname, nickname or the start of the id. */
export function nameOf(node: NodeLike | undefined, petnames: Readonly<Record<string, string>>, id: string) {
  const petname = petnames[id];
  if (petname) return petname;
  return node?.getPeers().find((p) => p.id === id)?.nickname || shortId(id);
}
