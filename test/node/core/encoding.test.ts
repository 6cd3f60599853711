import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  base32Decode,
  base32Encode,
  decodeBody,
  decodeEnvelope,
  decodeMessage,
  encodeBody,
  fromHex,
  nodeIdString,
  parseNodeId,
  permutedOrder,
  toHex,
  type AnnouncementBody,
} from '../../../src/core/index.ts';
import { base32Vectors, nodeIdVectors, permutedOrderVectors } from '../../vectors/tahoe.ts';
import { rule } from '../rules.ts';

describe('Tahoe-LAFS compatibility (Tahoe’s own vectors)', () => {
  for (const v of base32Vectors) {
    it(`base32 of ${v.bytes} is ${v.base32} (${v.source})`, () => {
      assert.equal(base32Encode(fromHex(v.bytes)), v.base32);
      assert.equal(toHex(base32Decode(v.base32)!), v.bytes);
    });
  }
  for (const v of nodeIdVectors) {
    it(`nodeIdString gives ${v.nodeId.slice(0, 12)}… (${v.source})`, () => {
      assert.equal(nodeIdString(fromHex(v.publicKey)), v.nodeId);
      assert.equal(toHex(parseNodeId(v.nodeId)!), v.publicKey);
    });
  }
  for (const v of permutedOrderVectors) {
    it(`permutedOrder for storage index ${v.storageIndex} is ${v.expected.join(',')} (${v.source})`, () => {
      assert.deepEqual(permutedOrder(fromHex(v.storageIndex), v.seeds.map(fromHex)), v.expected);
    });
  }
});

describe('base32 and node ids', () => {
  it('round-trips any bytes, and every encoding is lowercase without padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = base32Encode(bytes);
        assert.match(text, /^[a-z2-7]*$/);
        assert.deepEqual(base32Decode(text), bytes);
      }),
    );
  });
  it(rule('Base32 decoding is canonical: the unused low bits of the last character must be zero.'), () => {
    assert.equal(base32Decode('ci2b'), undefined); // 'ci2a' is the canonical spelling of 0x1234
    assert.equal(base32Decode('c'), undefined); // no byte string encodes to one character
    assert.equal(base32Decode('CI2A'), undefined);
  });
  it('rejects ids that are not v0- plus 32 bytes', () => {
    assert.equal(parseNodeId('v1-' + 'a'.repeat(52)), undefined);
    assert.equal(parseNodeId('v0-' + 'a'.repeat(51)), undefined);
    assert.equal(parseNodeId('v0-ci2a'), undefined);
    assert.throws(() => nodeIdString(new Uint8Array(31)), TypeError);
  });
});

const sampleBody: AnnouncementBody = {
  version: 1,
  gridId: new Uint8Array(32).fill(0x11),
  seqnum: 300,
  nonce: new Uint8Array(16).fill(0x22),
  nickname: 'alice',
  services: { storage: { 'permutation-seed-base32': 'aaaa' }, 'grid-control': {} },
  hints: ['wss://relay.example'],
  membership: new Uint8Array([1, 2, 3]),
};

