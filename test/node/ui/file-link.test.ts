/** Share links (`#file=<cap>&name=<name>`): made URL-encoded, read back, and anything else refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_CAP_LENGTH, fileLink, parseFileLink, safeFileName } from '../../../src/ui/file-link.ts';

const CAP =
  'URI:CHK:ytamm3gu5wbyqgmmx6iv5ybdhe:aeuw3pu4a4x3cf5b6yxjxunh5ddmajnqtpxmyomvqu3gqjfl2zra:3:10:3145728';

describe('share links', () => {
  it('reads back the cap and name it was made with, whatever the name', () => {
    const link = fileLink('https://grid.example/app/', CAP, 'report #2 & notes?.pdf');
    assert.ok(link.startsWith(`https://grid.example/app/#file=${encodeURIComponent(CAP)}&name=`), link);
    assert.deepEqual(parseFileLink(new URL(link).hash), { cap: CAP, name: 'report #2 & notes?.pdf' });
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (name) => {
        const parsed = parseFileLink(new URL(fileLink('https://g.example/', CAP, name)).hash);
        assert.equal(parsed?.cap, CAP);
        assert.equal(parsed?.name, safeFileName(name));
      }),
    );
  });

  it('refuses what is not a cap, and never throws on any fragment', () => {
    for (const hash of [
      '',
      '#invite=abc',
      '#file=',
      '#file=http%3A%2F%2Fevil',
      `#file=URI:CHK:${'a'.repeat(MAX_CAP_LENGTH)}`,
      '#file=URI%3ACHK%3Aa%20b',
      '#file=%E0%A4%A',
    ])
      assert.equal(parseFileLink(hash), undefined, hash);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (tail) => {
        const parsed = parseFileLink(`#file=${tail}`);
        if (parsed) assert.match(parsed.cap, /^URI:[A-Za-z0-9:_-]+$/);
      }),
    );
  });

  it('makes a name safe to show and save: one segment, no control or reordering marks, bounded', () => {
    assert.equal(safeFileName('../../etc/passwd'), '.._.._etc_passwd');
    assert.equal(safeFileName('invoice\u202Efdp.exe'), 'invoicefdp.exe');
    assert.equal(safeFileName('a\u0000b\nc'), 'abc');
    assert.equal(safeFileName('   '), 'download');
    assert.equal(safeFileName('..'), 'download');
    assert.equal([...safeFileName('é'.repeat(500))].length, 200);
    assert.equal(parseFileLink(`#file=${encodeURIComponent(CAP)}`)?.name, 'download');
  });
});
