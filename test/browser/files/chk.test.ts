// The CHK format in real Chromium, on the default WebCrypto slots: a Tahoe-LAFS test vector's cap, a
// decode from k shares, a damaged share turned down by name, and the codec figures function runs.
import {
  decodeCHK,
  defaultFileCrypto,
  encodeCHK,
  memorySources,
  openShare,
  parseCap,
} from '../../../src/files/index.ts';
import { measureCodec } from '../../../bench/files-codec-core.ts';
import { check, equal } from '../assert.ts';

// integration/vectors/test_vectors.yaml: 3-of-10, seed "a" stretched to 1024 bytes, secret "a" × 16.
const VECTOR = {
  cap: 'URI:CHK:dx7tvyr2fc4u7lxjc6kehq2svq:tiy4qh2g6lqejxcaym3rr7ymkdkinn4qised6kgxloj7sptsqu4a:3:10:1024',
  plaintext: new TextEncoder().encode('a'.repeat(1024)),
  convergence: new TextEncoder().encode('a'.repeat(16)),
};
// Same file, 131073 bytes of a 32-byte seed: two segments, the tail a single byte.
const SEED = 'fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9';
const TWO_SEGMENTS =
  'URI:CHK:7vfgl5cv4nlzqx35z4uthjv36y:nnueftbzxfz6u5yjxwwofaxzzft7xss5wzfh66rrcwv2zwrm63sa:3:10:131073';

describe('Tahoe CHK files in Chromium', () => {
  it("encodes Tahoe's vectors to Tahoe's caps with WebCrypto", async () => {
    const one = await encodeCHK(VECTOR.plaintext, {
      k: 3,
      n: 10,
      segmentSize: 131072,
      convergence: VECTOR.convergence,
    });
    equal(one.cap, VECTOR.cap);
    const seed = Uint8Array.from(SEED.match(/../g)!, (h) => parseInt(h, 16));
    const data = new Uint8Array(131073);
    for (let i = 0; i < data.length; i++) data[i] = seed[i % 32]!;
    const two = await encodeCHK(data, { k: 3, n: 10, segmentSize: 131072, convergence: VECTOR.convergence });
    equal(two.cap, TWO_SEGMENTS);
    const back = await decodeCHK(two.cap, [...two.shares].slice(7));
    check(back.ok, back.ok ? '' : back.reason);
    equal(back.value.length, data.length);
    check(
      back.value.every((b, i) => b === data[i]),
      'decoded bytes match',
    );
  });

  it('turns a damaged share down by name', async () => {
    const { cap, shares } = await encodeCHK(VECTOR.plaintext, {
      k: 3,
      n: 10,
      segmentSize: 131072,
      convergence: VECTOR.convergence,
    });
    const parsed = parseCap(cap);
    check(parsed.ok && parsed.value.kind === 'chk', 'parsed');
    const damaged = shares.get(4)!.slice();
    damaged[damaged.length - 3]! ^= 0x40;
    const source = (await memorySources([[4, damaged]])())!;
    const opened = await openShare(defaultFileCrypto(), parsed.value, source);
    check(!opened.ok && opened.reason === 'bad-ueb-hash', opened.ok ? 'opened' : opened.reason);
    const result = await decodeCHK(cap, [
      [4, damaged],
      [5, shares.get(5)!],
    ]);
    check(
      !result.ok && result.reason.startsWith('not-enough-shares') && result.reason.includes('bad-ueb-hash'),
      'named',
    );
  });

  it('measures codec speed in the page', async () => {
    const figures = await measureCodec({ sizeBytes: 1 << 20 });
    check(figures.encodeMBps > 0 && figures.decodeMBps > 0, JSON.stringify(figures));
  });
});
