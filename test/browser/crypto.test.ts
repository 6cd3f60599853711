// Signatures in real Chromium: WebCrypto Ed25519 and @noble/ed25519 agree, known-answer vectors hold,
// and the verification cache never verifies the same bytes twice.
import {
  GossipNode,
  type Output,
  MessageType,
  decodeEnvelope,
  decodeMessage,
  encodeEnvelope,
  fromHex,
  nodeIdString,
  seededRandom,
  toHex,
} from '../../src/core/index.ts';
import {
  generateWebCryptoKeyPair,
  hasWebCryptoEd25519,
  nobleSigner,
  verifySync,
  webCryptoSigner,
  webCryptoVerifier,
} from '../../src/crypto/ed25519.ts';
import { VerificationCache } from '../../src/crypto/verify-cache.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { nodeIdVectors } from '../vectors/tahoe.ts';
import { check, equal } from './assert.ts';

// RFC 8032 §7.1, test 1 (empty message).
const RFC_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC_SIGNATURE =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
// Our envelope for a fixed body, signed by the RFC key: kind · origin · body · signature (PROTOCOL.md §2).
const ENVELOPE_KAT =
  '01' +
  RFC_PUBLIC +
  '42' +
  '01' +
  '07'.repeat(32) +
  '01' +
  '09'.repeat(16) +
  '036b6174' +
  '01' +
  '0773746f7261676500' +
  '00' +
  '00' +
  '7f5efdc1b13e6b4bc887a17b250b72cdd9aaf06ed7b128f1edf599219fe9f7daafe22e48347be6bd502749f84d8f8ad9d555b3c5826abe6b67640f298ddab50c';

describe('ed25519 in Chromium', () => {
  it('this Chromium has WebCrypto Ed25519, so nodes use native keys', async () => {
    check(await hasWebCryptoEd25519(), 'WebCrypto Ed25519 available');
  });

  it('matches RFC 8032 test 1 with noble, and WebCrypto verifies it', async () => {
    const signer = nobleSigner(fromHex(RFC_SECRET));
    equal(toHex(signer.publicKey), RFC_PUBLIC);
    equal(toHex(await signer.sign(new Uint8Array())), RFC_SIGNATURE);
    check(
      await webCryptoVerifier.verify(fromHex(RFC_PUBLIC), new Uint8Array(), fromHex(RFC_SIGNATURE)),
      'verifies',
    );
  });

  it('the announcement envelope known-answer vector verifies on both engines, and the id is Tahoe-style', async () => {
    const env = decodeEnvelope(fromHex(ENVELOPE_KAT), 16_384);
    check(env.ok, 'decodes');
    check(await new VerificationCache(webCryptoVerifier).verify(env.value), 'WebCrypto accepts');
    const fresh = new VerificationCache(webCryptoVerifier);
    check(fresh.lookup(env.value, sha256(env.value.bytes)), 'the synchronous noble path accepts');
    equal(fresh.misses, 1, 'and it really verified');
    equal(nodeIdString(env.value.origin).slice(0, 3), 'v0-');
    for (const v of nodeIdVectors) equal(nodeIdString(fromHex(v.publicKey)), v.nodeId, v.source);
  });

  it('a non-extractable WebCrypto key signs what noble verifies, and the reverse', async () => {
    const pair = await generateWebCryptoKeyPair();
    equal(pair.privateKey.extractable, false, 'private key extractable');
    const web = await webCryptoSigner(pair);
    const message = new TextEncoder().encode('cross-engine');
    check(verifySync(web.publicKey, message, await web.sign(message)), 'noble verifies WebCrypto');
    const noble = nobleSigner(crypto.getRandomValues(new Uint8Array(32)));
    check(
      await webCryptoVerifier.verify(noble.publicKey, message, await noble.sign(message)),
      'WebCrypto verifies noble',
    );
    check(
      !(await webCryptoVerifier.verify(noble.publicKey, message, new Uint8Array(64))),
      'zero signature rejected',
    );
    check(
      !(await webCryptoVerifier.verify(new Uint8Array(31), message, new Uint8Array(64))),
      'bad key rejected',
    );
  });

  it('caches by the hash of the envelope bytes: same bytes verified once, a tampered signature never hits', async () => {
    const env = decodeEnvelope(fromHex(ENVELOPE_KAT), 16_384);
    check(env.ok, 'decodes');
    const cache = new VerificationCache(webCryptoVerifier);
    for (let i = 0; i < 5; i++) check(await cache.verify(env.value), 'valid');
    equal(cache.misses, 1, 'engine calls');
    equal(cache.hits, 4, 'cache hits');
    const bytes = fromHex(ENVELOPE_KAT);
    bytes[bytes.length - 1]! ^= 1;
    const tampered = decodeEnvelope(bytes, 16_384);
    check(tampered.ok, 'still decodes');
    check(!(await cache.verify(tampered.value)), 'tampered signature is invalid');
  });
});

describe('the core in Chromium', () => {
  it('two nodes with WebCrypto keys exchange announcements through the verification cache', async () => {
    const grid = crypto.getRandomValues(new Uint8Array(32));
    const make = async () => {
      const signer = await webCryptoSigner(await generateWebCryptoKeyPair());
      const node = new GossipNode({ publicKey: signer.publicKey, gridId: grid, random: seededRandom(3) });
      return { signer, node };
    };
    const a = await make();
    const b = await make();
    const cache = new VerificationCache(webCryptoVerifier);
    const queue: [GossipNode, string, Uint8Array][] = [];
    const route = (from: GossipNode, out: Output[]) => {
      for (const o of out)
        if (o.type === 'send') queue.push([o.to === a.node.id ? a.node : b.node, from.id, o.bytes]);
    };
    const publish = async (n: typeof a) => {
      n.node.publish('storage');
      const p = n.node.prepareAnnouncement();
      route(
        n.node,
        n.node.acceptOwn(encodeEnvelope(n.signer.publicKey, p.body, await n.signer.sign(p.message)), 0),
      );
    };
    await publish(a);
    await publish(b);
    route(a.node, a.node.linkUp(b.node.id, 0));
    route(b.node, b.node.linkUp(a.node.id, 0));
    for (let now = 1, guard = 0; guard < 200; guard++, now += 25) {
      const item = queue.shift();
      if (!item) {
        route(a.node, a.node.tick(now));
        route(b.node, b.node.tick(now));
        if (queue.length === 0) break;
        continue;
      }
      const [to, from, bytes] = item;
      // The driver's part: verify news asynchronously (WebCrypto) before the synchronous core sees it.
      const message = decodeMessage(bytes, 1 << 20);
      if (message.ok && message.value.type === MessageType.Announce) {
        await cache.verifyAll(message.value.envelopes, 16_384);
      }
      route(to, to.receive(from as never, bytes, now, cache.lookup));
    }
    equal(a.node.getPeers('storage').length, 2, 'a knows both');
    equal(b.node.getPeers('storage').length, 2, 'b knows both');
    equal(cache.misses, 2, 'each announcement verified once, by WebCrypto');
    check(cache.hits >= 2, 'the core was answered from the cache');
  });
});