describe('canonical body encoding', () => {
  it('matches its known-answer vector', () => {
    // Written out field by field so the vector can be checked by hand against PROTOCOL.md §2.
    const expected =
      '01' +
      '11'.repeat(32) +
      'ac02' +
      '22'.repeat(16) +
      '05616c696365' +
      '02' +
      '0c677269642d636f6e74726f6c' +
      '00' +
      '0773746f72616765' +
      '01' +
      '177065726d75746174696f6e2d736565642d626173653332' +
      '0461616161' +
      '01' +
      '13' +
      Buffer.from('wss://relay.example').toString('hex') +
      '03010203';
    assert.equal(toHex(encodeBody(sampleBody)), expected);
  });
  it(rule('Canonical encoding means one byte string per meaning.'), () => {
    const reordered = {
      ...sampleBody,
      services: { 'grid-control': {}, storage: { 'permutation-seed-base32': 'aaaa' } },
    };
    assert.deepEqual(encodeBody(reordered), encodeBody(sampleBody));
    const composed = { ...sampleBody, nickname: 'e\u0301' }; // decomposed é is written as NFC
    assert.deepEqual(encodeBody(composed), encodeBody({ ...sampleBody, nickname: '\u00e9' }));
  });
  it('decodes what it encodes, for any valid body', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9._-]{0,10}$/);
    fc.assert(
      fc.property(
        fc.record({
          seqnum: fc.nat(),
          nickname: fc.string({ maxLength: 16 }),
          services: fc.dictionary(name, fc.dictionary(name, fc.string({ maxLength: 20 }), { maxKeys: 3 }), {
            maxKeys: 4,
          }),
          hints: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
        }),
        (fields) => {
          const body = { ...sampleBody, ...fields };
          const decoded = decodeBody(encodeBody(body));
          assert.ok(decoded.ok);
          assert.equal(decoded.value.seqnum, body.seqnum);
          assert.equal(decoded.value.nickname, body.nickname.normalize('NFC'));
          assert.deepEqual(encodeBody(decoded.value), encodeBody(body));
        },
      ),
    );
  });
  it(rule('A decoder rejects anything else, and rejects trailing bytes.'), () => {
    const bytes = encodeBody(sampleBody);
    const reason = (b: Uint8Array) => {
      const d = decodeBody(b);
      return d.ok ? 'ok' : d.reason;
    };
    assert.equal(reason(new Uint8Array([...bytes, 0])), 'trailing-bytes');
    const nonMinimal = new Uint8Array([...bytes.subarray(0, 33), 0xac, 0x82, 0x00, ...bytes.subarray(35)]);
    assert.equal(reason(nonMinimal), 'non-canonical-varint');
    const v2 = bytes.slice();
    v2[0] = 2;
    assert.equal(reason(v2), 'unsupported-version');
    // Swap the two service names' order by re-encoding them by hand: storage before grid-control.
    const hex = toHex(bytes);
    const gc = '0c677269642d636f6e74726f6c00';
    const st = '0773746f72616765' + '01' + '177065726d75746174696f6e2d736565642d626173653332' + '0461616161';
    assert.equal(reason(fromHex(hex.replace(gc + st, st + gc))), 'unsorted-or-duplicate-key');
    assert.equal(reason(fromHex(hex.replace(st, gc))), 'unsorted-or-duplicate-key');
    assert.equal(reason(fromHex(hex.replace('05616c696365', '0365cc81'))), 'non-nfc-string');
    assert.equal(reason(fromHex(hex.replace('05616c696365', '02c328'))), 'invalid-utf8');
  });
  it('refuses to encode what it could not decode', () => {
    assert.throws(() => encodeBody({ ...sampleBody, nickname: 'x'.repeat(65) }), /nickname/);
    assert.throws(() => encodeBody({ ...sampleBody, services: { Storage: {} } }), /service name/);
    assert.throws(() => encodeBody({ ...sampleBody, gridId: new Uint8Array(31) }), /gridId/);
  });
});

describe('decoding untrusted bytes', () => {
  it(rule('Decoding never throws on peer bytes.'), () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        decodeMessage(bytes, 16 * 1024);
        decodeEnvelope(bytes, 16 * 1024);
        decodeBody(bytes);
      }),
      { numRuns: 3000 },
    );
  });
  it('mutated valid bodies either decode to a valid body or are rejected with a reason', () => {
    const bytes = encodeBody(sampleBody);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const mutated = bytes.slice();
        mutated[at] = value;
        const d = decodeBody(mutated);
        if (d.ok)
          assert.deepEqual(encodeBody(d.value), mutated, 'whatever decodes re-encodes to the same bytes');
        else assert.equal(typeof d.reason, 'string');
      }),
      { numRuns: 2000 },
    );
  });
  it('a huge declared count is refused before any allocation', () => {
    const d = decodeMessage(new Uint8Array([3, 0xff, 0xff, 0xff, 0xff, 0x0f]), 1024);
    assert.deepEqual(d, { ok: false, reason: 'count-exceeds-message' });
  });
});
