import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatInviteCode,
  groupCode,
  INVITE_CODE_LENGTH,
  parseInviteCode,
} from '../../../src/core/invite-code.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const secretArb = fc.uint8Array({ minLength: 15, maxLength: 15 });

describe('invitation codes', () => {
  it('are 26 characters of Tahoe base32 and read back to the same 120 bits', () => {
    fc.assert(
      fc.property(secretArb, (secret) => {
        const code = formatInviteCode(secret);
        assert.equal(code.length, INVITE_CODE_LENGTH);
        assert.match(code, /^[a-z2-7]{26}$/);
        const parsed = parseInviteCode(code);
        assert.ok(parsed.ok);
        assert.deepEqual(parsed.secret, secret);
        assert.equal(parsed.code, code);
      }),
    );
  });

  it('ignore case, spaces, dashes and read 0, 1, 8 as o, i, b', () => {
    const code = formatInviteCode(new Uint8Array(15).fill(0x73));
    const typed = groupCode(code).toUpperCase().replace(/ /g, ' - ');
    assert.deepEqual(parseInviteCode(typed), parseInviteCode(code));
    const withO = formatInviteCode(new Uint8Array(15)); // all zero bits: every character is 'a'
    assert.ok(parseInviteCode(withO).ok);
    const lookalike = code.replace(/o/g, '0').replace(/i/g, '1').replace(/b/g, '8');
    const parsed = parseInviteCode(lookalike);
    assert.ok(parsed.ok, 'look-alike digits are read as letters');
    assert.equal(parsed.code, code);
  });

  it('catch every single mistyped character', () => {
    fc.assert(
      fc.property(secretArb, fc.nat(INVITE_CODE_LENGTH - 1), fc.nat(30), (secret, at, shift) => {
        const code = formatInviteCode(secret);
        const wrong = ALPHABET[(ALPHABET.indexOf(code[at]!) + 1 + shift) % 32]!;
        const typo = code.slice(0, at) + wrong + code.slice(at + 1);
        const parsed = parseInviteCode(typo);
        assert.equal(parsed.ok, false);
        assert.equal(!parsed.ok && parsed.error, 'check');
      }),
    );
  });

  it('catch swapped neighbours within a half (all but a with 7, as Luhn mod 32 must)', () => {
    fc.assert(
      fc.property(secretArb, fc.nat(10), fc.boolean(), (secret, i, second) => {
        const code = formatInviteCode(secret);
        const at = second ? 13 + i : i;
        const pair = new Set([code[at], code[at + 1]]);
        fc.pre(pair.size === 2 && !(pair.has('a') && pair.has('7')));
        const swapped = code.slice(0, at) + code[at + 1] + code[at] + code.slice(at + 2);
        assert.equal(parseInviteCode(swapped).ok, false);
      }),
    );
  });

  it('say what is wrong with text that is not a code, and never throw', () => {
    const short = parseInviteCode('abcd');
    assert.ok(!short.ok && short.error === 'length' && /26 characters/.test(short.message));
    const bad = parseInviteCode('abcd efgh !jkl');
    assert.ok(!bad.ok && bad.error === 'character' && bad.message.includes('!'));
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (text) => void parseInviteCode(text)));
  });

  it('are shown in groups of four', () => {
    const code = formatInviteCode(new Uint8Array(15).fill(1));
    assert.match(groupCode(code), /^([a-z2-7]{4} ){6}[a-z2-7]{2}$/);
  });
});
