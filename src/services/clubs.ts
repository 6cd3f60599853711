/**
 * Storage clubs (seed 004; STORAGE.md): a signed roster of storage servers with a name, an owner and a
 * default quota. A club travels as a service of its owner's announcement — `club.<name>` — so it is
 * signed by the owner's key, replaced by a newer seqnum like any announcement, gossiped to every member,
 * and gone when the owner drops it or is forgotten. Pure: these functions only read and write parameters.
 *
 * Rules:
 * - A club's id is `<owner id>/<name>`; its name is a lowercase word (`[a-z][a-z0-9_-]*`, at most 59
 *   characters, the service name's 64 less `club.`).
 * - Parameters: `quota` (bytes, a decimal integer) and the roster in `servers`, `servers-1` …
 *   `servers-14`, each at most 18 comma-separated node ids (18 × 56 − 1 bytes fits a 1,024-byte value):
 *   at most 270 servers. The owner is always on the roster.
 * - Reading is defensive: a club whose parameters do not parse, or that names no valid id, is ignored
 *   (and counted by the caller); unknown parameters are ignored.
 * - A roster server admits the roster's members only if its own owner joined the club
 *   (`gridNode.storage` joinClub), so nobody can spend another member's space by listing it: being on a
 *   roster is an offer, joining is the consent. Admitted through a club, a member's quota there is the
 *   club's (the server owner's own quota for that member, when set, wins). Deny always wins.
 * - An upload "for a club" places shares only on roster servers in reach.
 */
import type { ServiceParams } from '../core/announcement.ts';
import type { NodeId } from '../core/identity.ts';

export const CLUB_PREFIX = 'club.';
export const MAX_CLUB_SERVERS = 270;
const PER_VALUE = 18;
const NAME = /^[a-z][a-z0-9_-]{0,58}$/;
const ID = /^v0-[a-z2-7]{52}$/;

export interface Club {
  id: string;
  name: string;
  owner: NodeId;
  /** The owner first, then the roster in the owner's order, without repeats. */
  servers: NodeId[];
  /** Bytes each member may store on each roster server that joined. */
  quota: number;
  /** The seqnum of the owner's announcement that carries this roster (0 until it is signed). */
  seqnum: number;
}

export class ClubError extends Error {
  override name = 'ClubError';
}

export const clubId = (owner: string, name: string): string => `${owner}/${name}`;

/** The service name and parameters that publish a club; throws a ClubError a person can read. */
export function clubService(
  owner: NodeId,
  name: string,
  servers: readonly string[],
  quota: number,
): { service: string; params: ServiceParams } {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ClubError(
      'A club name is a lowercase word of letters, digits, “_” or “-”, starting with a letter, of at most 59 characters.',
    );
  }
  if (!Number.isSafeInteger(quota) || quota < 0) throw new ClubError('A club quota is a number of bytes.');
  const roster = [...new Set([owner, ...servers])];
  const bad = roster.find((id) => !ID.test(id));
  if (bad !== undefined) throw new ClubError(`“${String(bad).slice(0, 80)}” is not a member id.`);
  if (roster.length > MAX_CLUB_SERVERS)
    throw new ClubError(`A club has at most ${MAX_CLUB_SERVERS} servers.`);
  const params: Record<string, string> = { quota: String(quota) };
  for (let i = 0; i * PER_VALUE < roster.length; i++) {
    params[i === 0 ? 'servers' : `servers-${i}`] = roster.slice(i * PER_VALUE, (i + 1) * PER_VALUE).join(',');
  }
  return { service: CLUB_PREFIX + name, params };
}

/** The club an announced `club.<name>` service describes, or undefined when it does not parse. */
export function readClub(
  owner: NodeId,
  seqnum: number,
  service: string,
  params: ServiceParams,
): Club | undefined {
  if (!service.startsWith(CLUB_PREFIX)) return undefined;
  const name = service.slice(CLUB_PREFIX.length);
  if (!NAME.test(name) || !ID.test(owner)) return undefined;
  const quotaText = params.quota ?? '';
  if (!/^\d{1,16}$/.test(quotaText)) return undefined;
  const quota = Number(quotaText);
  if (!Number.isSafeInteger(quota)) return undefined;
  const servers = new Set<NodeId>([owner]);
  for (let i = 0; i < 15; i++) {
    const value = params[i === 0 ? 'servers' : `servers-${i}`];
    if (value === undefined) continue;
    const ids = value.split(',').slice(0, PER_VALUE);
    for (const id of ids) if (ID.test(id)) servers.add(id as NodeId);
  }
  return { id: clubId(owner, name), name, owner, servers: [...servers], quota, seqnum };
}

/** Every club the given announcements carry. */
export function clubsOf(
  peers: readonly { id: string; seqnum: number; services: Record<string, ServiceParams> }[],
): Club[] {
  const clubs: Club[] = [];
  for (const peer of peers) {
    for (const [service, params] of Object.entries(peer.services)) {
      const club = readClub(peer.id as NodeId, peer.seqnum, service, params);
      if (club) clubs.push(club);
    }
  }
  return clubs;
}

/**
 * How a server treats a caller through its clubs: admitted (the caller and this server are on the roster
 * of a club this server joined) with the largest such club's quota, or not.
 */
export function clubTerms(
  self: string,
  caller: string,
  clubs: readonly Club[],
  joined: ReadonlySet<string>,
): { admitted: boolean; quota: number | undefined } {
  let quota: number | undefined;
  for (const club of clubs) {
    if (!joined.has(club.id) && club.owner !== self) continue;
    if (!club.servers.includes(self as NodeId) || !club.servers.includes(caller as NodeId)) continue;
    quota = Math.max(quota ?? 0, club.quota);
  }
  return { admitted: quota !== undefined, quota };
}
