/** Keys, grids and signed envelopes for core tests; everything derived from fixed seeds. */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  type AnnouncementBody,
  GossipNode,
  type GossipNodeOptions,
  type NodeId,
  encodeAnnounce,
  encodeBody,
  encodeEnvelope,
  nodeIdString,
  seededRandom,
  signedMessage,
  utf8,
} from '../../../src/core/index.ts';
import { nobleSigner, verifySync } from '../../../src/crypto/ed25519.ts';
import type { Envelope, VerifyFn } from '../../../src/core/index.ts';

export const gridA = sha256(utf8('grid A'));
export const gridB = sha256(utf8('grid B'));

export const keyOf = (name: string) => nobleSigner(sha256(utf8(`key ${name}`)));
export const idOf = (name: string): NodeId => nodeIdString(keyOf(name).publicKey);

/** A real verifier that also counts how often it was asked. */
export function countingVerify(): VerifyFn & { calls: number } {
  const fn = ((env: Envelope) => {
    fn.calls++;
    return verifySync(env.origin, signedMessage(env.origin, env.body), env.signature);
  }) as unknown as VerifyFn & { calls: number };
  fn.calls = 0;
  return fn;
}

export function body(fields: Partial<AnnouncementBody> = {}): AnnouncementBody {
  return {
    version: 1,
    gridId: gridA,
    seqnum: 1,
    nonce: new Uint8Array(16),
    nickname: '',
    services: {},
    hints: [],
    membership: new Uint8Array(0),
    ...fields,
  };
}

/** An envelope from `name` with the given body fields, signed by `signedBy` (default: the origin). */
export function envelope(name: string, fields: Partial<AnnouncementBody> = {}, signedBy = name): Uint8Array {
  const origin = keyOf(name).publicKey;
  const bytes = encodeBody(body(fields));
  return encodeEnvelope(origin, bytes, keyOf(signedBy).signSync(signedMessage(origin, bytes)));
}

export const announce = (...envelopes: Uint8Array[]) => encodeAnnounce(envelopes, 256 * 1024)[0]!;

export function node(name: string, options: Partial<GossipNodeOptions> = {}): GossipNode {
  return new GossipNode({
    publicKey: keyOf(name).publicKey,
    gridId: gridA,
    random: seededRandom(1),
    ...options,
  });
}

/** A node with one link to `peer`, ready to receive. */
export function linkedNode(name: string, peer = 'peer', options: Partial<GossipNodeOptions> = {}) {
  const n = node(name, options);
  n.linkUp(idOf(peer), 0);
  return n;
}
