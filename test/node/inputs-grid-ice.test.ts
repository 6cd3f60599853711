// Issue 12 point 4: grid names and ICE servers are checked where they enter, by the protocol's rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMembership, encodeMembership } from '../../src/core/index.ts';
import { checkGridName, checkIceServers } from '../../src/core/inputs.ts';
import { foundGrid } from '../../src/node/grids.ts';
import { parseIceServers } from '../../src/ui/grid-control-panel/parse.ts';

describe('grid names', () => {
  it('are NFC, 1 to 128 bytes, without control or text-direction characters', () => {
    assert.deepEqual(checkGridName('  Caf\u0065\u0301  '), { ok: true, value: 'Caf\u00e9' });
    assert.equal(checkGridName('').ok, false);
    assert.equal(checkGridName('Friends\u202e').ok, false);
    assert.equal(checkGridName('a\nb').ok, false);
    assert.equal(checkGridName('🙂'.repeat(32)).ok, true, '128 bytes');
    const long = checkGridName('🙂'.repeat(33));
    assert.ok(!long.ok && /132/.test(long.message), 'says how many bytes it takes');
  });

  it('a grid founded with a decomposed name carries a descriptor every receiver can read', async () => {
    const grid = await foundGrid('Caf\u0065\u0301', new Uint8Array(32).fill(7), 1_000);
    const field = encodeMembership({
      descriptor: grid.descriptor!,
      chain: grid.chain,
      revocations: [],
      leaving: false,
    });
    assert.ok(decodeMembership(field).ok, 'receivers refuse a non-NFC name: stored in NFC, it decodes');
    await assert.rejects(foundGrid('🙂'.repeat(40), new Uint8Array(32).fill(7), 1_000), /at most 128 bytes/);
  });
});

describe('ICE servers', () => {
  it('are bounded in number and length, TURN with credentials, copied field by field', () => {
    assert.deepEqual(checkIceServers([{ urls: 'stun:example.org:3478', extra: 1 }]), {
      ok: true,
      value: [{ urls: 'stun:example.org:3478' }],
    });
    assert.equal(checkIceServers([{ urls: 'turn:example.org' }]).ok, false, 'TURN without credentials');
    assert.equal(checkIceServers([{ urls: 'http://example.org' }]).ok, false);
    assert.equal(checkIceServers([{ urls: [] }]).ok, false);
    assert.equal(checkIceServers(Array(9).fill({ urls: 'stun:a' })).ok, false);
    assert.equal(checkIceServers([{ urls: `stun:${'a'.repeat(600)}` }]).ok, false);
    assert.equal(checkIceServers('stun:a').ok, false);
    // The form says the same.
    const form = parseIceServers(Array(9).fill('stun:a:1').join('\n'));
    assert.ok(!form.ok && /at most 8/.test(form.error));
  });
});
