/** Names as the dashboard shows them (src/ui/display-name.ts): cleaned, bounded, with the id, lookalikes marked. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_MARKS,
  MAX_NAME_CHARS,
  cleanName,
  cleanText,
  displayName,
  gridName,
  markLookalikes,
  shortId,
  skeleton,
} from '../../../src/ui/display-name.ts';

const ALICE = 'v0-aliceaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const MALLORY = 'v0-mallorymmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm';
const CAROL = 'v0-carolccccccccccccccccccccccccccccccccccccccccccccc';

// Everything the rules say may not be shown: bidi controls (UAX #9), zero-width and other format
// characters, C0/C1 controls, separators, tags, private use, lone surrogates, blank fillers.
const HIDDEN = [
  '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e',
  '\u200f', '\u061c', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u0000', '\u001b',
  '\u007f', '\u0085', '\u2028', '\u2029', '\u{e0041}', '\ue000', '\ud800', '\u3164', '\u115f', '\u034f',
]; // prettier-ignore
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\u3164\u115f\u034f]/u;

describe('display names', () => {
  it('strips bidi controls and every invisible or format character', () => {
    // The classic: "Alice" followed by an override that turns "gpj.exe" around.
    assert.equal(cleanName('Alice\u202egpj.exe'), 'Alicegpj.exe');
    assert.equal(cleanName('\u2067Bob\u2069'), 'Bob');
    for (const c of HIDDEN) {
      // Line breaks part words: they become one space; everything else goes.
      const expected = /[\u0085\u2028\u2029]/.test(c) ? 'a b' : 'ab';
      assert.equal(cleanName(`a${c}b`), expected, `U+${c.codePointAt(0)!.toString(16)}`);
    }
    assert.equal(cleanName('\u200b\u202e\u3164'), undefined, 'nothing visible is no name');
    assert.equal(cleanName('  two \t  words\n'), 'two words');
    assert.equal(cleanName(42), undefined);
    assert.equal(cleanName(undefined), undefined);
  });

  it('is NFC, keeps at most a few combining marks on a letter, and bounds the length without cutting a character', () => {
    assert.equal(cleanName('e\u0301'), '\u00e9');
    const zalgo = `Z${'\u0336'.repeat(200)}oe`;
    assert.equal(cleanName(zalgo), `Z${'\u0336'.repeat(MAX_MARKS)}oe`);
    const long = '👩‍💻'.repeat(10) + 'x'.repeat(100);
    const cut = cleanName('é'.repeat(100))!;
    assert.equal([...cut].length, MAX_NAME_CHARS);
    assert.ok(cut.endsWith('…'));
    assert.ok([...cleanName(long)!].length <= MAX_NAME_CHARS * 2);
    // A flag is two code points and one character: it is kept whole or dropped whole.
    const flags = cleanName('🇫🇷'.repeat(60))!;
    assert.equal(flags, `${'🇫🇷'.repeat(MAX_NAME_CHARS - 1)}…`);
  });

  it('never shows a forbidden character, never grows past its bound and never throws (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom(...HIDDEN)), {
          maxLength: 40,
        }),
        fc.integer({ min: 2, max: 80 }),
        (parts, max) => {
          const out = cleanText(parts.join(''), max);
          assert.ok(!FORBIDDEN.test(out), JSON.stringify(out));
          assert.ok(out === out.trim());
          assert.ok(!/ {2}/.test(out));
          assert.ok([...new Intl.Segmenter().segment(out)].length <= max, `${out.length} > ${max}`);
          assert.equal(cleanText(out, max), out, 'cleaning is idempotent');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('shows a member as its name with its short id, or the short id alone', () => {
    assert.equal(shortId(ALICE), 'aliceaaa');
    assert.deepEqual(displayName(ALICE, undefined, 'Alice'), {
      id: ALICE,
      short: 'aliceaaa',
      name: 'Alice',
      label: 'Alice (aliceaaa)',
      lookalike: false,
    });
    assert.equal(displayName(ALICE, 'my friend', 'Alice').label, 'my friend (aliceaaa)', 'petname first');
    assert.equal(displayName(ALICE, '\u200b', '').label, 'aliceaaa', 'blank names are no names');
    assert.equal(displayName(ALICE, 'Al\u202eice').label, 'Alice (aliceaaa)');
  });

  it('marks both members whose names look alike, and nobody else', () => {
    const lookalikes = [
      ['Alice', 'Аlice'], // Cyrillic А
      ['alice', 'ALICE'],
      ['Alice', 'AIice'], // capital I for l
      ['Alice', 'Alicé'],
      ['Alice', 'A l i c e'],
      ['Bob', 'B0b'],
      ['Pavel', 'Ρаvеl'], // Greek Ρ, Cyrillic а, е
      ['modern', 'rnodern'],
    ];
    for (const [a, b] of lookalikes) {
      const [x, y, z] = markLookalikes([
        displayName(ALICE, a),
        displayName(MALLORY, b),
        displayName(CAROL, 'Carol'),
      ]);
      assert.equal(x!.lookalike, true, `${a} / ${b}`);
      assert.equal(y!.lookalike, true, `${b} / ${a}`);
      assert.equal(z!.lookalike, false);
      assert.equal(skeleton(a!), skeleton(b!));
    }
    const distinct = markLookalikes([displayName(ALICE, 'Alice'), displayName(MALLORY, 'Alina')]);
    assert.deepEqual(
      distinct.map((n) => n.lookalike),
      [false, false],
    );
  });

  it('one member under two names is not a lookalike of itself', () => {
    const [a, b] = markLookalikes([displayName(ALICE, 'Alice'), displayName(ALICE, 'alice')]);
    assert.equal(a!.lookalike || b!.lookalike, false);
  });

  it('a nickname spelt like another member’s short id is marked', () => {
    const [alice, mallory] = markLookalikes([displayName(ALICE), displayName(MALLORY, shortId(ALICE))]);
    assert.equal(mallory!.lookalike, true);
    assert.equal(alice!.lookalike, true, 'Alice, shown by her short id alone, looks like Mallory');
    assert.equal(mallory!.label, `aliceaaa (mallorym)`, 'the real id is still beside the name');
  });

  it('grid names are cleaned too, and never empty', () => {
    assert.equal(gridName('Family\u202e'), 'Family');
    assert.equal(gridName('\u2066'), 'unnamed grid');
    assert.equal(gridName(null), 'unnamed grid');
  });
});
