/**
 * End-to-end sealing of signaling sent through the mesh (PROTOCOL.md §10), so that forwarders learn only
 * who signals whom, sizes and timing — never addresses, ICE candidates or fingerprints.
 *
 * Each run of a mesh makes a fresh X25519 key pair (WebCrypto; the node's Ed25519 key is non-extractable
 * and cannot be converted). Its public half `x` (base64url, 32 bytes) rides inside the sender's *signed*
 * signaling body, so a forwarder cannot swap it. Between two nodes the key is
 * HKDF-SHA256(X25519(own, peer's x), salt = the two node ids in byte order, info = MESH_SEAL_INFO) as
 * AES-256-GCM; every sealed text is base64url(iv · ciphertext) with a fresh random IV (seal.ts).
 *
 * Invariants: nothing a peer sent throws (bad keys, bad ciphertexts give undefined); derived keys are
 * cached per peer and its `x`, a bounded number of them.
 */
import { utf8 } from '../core/bytes.ts';
import type { NodeId } from '../core/identity.ts';
import { base64urlDecode, base64urlEncode, IV_BYTES, open, seal } from './seal.ts';

export const MESH_SEAL_INFO = 'gridnode/mesh-seal/v1';
const MAX_KEYS = 256;

export class MeshSeal {
  private pair: CryptoKeyPair | undefined;
  /** This run's public key, base64url; empty until `ready` resolves. */
  x = '';
  readonly ready: Promise<void>;
  private readonly keys = new Map<string, Promise<CryptoKey | undefined>>();

  constructor(private readonly selfId: NodeId) {
    this.ready = (async () => {
      this.pair = (await crypto.subtle.generateKey({ name: 'X25519' }, false, [
        'deriveBits',
      ])) as CryptoKeyPair;
      const raw = new Uint8Array(await crypto.subtle.exportKey('raw', this.pair.publicKey));
      this.x = base64urlEncode(raw);
    })();
  }

  /** `plaintext` sealed to `peer` under its key `x`; undefined if `x` is no X25519 key. */
  async seal(peer: NodeId, x: string, plaintext: string): Promise<string | undefined> {
    const key = await this.key(peer, x);
    if (!key) return undefined;
    return seal(key, utf8(plaintext), crypto.getRandomValues(new Uint8Array(IV_BYTES)));
  }

  /** The text `peer` sealed to this node under its key `x`, or undefined. */
  async open(peer: NodeId, x: string, sealed: string): Promise<string | undefined> {
    const key = await this.key(peer, x);
    if (!key) return undefined;
    const bytes = await open(key, sealed);
    if (typeof bytes === 'string') return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
  }

  private key(peer: NodeId, x: string): Promise<CryptoKey | undefined> {
    const id = `${peer} ${x}`;
    let key = this.keys.get(id);
    if (!key) {
      key = this.derive(peer, x).catch(() => undefined);
      this.keys.set(id, key);
      if (this.keys.size > MAX_KEYS) this.keys.delete(this.keys.keys().next().value!);
    }
    return key;
  }

  private async derive(peer: NodeId, x: string): Promise<CryptoKey | undefined> {
    await this.ready;
    const raw = base64urlDecode(x);
    if (!raw || raw.length !== 32) return undefined;
    const publicKey = await crypto.subtle.importKey(
      'raw',
      raw as BufferSource,
      { name: 'X25519' },
      false,
      [],
    );
    const bits = await crypto.subtle.deriveBits(
      { name: 'X25519', public: publicKey } as unknown as AlgorithmIdentifier,
      this.pair!.privateKey,
      256,
    );
    const ikm = await crypto.subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey']);
    const [a, b] = [this.selfId, peer].sort();
    return crypto.subtle.deriveKey(
      {
        name: 'HKDF',
        hash: 'SHA-256',
        salt: utf8(`${a}\n${b}`) as BufferSource,
        info: utf8(MESH_SEAL_INFO) as BufferSource,
      },
      ikm,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
  }
}
