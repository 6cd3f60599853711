/**
 * The `clubs` service: storage clubs (clubs.ts) as `gridNode.clubs`.
 *
 * - `create(name, { servers, quota })` publishes the club in this node's announcement (it owns it);
 *   calling it again replaces the roster (a newer seqnum). `remove(name)` withdraws it.
 * - `list()`: every club the grid's members announce (a plain array, read from the table, members in
 *   good standing only), ordered by id.
 * - `join(id)` / `leave(id)` / `joined()`: whether this node's storage server honours a club (consent;
 *   kept in its database). A club this node owns is honoured without joining.
 * - `terms(caller)`: what the storage server asks: admitted through a club, and with which quota.
 * Fires 'change' when `joined()` changes; `list()` follows the grid's announcements.
 */
import type { ServiceParams } from '../core/announcement.ts';
import type { NodeId } from '../core/identity.ts';
import { type Club, ClubError, clubService, clubTerms, clubsOf, CLUB_PREFIX, readClub } from './clubs.ts';
import type { FileList } from './file-list.ts';
import type { Service, ServiceHost } from './types.ts';

export interface ClubServiceOptions {
  /** The members' announcements as the table holds them (members in good standing only). */
  peers: () => readonly { id: string; seqnum: number; services: Record<string, ServiceParams> }[];
  /** Publishes (params) or withdraws (undefined) one of this node's services, durably. */
  publish: (service: string, params: ServiceParams | undefined) => Promise<void>;
  list: FileList;
  /**
   * How long `list()` may reuse what it read from the table, ms (the host also calls `invalidate` on
   * every change of the table). Default 1,000.
   */
  cacheMs?: number;
}

declare module './types.ts' {
  interface ServiceMap {
    clubs: ClubService;
  }
}

export const MAX_JOINED_CLUBS = 64;

export class ClubService extends EventTarget implements Service {
  readonly name = 'clubs';
  private joinedIds = new Set<string>();
  private cache: { at: number; clubs: Club[] } | undefined;

  static async create(host: ServiceHost, options: ClubServiceOptions): Promise<ClubService> {
    const service = new ClubService(host, options);
    service.joinedIds = new Set((await options.list.joinedClubs()).slice(0, MAX_JOINED_CLUBS));
    return service;
  }

  private constructor(
    private readonly host: ServiceHost,
    private readonly options: ClubServiceOptions,
  ) {
    super();
  }

  linkUp(): void {}
  linkDown(): void {}

  async create(name: string, options: { servers?: readonly string[]; quota?: number } = {}): Promise<Club> {
    const { service, params } = clubService(
      this.host.self,
      name,
      options.servers ?? [],
      options.quota ?? 1024 ** 3,
    );
    await this.options.publish(service, params);
    this.cache = undefined;
    // The signed announcement follows; until the table holds it, the club is read from what was sent.
    const club =
      this.list().find((c) => c.owner === this.host.self && c.name === name) ??
      readClub(this.host.self, 0, service, params);
    if (!club) throw new ClubError('the club could not be published');
    return club;
  }

  async remove(name: string): Promise<void> {
    await this.options.publish(CLUB_PREFIX + name, undefined);
    this.cache = undefined;
  }

  /** The table changed: the next `list()` reads it again. */
  invalidate(): void {
    this.cache = undefined;
  }

  list(): Club[] {
    const now = this.host.now();
    if (!this.cache || now - this.cache.at > (this.options.cacheMs ?? 1000) || now < this.cache.at) {
      const clubs = clubsOf(this.options.peers()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      this.cache = { at: now, clubs };
    }
    return this.cache.clubs.map((c) => ({ ...c, servers: [...c.servers] }));
  }

  /** The roster servers of a club, or a ClubError when nobody announces it. */
  roster(id: string): NodeId[] {
    const club = this.list().find((c) => c.id === id);
    if (!club) throw new ClubError(`no member announces the club “${id.slice(0, 120)}”`);
    return club.servers;
  }

  joined(): string[] {
    return [...this.joinedIds];
  }

  async join(id: string): Promise<void> {
    if (typeof id !== 'string' || !/^v0-[a-z2-7]{52}\/[a-z][a-z0-9_-]{0,58}$/.test(id))
      throw new ClubError('a club id is “<owner id>/<name>”');
    if (this.joinedIds.has(id)) return;
    if (this.joinedIds.size >= MAX_JOINED_CLUBS)
      throw new ClubError(`a node joins at most ${MAX_JOINED_CLUBS} clubs`);
    await this.options.list.setJoinedClubs([...this.joinedIds, id]);
    this.joinedIds.add(id);
    this.dispatchEvent(new Event('change'));
  }

  async leave(id: string): Promise<void> {
    if (!this.joinedIds.has(id)) return;
    await this.options.list.setJoinedClubs([...this.joinedIds].filter((x) => x !== id));
    this.joinedIds.delete(id);
    this.dispatchEvent(new Event('change'));
  }

  /** How this node's storage server treats `caller` through its clubs. */
  terms(caller: string): { admitted: boolean; quota: number | undefined } {
    return clubTerms(this.host.self, caller, this.list(), this.joinedIds);
  }
}
