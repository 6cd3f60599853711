// Storage clubs: the roster as announcement parameters (clubs.ts), the club service, and a storage
// server admitting club members up to the club's quota.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { limits } from '../../../src/core/announcement.ts';
import { checkServiceName, checkServiceParams } from '../../../src/core/inputs.ts';
import type { NodeId } from '../../../src/core/identity.ts';
import { ClubService } from '../../../src/services/club-service.ts';
import {
  ClubError,
  MAX_CLUB_SERVERS,
  clubService,
  clubTerms,
  clubsOf,
  readClub,
} from '../../../src/services/clubs.ts';
import { MemoryFileList } from '../../../src/services/file-list.ts';
import { StorageServer } from '../../../src/services/storage-server.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** A well-formed node id for number `n` (distinct for n < 32^4). */
const id = (n: number) =>
  `v0-${[3, 2, 1, 0].map((p) => ALPHABET[Math.floor(n / 32 ** p) % 32]).join('')}${'a'.repeat(48)}` as NodeId;
const [OWNER, B, C, D] = [id(1), id(2), id(3), id(4)];

describe('storage clubs', () => {
  it('a roster becomes valid service parameters and reads back, up to 270 servers', () => {
    const servers = Array.from({ length: MAX_CLUB_SERVERS - 1 }, (_, i) => id(i + 10));
    const { service, params } = clubService(OWNER, 'family', servers, 5_000_000);
    assert.equal(service, 'club.family');
    assert.ok(checkServiceName(service).ok);
    assert.ok(checkServiceParams(params).ok, 'fits the announcement limits');
    assert.ok(Object.keys(params).length <= limits.paramsPerService);
    const club = readClub(OWNER, 7, service, params)!;
    assert.equal(club.id, `${OWNER}/family`);
    assert.equal(club.quota, 5_000_000);
    assert.equal(club.seqnum, 7);
    assert.deepEqual(club.servers, [OWNER, ...servers], 'the owner first, in order');
    assert.throws(() => clubService(OWNER, 'big', [...servers, id(999)], 1), ClubError);
  });

  it('refuses bad names, quotas and ids with a readable error', () => {
    for (const name of ['', 'Family', '1st', 'a b', 'x'.repeat(60), 'é']) {
      assert.throws(() => clubService(OWNER, name, [], 1), /club name is a lowercase word/);
    }
    assert.throws(() => clubService(OWNER, 'ok', [], -1), /quota/);
    assert.throws(() => clubService(OWNER, 'ok', [], 1.5), /quota/);
    assert.throws(() => clubService(OWNER, 'ok', ['bob'], 1), /“bob” is not a member id/);
  });

  it('reads announced clubs defensively: garbage is ignored, never thrown', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.dictionary(fc.constantFrom('quota', 'servers', 'servers-1', 'servers-14', 'x'), fc.string()),
        (name, params) => {
          const club = readClub(OWNER, 1, `club.${name}`, params);
          if (club) {
            assert.ok(/^\d+$/.test(params.quota!));
            assert.ok(club.servers.every((s) => /^v0-[a-z2-7]{52}$/.test(s)));
            assert.equal(club.servers[0], OWNER);
          }
        },
      ),
    );
    assert.equal(readClub(OWNER, 1, 'storage', { quota: '1' }), undefined);
    assert.equal(readClub(OWNER, 1, 'club.x', { quota: '1e9' }), undefined);
    assert.equal(readClub('bob' as NodeId, 1, 'club.x', { quota: '1' }), undefined);
    const peers: { id: string; seqnum: number; services: Record<string, Record<string, string>> }[] = [
      { id: OWNER, seqnum: 3, services: { storage: {}, ...entry(clubService(OWNER, 'a', [B], 10)) } },
      { id: B, seqnum: 1, services: { 'club.bad': { quota: 'many' } } },
    ];
    assert.deepEqual(
      clubsOf(peers).map((c) => c.id),
      [`${OWNER}/a`],
    );
  });

  it('a server honours a club only once it joined (or owns it), for members of the roster', () => {
    const [club] = clubsOf([
      { id: OWNER, seqnum: 1, services: entry(clubService(OWNER, 'a', [B, C], 1000)) },
    ]);
    const clubs = [club!];
    assert.deepEqual(clubTerms(B, C, clubs, new Set()), { admitted: false, quota: undefined }, 'not joined');
    assert.deepEqual(clubTerms(B, C, clubs, new Set([club!.id])), { admitted: true, quota: 1000 });
    assert.deepEqual(clubTerms(B, D, clubs, new Set([club!.id])).admitted, false, 'D is not on the roster');
    assert.deepEqual(clubTerms(D, C, clubs, new Set([club!.id])).admitted, false, 'D is no roster server');
    assert.deepEqual(clubTerms(OWNER, C, clubs, new Set()).admitted, true, 'the owner honours its own');
  });

  it('the club service publishes, lists, joins and keeps what it joined', async () => {
    const announced: Record<string, Record<string, string>> = {};
    const list = new MemoryFileList();
    let now = 0;
    const host = { self: OWNER, mayUse: () => true, now: () => now, count: () => {} };
    const options = {
      list,
      peers: () => [{ id: OWNER, seqnum: 1, services: { ...announced } }],
      publish: async (service: string, params: Record<string, string> | undefined) => {
        if (params) announced[service] = params;
        else delete announced[service];
      },
    };
    const clubs = await ClubService.create(host, options);
    const made = await clubs.create('family', { servers: [B], quota: 42 });
    assert.deepEqual(made.servers, [OWNER, B]);
    assert.deepEqual(clubs.roster(made.id), [OWNER, B]);
    await clubs.join(`${B}/other`);
    await assert.rejects(clubs.join('nonsense'), ClubError);
    assert.deepEqual(await list.joinedClubs(), [`${B}/other`]);
    const again = await ClubService.create(host, options);
    assert.deepEqual(again.joined(), [`${B}/other`], 'kept across a restart');
    await clubs.remove('family');
    now += 2000;
    assert.throws(() => clubs.roster(made.id), /no member announces the club/);
  });

  it('a storage server admits club members up to the club quota; an owner quota wins', () => {
    const terms = (caller: string) => (caller === C ? 1000 : undefined);
    const server = new StorageServer(() => true, {}, undefined, terms);
    const si = new Uint8Array(16).fill(1);
    const secret = new Uint8Array(32).fill(2);
    assert.equal(server.available(C, 0), 1000);
    const refused = server.allocate(C, 0, si, [0], 2000, secret);
    assert.equal(!refused.ok && refused.code, 'quota');
    assert.ok(server.allocate(C, 0, si, [0], 900, secret).ok);
    server.apply(server.setQuota(C, 5000, 0));
    assert.equal(server.available(C, 0), 5000, "the server owner's own quota wins");
    assert.ok(server.available(D, 0) > 1e9, 'no club, no club quota');
  });
});

function entry({ service, params }: { service: string; params: Record<string, string> }) {
  return { [service]: params };
}
