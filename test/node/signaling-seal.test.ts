// The signaling wire format checked against independent implementations (node:crypto), and the backoff schedule.
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/net/backoff.ts';
import {
  base64urlDecode,
  base64urlEncode,
  deriveSignalKey,
  gridTopic,
  IV_BYTES,
  open,
  seal,
  TAG_BYTES,
} from '../../src/net/seal.ts';

const gridId = new Uint8Array(randomBytes(32));

/** AES-256-GCM decryption of `data` with a key derived by node:crypto's HKDF, per the documented format. */
function independentOpen(grid: Uint8Array, data: string): Buffer {
  const key = Buffer.from(hkdfSync('sha256', grid, new Uint8Array(0), 'gridnode/signal/v1', 32));
  const bytes = Buffer.from(data, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
}

describe('signaling: topic and sealing', () => {
  it('derives the topic as hex(sha256("gridnode/topic/v1" || gridId))', () => {
    const expected = createHash('sha256').update('gridnode/topic/v1').update(gridId).digest('hex');
    assert.equal(gridTopic(gridId), expected);
    assert.notEqual(gridTopic(new Uint8Array(32)), expected);
    assert.ok(!expected.includes(Buffer.from(gridId).toString('hex')));
  });

  it('seals as base64url(iv || AES-256-GCM) under HKDF-SHA256(gridId, "", "gridnode/signal/v1")', async () => {
    const key = await deriveSignalKey(gridId);
    const iv = new Uint8Array(randomBytes(IV_BYTES));
    const plaintext = new TextEncoder().encode('{"hello":"grid"}');
    const data = await seal(key, plaintext, iv);
    assert.match(data, /^[A-Za-z0-9_-]+$/);
    const bytes = Buffer.from(data, 'base64url');
    assert.equal(bytes.length, IV_BYTES + plaintext.length + TAG_BYTES);
    assert.deepEqual(new Uint8Array(bytes.subarray(0, IV_BYTES)), iv);
    assert.equal(independentOpen(gridId, data).toString(), '{"hello":"grid"}');
    assert.deepEqual(await open(key, data), plaintext);
  });

  it('refuses to open bad base64, short input, tampering and other grids, without throwing', async () => {
    const key = await deriveSignalKey(gridId);
    const other = await deriveSignalKey(new Uint8Array(32).fill(7));
    const data = await seal(key, new Uint8Array([1, 2, 3]), new Uint8Array(IV_BYTES));
    assert.equal(await open(key, 'not base64!'), 'bad-base64');
    assert.equal(await open(key, 'abc='), 'bad-base64');
    assert.equal(await open(key, 'abcde'), 'bad-base64');
    assert.equal(await open(key, ''), 'decrypt-failed');
    assert.equal(await open(key, base64urlEncode(new Uint8Array(27))), 'decrypt-failed');
    const tampered = Buffer.from(data, 'base64url');
    tampered[IV_BYTES] = tampered[IV_BYTES]! ^ 1;
    assert.equal(await open(key, tampered.toString('base64url')), 'decrypt-failed');
    assert.equal(await open(other, data), 'decrypt-failed');
    assert.deepEqual(await open(key, data), new Uint8Array([1, 2, 3]));
  });

  it('base64url round-trips every length and matches Buffer', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = new Uint8Array(randomBytes(n));
      const text = base64urlEncode(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64url'));
      assert.deepEqual(base64urlDecode(text), bytes);
    }
    for (const bad of ['a', 'ab+c', 'ab/c', 'ab==', 'ab c', 'ä'])
      assert.equal(base64urlDecode(bad), undefined);
  });
});

describe('signaling: backoff', () => {
  const opts = { baseMs: 500, maxMs: 30_000 };

  it('doubles per failure up to the maximum, jittered within [ceiling/2, ceiling)', () => {
    const ceilings = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000];
    ceilings.forEach((ceiling, i) => {
      assert.equal(
        backoffDelay(i + 1, opts, () => 0),
        ceiling / 2,
      );
      assert.equal(
        backoffDelay(i + 1, opts, () => 0.999999),
        ceiling / 2 + (0.999999 * ceiling) / 2,
      );
    });
    assert.equal(
      backoffDelay(10_000, opts, () => 0.5),
      22_500,
    );
    assert.ok(Number.isFinite(backoffDelay(Number.MAX_SAFE_INTEGER, opts, () => 0.5)));
  });

  it('spreads delays using the random source', () => {
    const delays = new Set([0.1, 0.4, 0.7].map((r) => backoffDelay(3, opts, () => r)));
    assert.equal(delays.size, 3);
    for (const d of delays) assert.ok(d >= 1000 && d < 2000);
  });
});
