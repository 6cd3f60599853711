/**
 * Ed25519 signing and verification behind two small slots, so the core never knows which engine runs:
 * WebCrypto where the runtime has Ed25519 (Chromium ≥ 137, Node ≥ 18; native, and lets the private key
 * be non-extractable), @noble/ed25519 otherwise.
 *
 * Both engines verify with RFC 8032 semantics (noble with `zip215: false`), so that nodes on different
 * engines accept the same signatures; differing edge-case acceptance would split a grid.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

export interface Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface Verifier {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** Synchronous verification with noble; never throws (malformed keys or signatures are just invalid). */
export function verifySync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** A signer from a 32-byte secret seed (RFC 8032 private key), with noble. */
export function nobleSigner(secretKey: Uint8Array): Signer & { signSync(message: Uint8Array): Uint8Array } {
  const key = secretKey.slice();
  return {
    publicKey: ed.getPublicKey(key),
    sign: async (message) => ed.sign(message, key),
    signSync: (message) => ed.sign(message, key),
  };
}

export const nobleVerifier: Verifier = {
  verify: async (publicKey, message, signature) => verifySync(publicKey, message, signature),
};

let webCryptoSupport: Promise<boolean> | undefined;

/** Whether `crypto.subtle` implements Ed25519 here (probed once). */
export function hasWebCryptoEd25519(): Promise<boolean> {
  webCryptoSupport ??= (async () => {
    try {
      const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      const sig = await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, new Uint8Array(1));
      return sig.byteLength === 64;
    } catch {
      return false;
    }
  })();
  return webCryptoSupport;
}

/** A signer over a WebCrypto key pair (the private key may be non-extractable). */
export async function webCryptoSigner(pair: CryptoKeyPair): Promise<Signer> {
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return {
    publicKey,
    sign: async (message) =>
      new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, message as BufferSource)),
  };
}

/** Generates a non-extractable WebCrypto Ed25519 key pair. */
export async function generateWebCryptoKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
}

export const webCryptoVerifier: Verifier = {
  async verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      const key = await crypto.subtle.importKey(
        'raw',
        publicKey as BufferSource,
        { name: 'Ed25519' },
        false,
        ['verify'],
      );
      return await crypto.subtle.verify(
        { name: 'Ed25519' },
        key,
        signature as BufferSource,
        message as BufferSource,
      );
    } catch {
      return false;
    }
  },
};

/** The best verifier this runtime offers. */
export async function defaultVerifier(): Promise<Verifier> {
  return (await hasWebCryptoEd25519()) ? webCryptoVerifier : nobleVerifier;
}
