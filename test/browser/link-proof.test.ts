// The link proof over real WebRTC in Chromium (security review finding 6): Mallory sits between Bob and
// Alice on two real links, forwards Bob's challenge to Alice and hands Alice's answer back to Bob. The
// fingerprints come from the real SDPs of each link, so the relayed proof must fail on Bob's link.
import { nobleSigner, nobleVerifier } from '../../src/crypto/ed25519.ts';
import { CHALLENGE_BYTES, LinkProof, sdpFingerprint } from '../../src/net/link-proof.ts';
import { PeerLink, type PeerSignal } from '../../src/net/peer-link.ts';
import { check, equal, waitFor } from './assert.ts';

const live: PeerLink[] = [];
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

interface End {
  link: PeerLink;
  proof: LinkProof;
  opened: boolean;
}

/**
 * One real link between `x` (initiator) and `y`, each with its LinkProof fed the signals it sent and the
 * ones it received, as the mesh does. `xSees` is the key x believes is on the other end.
 */
function wire(gridId: Uint8Array, x: Uint8Array, xSees: Uint8Array, y: Uint8Array, ySees: Uint8Array) {
  const ends: { x?: End; y?: End } = {};
  const make = (self: Uint8Array, peer: Uint8Array, initiator: boolean, other: 'x' | 'y'): End => {
    const proof = new LinkProof(gridId, self, peer, random(CHALLENGE_BYTES));
    const end: End = { proof, opened: false, link: undefined as unknown as PeerLink };
    end.link = new PeerLink(
      { initiator },
      {
        signal: (data: PeerSignal) => {
          check(proof.sent(data) === undefined, 'own SDP has a fingerprint');
          const copy = JSON.parse(JSON.stringify(data)) as PeerSignal;
          queueMicrotask(() => {
            const far = ends[other]!;
            check(far.proof.received(copy) === undefined, 'peer SDP has a fingerprint');
            far.link.signal(copy);
          });
        },
        open: () => (end.opened = true),
      },
    );
    live.push(end.link);
    return end;
  };
  ends.x = make(x, xSees, true, 'y');
  ends.y = make(y, ySees, false, 'x');
  return ends as { x: End; y: End };
}

describe('link proof (PROTOCOL.md §9) over real WebRTC', () => {
  afterEach(() => {
    for (const link of live.splice(0)) link.close();
  });

  it('reads the DTLS fingerprint of an SDP, and refuses SDPs without one', () => {
    const sdp = 'v=0\r\na=fingerprint:SHA-256 ab:' + Array(31).fill('0c').join(':') + '\r\n';
    equal(sdpFingerprint(sdp), 'sha-256 AB:' + Array(31).fill('0C').join(':'));
    equal(sdpFingerprint('v=0\r\n'), undefined);
    const proof = new LinkProof(random(32), random(32), random(32), random(32));
    equal(proof.sent({ type: 'offer', sdp: 'v=0\r\n' }), 'no-fingerprint');
  });

  it('a challenge relayed by an impostor yields a proof that fails on the impostor’s link', async () => {
    const gridId = random(32);
    const alice = nobleSigner(random(32));
    const bob = nobleSigner(random(32));
    const mallory = nobleSigner(random(32));
    // Bob believes the far end of his link is Alice; it is Mallory, who also links to the real Alice.
    const bobSide = wire(gridId, bob.publicKey, alice.publicKey, mallory.publicKey, bob.publicKey);
    const aliceSide = wire(gridId, mallory.publicKey, alice.publicKey, alice.publicKey, mallory.publicKey);
    await waitFor('both links open', () =>
      [bobSide.x, bobSide.y, aliceSide.x, aliceSide.y].every((e) => e.opened),
    );
    check(bobSide.x.proof.local !== bobSide.x.proof.remote, 'two ends, two certificates');

    // Mallory forwards Bob's challenge to Alice, who answers it on her link with Mallory.
    const relayed = aliceSide.y.proof.answer(bobSide.x.proof.challenge);
    check(relayed instanceof Uint8Array, 'alice answers the first challenge of her link');
    const signature = await alice.sign(relayed);
    const expected = bobSide.x.proof.expected();
    check(expected instanceof Uint8Array, 'bob knows both fingerprints');
    equal(
      await nobleVerifier.verify(alice.publicKey, expected, signature),
      false,
      "Alice's relayed proof verifies on Bob's link",
    );
    // She answers no second challenge on that link.
    equal(aliceSide.y.proof.answer(random(CHALLENGE_BYTES)), 'second-challenge');

    // Control: on a link between the real Alice and Bob, her proof verifies.
    const direct = wire(gridId, bob.publicKey, alice.publicKey, alice.publicKey, bob.publicKey);
    await waitFor('direct link open', () => direct.x.opened && direct.y.opened);
    const honest = direct.y.proof.answer(direct.x.proof.challenge);
    check(honest instanceof Uint8Array, 'alice answers');
    const good = direct.x.proof.expected();
    check(good instanceof Uint8Array, 'fingerprints known');
    equal(await nobleVerifier.verify(alice.publicKey, good, await alice.sign(honest)), true, 'honest proof');
  });

  it('answers no challenge before a signed signal of the link arrived', () => {
    const proof = new LinkProof(random(32), random(32), random(32), random(32));
    equal(proof.answer(random(CHALLENGE_BYTES)), 'unauthenticated-link');
  });
});
