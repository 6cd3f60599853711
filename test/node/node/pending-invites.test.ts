/**
 * src/node/pending-invites.ts: what the grid holds for a short invitation code — the keys a code derives,
 * the sealed blob only a code holder opens, the signed record and its bounds, and the table that keeps
 * records bounded and drops them with their inviter (revoked) or when cancelled.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { type NodeId, nodeIdString, toHex, utf8 } from '../../../src/core/index.ts';
import { formatInviteCode, parseInviteCode } from '../../../src/core/invite-code.ts';
import { nobleSigner, verifySync } from '../../../src/crypto/ed25519.ts';
import {
  deriveCodeKeys,
  encodePending,
  openInvite,
  parsePending,
  pendingLimits,
  pendingSignature,
  type PendingRecord,
  PendingTable,
  sealInvite,
  signPending,
} from '../../../src/node/pending-invites.ts';
import { rule } from '../rules.ts';

const NOW = 1_800_000_000_000;
const grid = toHex(sha256(utf8('pending grid')));
const alice = nobleSigner(sha256(utf8('pending alice')));
const aliceId = nodeIdString(alice.publicKey);
const secretOf = (n: number) => new Uint8Array(15).fill(n);

async function record(
  n: number,
  fields: Partial<PendingRecord> = {},
  signer = alice,
): Promise<PendingRecord> {
  const keys = await deriveCodeKeys(secretOf(n));
  const blob = await sealInvite(keys, utf8(`long invitation ${n}`));
  const inviter = nodeIdString(signer.publicKey);
  return signPending({ inviter, grid, r: keys.r, exp: NOW + 60_000, blob, ...fields }, (m) => signer.sign(m));
}

describe('pending invitations', () => {
  it('a code derives one rendezvous id and key; only that code opens the blob', async () => {
    const code = formatInviteCode(secretOf(1));
    const parsed = parseInviteCode(code);
    assert.ok(parsed.ok);
    const keys = await deriveCodeKeys(parsed.secret);
    assert.equal(keys.r, (await deriveCodeKeys(secretOf(1))).r, 'the same code, the same rendezvous');
    assert.match(keys.r, /^[0-9a-f]{32}$/);
    const blob = await sealInvite(keys, utf8('the long invitation'));
    assert.equal(new TextDecoder().decode(await openInvite(keys, blob)), 'the long invitation');
    const other = await deriveCodeKeys(secretOf(2));
    assert.notEqual(other.r, keys.r);
    assert.equal(await openInvite(other, blob), undefined, 'a wrong code opens nothing');
  });

  it('records are signed by their inviter over grid, rendezvous, expiry and blob', async () => {
    const r = await record(1);
    const parsed = parsePending(JSON.parse(JSON.stringify(encodePending(r))), grid, NOW);
    assert.ok(typeof parsed !== 'string');
    const check = pendingSignature(parsed)!;
    assert.ok(verifySync(check.key, check.message, check.signature));
    const moved = { ...parsed, exp: parsed.exp + 1 };
    const moved2 = pendingSignature(moved)!;
    assert.ok(!verifySync(moved2.key, moved2.message, moved2.signature), 'a changed expiry breaks it');
  });

  it(
    rule("A pending record is at most 6 KiB and lives at most 7 days, never past its invitation's expiry."),
    async () => {
      const r = encodePending(await record(1));
      assert.equal(parsePending({ ...r, exp: NOW - 1 }, grid, NOW), 'pending-expired');
      assert.equal(
        parsePending({ ...r, exp: NOW + pendingLimits.lifetimeMs + 1 }, grid, NOW),
        'pending-too-long',
      );
      assert.equal(parsePending(r, toHex(sha256(utf8('other'))), NOW), 'pending-other-grid');
      assert.equal(
        parsePending({ ...r, blob: 'A'.repeat(pendingLimits.recordChars) }, grid, NOW),
        'pending-too-large',
      );
      for (const junk of [
        null,
        1,
        'x',
        [],
        {},
        { ...r, v: 2 },
        { ...r, r: 'zz' },
        { ...r, inviter: 'x' },
        { ...r, blob: '+' },
      ])
        assert.equal(typeof parsePending(junk, grid, NOW), 'string');
    },
  );

  it(rule('A node holds at most 4 pending records per inviter (the newest) and 256 in all.'), async () => {
    const table = new PendingTable();
    const member = () => true;
    const records = await Promise.all([1, 2, 3, 4, 5].map((n) => record(n, { exp: NOW + 60_000 + n })));
    for (const r of records) assert.ok(table.add(r, NOW, member));
    assert.equal(table.size, pendingLimits.perInviter);
    assert.ok(!table.has(records[0]!.r), 'the one expiring first went');
    assert.equal(table.dropped['pending-inviter-full'], 1);
    assert.equal(table.add(records[4]!, NOW, member), false, 'a record is added once');
    // The one let go, sent again by a neighbour, stays out: taking it back would let a newer one go,
    // which would come back in turn, for ever.
    assert.equal(table.add(records[0]!, NOW, member), false, 'an older one than all held is refused');
    assert.ok(
      records.slice(1).every((r) => table.has(r.r)),
      'the newest four are kept',
    );
    assert.equal(table.dropped['pending-inviter-full'], 2);
    const many = new PendingTable();
    for (let i = 0; i < 300; i++) {
      const signer = nobleSigner(sha256(utf8(`inviter ${i}`)));
      many.add({ ...(await record(i % 200, {}, signer)), r: i.toString(16).padStart(32, '0') }, NOW, member);
    }
    assert.equal(many.size, pendingLimits.total);
  });

  it(rule('A record whose inviter is no longer a member (revoked, gone) is dropped.'), async () => {
    const table = new PendingTable();
    const revoked = new Set<NodeId>();
    const member = (id: NodeId) => !revoked.has(id);
    const r = await record(1);
    const late = await record(2, { exp: NOW + 1_000 });
    table.add(r, NOW, member);
    table.add(late, NOW, member);
    assert.ok(table.get(r.r, NOW, member));
    assert.equal(table.get(late.r, NOW + 1_000, member), undefined, 'expired');
    revoked.add(aliceId);
    assert.equal(table.get(r.r, NOW, member), undefined, 'inviter revoked: dropped');
    assert.equal(table.add(await record(3), NOW, member), false, 'and none accepted from it');
    assert.equal(table.dropped['pending-not-member'], 1);
    revoked.clear();
    const c = await record(4);
    table.add(c, NOW, member);
    assert.ok(table.cancel(c.r));
    assert.equal(table.add(c, NOW, member), false, 'a cancelled record is refused when heard again');
  });
});
