/**
 * Ed25519 for the simulator through Node's own crypto (OpenSSL, RFC 8032 like the node's engines): the
 * same keys, signatures and verdicts as `nobleSigner` and `verifySync`, some fifty times faster, which
 * matters when thousands of simulated nodes make keys and sign refreshes. Signing is deterministic, so a
 * seed still replays the same run.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { Signer } from '../../src/crypto/ed25519.ts';

const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

const concat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

type SyncSigner = Signer & { signSync(message: Uint8Array): Uint8Array };
/** Signers made so far, by secret: a bench builds the same keys for several simulations of one seed. */
const signers = new Map<string, SyncSigner>();

/** A signer from a 32-byte secret seed, as `nobleSigner` makes. */
export function nodeSigner(secretKey: Uint8Array): SyncSigner {
  const id = Buffer.from(secretKey).toString('latin1');
  let signer = signers.get(id);
  if (!signer) signers.set(id, (signer = makeSigner(secretKey)));
  return signer;
}

function makeSigner(secretKey: Uint8Array): SyncSigner {
  const key = createPrivateKey({
    key: Buffer.from(concat(PKCS8_PREFIX, secretKey)),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  const signSync = (message: Uint8Array) => new Uint8Array(sign(null, message, key));
  return { publicKey, sign: async (message) => signSync(message), signSync };
}

const publicKeys = new Map<string, KeyObject>();

/** Synchronous verification; never throws (malformed keys or signatures are just invalid). */
export function nodeVerifySync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    const id = Buffer.from(publicKey).toString('latin1');
    let key = publicKeys.get(id);
    if (!key) {
      key = createPublicKey({
        key: Buffer.from(concat(SPKI_PREFIX, publicKey)),
        format: 'der',
        type: 'spki',
      });
      publicKeys.set(id, key);
    }
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
