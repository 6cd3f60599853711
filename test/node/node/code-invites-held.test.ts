/**
 * src/node/code-invites.ts: "A node passes each `0x31` on once" (PROTOCOL.md §11). Three members in a
 * triangle hold one pending invitation, each having it from the next (a loop of "came from" links, as a
 * record dropped and heard again, or a hostile member, can make); a "holds" frame going in must come out
 * of the loop after one lap, not circulate forever.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { WebSocket as NodeWebSocket } from 'ws';
import { type NodeId, nodeIdString, toHex, utf8 } from '../../../src/core/index.ts';
import { nobleSigner, verifySync } from '../../../src/crypto/ed25519.ts';
import { CodeInvites, FRAME_HELD, FRAME_PENDING } from '../../../src/node/code-invites.ts';
import { deriveCodeKeys, encodePending, sealInvite, signPending } from '../../../src/node/pending-invites.ts';

const grid = toHex(sha256(utf8('held grid')));
const verifier = { verify: async (k: Uint8Array, m: Uint8Array, s: Uint8Array) => verifySync(k, m, s) };
const encoder = new TextEncoder();
// A member holding a record answers at the rendezvous: its relay client needs a WebSocket (nothing
// listens at the relay given, so it never connects).
(globalThis as { WebSocket?: unknown }).WebSocket ??= NodeWebSocket;

interface Frame {
  from: NodeId;
  to: NodeId;
  kind: number;
  body: Uint8Array;
}

describe('"holds" frames towards an inviter', () => {
  it('are passed on once by each member, so a loop of "came from" links carries each one lap only', async () => {
    const inviter = nobleSigner(sha256(utf8('held inviter')));
    const signers = ['a', 'b', 'c'].map((n) => nobleSigner(sha256(utf8(`held ${n}`))));
    const ids = signers.map((s) => nodeIdString(s.publicKey));
    const queue: Frame[] = [];
    const nodes = signers.map(
      (signer, i) =>
        new CodeInvites({
          selfId: ids[i]!,
          signer,
          verifier: async () => verifier,
          relays: () => ['ws://127.0.0.1:9'],
          gridHex: () => grid,
          isMember: () => true,
          peers: () => ids.filter((_, j) => j !== i),
          sendFrame: (to, kind, body) => (queue.push({ from: ids[i]!, to, kind, body }), true),
        }),
    );
    const keys = await deriveCodeKeys(new Uint8Array(15).fill(7));
    const record = await signPending(
      {
        inviter: nodeIdString(inviter.publicKey),
        grid,
        r: keys.r,
        exp: Date.now() + 60_000,
        blob: await sealInvite(keys, utf8('the long invitation')),
      },
      (m) => inviter.sign(m),
    );
    const bytes = encoder.encode(JSON.stringify(encodePending(record)));
    // a has it from c, b from a, c from b: a loop.
    for (const [to, from] of [
      [0, 2],
      [1, 0],
      [2, 1],
    ] as const)
      await nodes[to]!.frame(ids[from]!, FRAME_PENDING, bytes);
    queue.length = 0;

    const by = nodeIdString(nobleSigner(sha256(utf8('held holder'))).publicKey);
    await nodes[0]!.frame(ids[1]!, FRAME_HELD, encoder.encode(JSON.stringify({ r: keys.r, by })));
    let held = 0;
    for (let step = 0; step < 100 && queue.length > 0; step++) {
      const frame = queue.shift()!;
      if (frame.kind === FRAME_HELD) held++;
      await nodes[ids.indexOf(frame.to)]!.frame(frame.from, frame.kind, frame.body);
    }
    assert.equal(queue.length, 0, 'the frame left the loop');
    assert.equal(held, 3, 'one lap: passed on once by each of the three');
    assert.equal(nodes[0]!.stats().dropped['held-duplicate'], 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (const node of nodes) node.stop();
  });
});
