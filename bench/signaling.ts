/**
 * `npm run bench:signaling -- [--messages N]`
 *
 * What signed signaling (src/net/signed-signaling.ts) costs a receiver, in Node with WebCrypto Ed25519
 * (the browser's engine where Chromium has it), with no relay in between: N genuine messages from one
 * sender (signature checked once each), N copies of one forged message (checked once, then cached), N
 * replays of an accepted message (refused by counter, no check) and N unsigned ones. Prints one JSON
 * line: microseconds per message for each kind, and the signature checks each kind cost.
 */
import { nodeIdString } from '../src/core/identity.ts';
import {
  type Verifier,
  webCryptoSigner,
  webCryptoVerifier,
  generateWebCryptoKeyPair,
} from '../src/crypto/ed25519.ts';
import { SignedSignaling } from '../src/net/signed-signaling.ts';

const i = process.argv.indexOf('--messages');
const messages = i < 0 ? 2000 : Number(process.argv[i + 1]);
if (!Number.isSafeInteger(messages) || messages < 1) throw new Error('--messages needs a positive integer');

const gridId = crypto.getRandomValues(new Uint8Array(32));
const sent: unknown[] = [];
const sender = await webCryptoSigner(await generateWebCryptoKeyPair());
const senderId = nodeIdString(sender.publicKey);
const out = new SignedSignaling({
  transport: { send: async (payload) => (sent.push(payload), 1) },
  signer: sender,
  verifier: webCryptoVerifier,
  gridId,
  selfId: senderId,
  session: 'bench-sender',
  onMessage: () => {},
});
const receiverKey = await webCryptoSigner(await generateWebCryptoKeyPair());
let checks = 0;
let delivered = 0;
let settle: () => void = () => {};
const counting: Verifier = { verify: (k, m, s) => (checks++, webCryptoVerifier.verify(k, m, s)) };
const receiver = new SignedSignaling({
  transport: { send: async () => 1 },
  signer: receiverKey,
  verifier: counting,
  gridId,
  selfId: nodeIdString(receiverKey.publicKey),
  session: 'bench-receiver',
  onMessage: () => {
    if (++delivered === messages) settle();
  },
});

for (let n = 0; n < messages; n++) await out.send({ t: 'hello', n });
const dropped = () => Object.values(receiver.dropped).reduce((a, b) => a + b, 0);
const until = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 0));
};

async function measure(feed: () => void, done: () => boolean) {
  const before = checks;
  const start = performance.now();
  feed();
  await until(done);
  return { usPerMessage: ((performance.now() - start) * 1000) / messages, checks: checks - before };
}

// Fed in slices of 200 (below the receive backlog of 256), each slice handled before the next arrives.
const handled = () => delivered + dropped();
const slices = async (payloads: () => unknown, from: string) => {
  const base = handled();
  for (let n = 0; n < messages; n++) {
    receiver.receive(from, payloads(), false);
    if (n % 200 === 199) await until(() => handled() >= base + n + 1);
  }
};
let k = 0;
const genuine = await measure(
  () => void slices(() => sent[k++], senderId),
  () => delivered === messages,
);
const base1 = dropped();
const replay = await measure(
  () => void slices(() => sent[0], senderId),
  () => dropped() === base1 + messages,
);
const forgedPayload = { ...(sent[1] as { m: string; g: string }) };
forgedPayload.g = forgedPayload.g.slice(0, -2) + (forgedPayload.g.endsWith('AA') ? 'AQ' : 'AA');
const fresh = JSON.parse(forgedPayload.m) as Record<string, unknown>;
forgedPayload.m = JSON.stringify({ ...fresh, n: messages * 10 });
const base2 = dropped();
const forged = await measure(
  () => void slices(() => forgedPayload, senderId),
  () => dropped() === base2 + messages,
);
const base3 = dropped();
const unsigned = await measure(
  () => void slices(() => ({ t: 'hello', s: 'x' }), senderId),
  () => dropped() === base3 + messages,
);
console.log(JSON.stringify({ messages, genuine, forged, replay, unsigned, dropped: receiver.dropped }));
