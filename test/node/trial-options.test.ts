/**
 * src/trial-options.ts: `?config=` and `?grid=` are obeyed only by trial builds (SECURITY-REVIEW.md #10,
 * "make it re-announce 44 times a second with `?config=`"); the production build ignores them and says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pageOptions } from '../../src/trial-options.ts';

const ATTACK = new URLSearchParams({
  config: JSON.stringify({
    refreshIntervalMs: 20,
    expireAfterMs: 30,
    forgetAfterMs: 30,
    minPeersToForget: 0,
  }),
  grid: 'Family photos',
  relay: 'ws://127.0.0.1:9',
  db: 'other',
  nick: 'bob',
});

describe('which address-bar parameters a build obeys', () => {
  it('the production build ignores ?config= and ?grid=, and says why', () => {
    const options = pageOptions(ATTACK, 'production');
    assert.equal(options.config, undefined);
    assert.equal(options.gridName, undefined);
    assert.deepEqual(options.ignored, [
      '?grid= ignored: only trial builds obey it',
      '?config= ignored: only trial builds obey it',
    ]);
  });

  it('any mode other than trial and development is production', () => {
    for (const mode of ['staging', '', 'Trial', 'test'])
      assert.equal(pageOptions(ATTACK, mode).config, undefined, mode);
  });

  it('trial builds (npm start, the tests) and the dev server obey them', () => {
    for (const mode of ['trial', 'development']) {
      const options = pageOptions(ATTACK, mode);
      assert.equal(options.gridName, 'Family photos');
      assert.equal(options.config?.refreshIntervalMs, 20);
      assert.deepEqual(options.ignored, []);
    }
  });

  it('every build takes ?relay= (for this session only), ?db= and ?nick=', () => {
    const options = pageOptions(ATTACK, 'production');
    assert.deepEqual(options.relays, ['ws://127.0.0.1:9']);
    assert.equal(options.dbName, 'other');
    assert.equal(options.nickname, 'bob');
  });

  it('relays that are not ws:// or wss:// are dropped; none left means the defaults', () => {
    const options = pageOptions(new URLSearchParams('relay=javascript:x&relay=http://a'), 'trial');
    assert.equal(options.relays, undefined);
  });

  it('a wrong ?config= is refused whole, never partly applied, and never throws', () => {
    for (const [text, reason] of [
      ['{', 'not JSON'],
      ['[1]', 'not an object'],
      ['null', 'not an object'],
    ]) {
      const options = pageOptions(new URLSearchParams({ config: text! }), 'trial');
      assert.equal(options.config, undefined);
      assert.deepEqual(options.ignored, [`?config= ignored: ${reason}`]);
    }
    const invalid = pageOptions(new URLSearchParams({ config: '{"refreshIntervalMs":-1}' }), 'trial');
    assert.equal(invalid.config, undefined);
    assert.match(invalid.ignored[0]!, /^\?config= ignored: /);
  });

  it('?config= also takes maxLinks (for the mesh, not the core); a wrong one refuses the whole', () => {
    const ok = pageOptions(new URLSearchParams({ config: '{"targetLinks":2,"maxLinks":3}' }), 'trial');
    assert.deepEqual(ok.config, { targetLinks: 2 });
    assert.equal(ok.maxLinks, 3);
    for (const bad of ['0', '-1', '2.5', '"3"']) {
      const options = pageOptions(
        new URLSearchParams({ config: `{"targetLinks":2,"maxLinks":${bad}}` }),
        'trial',
      );
      assert.equal(options.config, undefined, bad);
      assert.equal(options.maxLinks, undefined, bad);
      assert.deepEqual(options.ignored, ['?config= ignored: maxLinks must be a positive integer']);
    }
    assert.equal(
      pageOptions(new URLSearchParams({ config: '{"maxLinks":3}' }), 'production').maxLinks,
      undefined,
    );
  });
});
