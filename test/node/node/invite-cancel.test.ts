/**
 * src/node/invite-cancel.ts and invite-book.ts: a cancellation's shape, signature and bounds; that only
 * an invitation's own inviter can void it; and the inviter's list (names cleaned, states, joins read
 * from one-time keys, stored lists checked again).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { nodeIdString, toHex, utf8 } from '../../../src/core/index.ts';
import { nobleSigner, verifySync } from '../../../src/crypto/ed25519.ts';
import {
  cancelLimits,
  CancelTable,
  cancelSignature,
  encodeCancellation,
  parseCancellation,
  signCancellation,
} from '../../../src/node/invite-cancel.ts';
import { cleanName, InviteBook, MAX_ENTRIES } from '../../../src/node/invite-book.ts';

const NOW = 1_800_000_000_000;
const grid = toHex(sha256(utf8('cancel grid')));
const alice = nobleSigner(sha256(utf8('cancel alice')));
const mallory = nobleSigner(sha256(utf8('cancel mallory')));
const hex = (n: number, bytes: number) => toHex(new Uint8Array(bytes).fill(n));

const cancellation = (n: number, signer = alice, exp = NOW + 60_000) =>
  signCancellation(
    { inviter: nodeIdString(signer.publicKey), grid, r: hex(n, 16), key: hex(n, 32), exp },
    (m) => signer.sign(m),
  );

describe('cancelled invitations', () => {
  it('round trip: signed by the inviter, parsed back, signature checks; a changed field does not', async () => {
    const c = await cancellation(1);
    const parsed = parseCancellation(JSON.parse(JSON.stringify(encodeCancellation(c))), grid, NOW);
    assert.deepEqual(parsed, c);
    const s = cancelSignature(c)!;
    assert.ok(verifySync(s.key, s.message, s.signature));
    const forged = cancelSignature({ ...c, r: hex(2, 16) })!;
    assert.ok(!verifySync(forged.key, forged.message, forged.signature));
  });

  it('refuses bad shapes, other grids, expired and too-long ones', async () => {
    const c = encodeCancellation(await cancellation(1));
    assert.equal(parseCancellation({ ...c, key: 'zz' }, grid, NOW), 'cancel-bad-shape');
    assert.equal(parseCancellation({ ...c, v: 2 }, grid, NOW), 'cancel-bad-shape');
    assert.equal(parseCancellation([c], grid, NOW), 'cancel-bad-shape');
    assert.equal(parseCancellation(c, hex(9, 32), NOW), 'cancel-other-grid');
    assert.equal(parseCancellation(c, grid, NOW + 60_000), 'cancel-expired');
    assert.equal(parseCancellation({ ...c, exp: NOW + 8 * 86_400_000 }, grid, NOW), 'cancel-too-long');
    assert.ok(JSON.stringify(c).length <= cancelLimits.chars);
  });

  it('only the inviter voids its invitation: another member naming the same r and key voids nothing of it', async () => {
    const table = new CancelTable();
    const aliceId = nodeIdString(alice.publicKey);
    const malloryId = nodeIdString(mallory.publicKey);
    assert.ok(table.add(await cancellation(1, mallory), NOW));
    assert.equal(table.cancels(hex(1, 16), aliceId, NOW), false);
    assert.equal(table.voids(hex(1, 32), aliceId, NOW), false);
    // Mallory's came first; Alice's own is still taken.
    assert.ok(table.add(await cancellation(1), NOW));
    assert.ok(table.cancels(hex(1, 16), aliceId, NOW));
    assert.ok(table.voids(hex(1, 32), aliceId, NOW));
    assert.ok(table.voids(hex(1, 32), malloryId, NOW));
    assert.equal(table.add(await cancellation(1), NOW), false, 'a repeat is not news');
    assert.equal(table.voids(hex(1, 32), aliceId, NOW + 60_000), false, 'forgotten at its expiry');
    assert.equal(table.size, 0);
  });

  it('bounded: 16 per inviter (the newest kept), 256 in all', async () => {
    const table = new CancelTable();
    for (let n = 0; n < 20; n++) assert.ok(table.add(await cancellation(n, alice, NOW + 1_000 + n), NOW));
    assert.equal(table.size, cancelLimits.perInviter);
    assert.equal(table.dropped['cancel-inviter-full'], 4);
    const aliceId = nodeIdString(alice.publicKey);
    assert.equal(table.cancels(hex(0, 16), aliceId, NOW), false, 'the oldest went');
    assert.ok(table.cancels(hex(19, 16), aliceId, NOW));
    const many = new CancelTable();
    for (let n = 0; n < 300; n++) {
      const signer = nobleSigner(sha256(utf8(`inviter ${n}`)));
      many.add(await cancellation(n % 200, signer), NOW);
    }
    assert.equal(many.size, cancelLimits.total);
    assert.equal(many.dropped['cancel-table-full'], 300 - cancelLimits.total);
  });
});

describe("the inviter's list", () => {
  const entry = (n: number, name?: string) => ({
    code: `code${n}`,
    url: `https://x/#invite=code${n}`,
    expiresAt: NOW + 1_000,
    createdAt: NOW - n,
    r: hex(n, 16),
    key: hex(n, 32),
    ...(name ? { name } : {}),
  });

  it('names are cleaned (controls and bidi overrides out, trimmed, at most 64 characters)', () => {
    assert.equal(cleanName('  Bob\u202e by\u0007 '), 'Bob by');
    assert.equal(cleanName('   '), undefined);
    assert.equal(cleanName(42), undefined);
    assert.equal([...cleanName('é'.repeat(100))!].length, 64);
  });

  it('states: pending, joined (read from the one-time key), cancelled, expired; newest first; saved', () => {
    const saved: unknown[][] = [];
    const book = new InviteBook((e) => saved.push(structuredClone(e)));
    book.add(entry(1, 'Bobby'));
    book.add(entry(2));
    book.add(entry(3, 'Dave'));
    assert.deepEqual(
      book.list(NOW).map((i) => [i.code, i.state]),
      [
        ['code3', 'pending'],
        ['code2', 'pending'],
        ['code1', 'pending'],
      ],
    );
    const bob = nodeIdString(alice.publicKey);
    const joined = book.joined((key) => (key === hex(1, 32) ? bob : undefined));
    assert.deepEqual(
      joined.map((e) => [e.name, e.joinedBy]),
      [['Bobby', bob]],
    );
    assert.deepEqual(book.joined(() => bob).length, 2, 'each entry is told once');
    assert.ok(book.cancel('code3'));
    assert.equal(book.cancel('nope'), undefined);
    const fresh = new InviteBook();
    fresh.add(entry(4));
    assert.equal(fresh.list(NOW + 1_000)[0]!.state, 'expired');
    assert.equal(book.list(NOW).find((i) => i.code === 'code1')!.state, 'joined');
    assert.ok(saved.length >= 5);
  });

  it('a stored list is checked again: garbled entries dropped, at most 64 kept', () => {
    const book = new InviteBook();
    const stored = [
      ...Array.from({ length: 70 }, (_, n) => entry(n % 200)),
      { ...entry(1), r: 'not hex' },
      { ...entry(2), expiresAt: 'soon' },
      null,
      { ...entry(3), name: '\u202eevil', joinedBy: 5 },
    ];
    book.load(stored);
    const list = book.list(NOW);
    assert.ok(list.length <= MAX_ENTRIES);
    assert.equal(list[0]!.name, 'evil');
    assert.equal(list[0]!.joinedBy, undefined);
    book.load('garbage');
    assert.deepEqual(book.list(NOW), []);
  });
});
