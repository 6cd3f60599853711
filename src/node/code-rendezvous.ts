/**
 * The rendezvous of invitation codes (PROTOCOL.md §11): where an invitee holding only a 26-character code
 * finds a member that holds its pending invitation.
 *
 * One signaling topic serves every code: its "grid id" is SHA-256 of `gridnode/rendezvous/v1`, so the
 * relay sees one topic, rendezvous ids, sizes and timing, and can open nothing of use (the blob is sealed
 * under the code). Messages there are signed as on any topic (signed-signaling.ts). The invitee
 * broadcasts `{ t: 'pending?', r }` the moment a relay opens and every 1.5 s; a member holding the record
 * with that `r` answers it alone `{ t: 'pending', record }`. The invitee opens the first record whose blob
 * its code opens; a wrong code is answered by nobody. Requests are rate-limited per sender.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../core/bytes.ts';
import type { NodeId } from '../core/identity.ts';
import type { Signer, Verifier } from '../crypto/ed25519.ts';
import { RateLimit } from '../net/rate-limit.ts';
import { SignalingClient } from '../net/signaling.ts';
import { SignedSignaling } from '../net/signed-signaling.ts';
import { type CodeKeys, encodePending, openInvite, type PendingRecord } from './pending-invites.ts';

export const RENDEZVOUS_ID = sha256(utf8('gridnode/rendezvous/v1'));
const RETRY_MS = 1_500;
export const RENDEZVOUS_DEADLINE_MS = 15_000;
const HEX32 = /^[0-9a-f]{32}$/;

export interface RendezvousNode {
  selfId: NodeId;
  signer: Signer;
  verifier: Verifier;
  relays: string[];
}

function channel(
  node: RendezvousNode,
  onMessage: (from: NodeId, payload: unknown) => void,
  onOpen: () => void,
) {
  let opened = 0;
  const client = new SignalingClient({
    relays: node.relays,
    gridId: RENDEZVOUS_ID,
    selfId: node.selfId,
    onMessage: (from, payload, info) => signed.receive(from, payload, info.direct),
    onStatus: (status) => {
      const open = status.relays.filter((r) => r.state === 'open').length;
      if (open > opened) onOpen();
      opened = open;
    },
  });
  const signed = new SignedSignaling({
    transport: client,
    signer: node.signer,
    verifier: node.verifier,
    gridId: RENDEZVOUS_ID,
    selfId: node.selfId,
    session: Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join(''),
    onMessage: (from, payload) => onMessage(from, payload),
  });
  return { client, signed };
}

/** A member's side: answers requests for the records it holds. */
export class RendezvousServer {
  private readonly requests = new RateLimit(8, 2);
  private readonly ch: ReturnType<typeof channel>;
  answered = 0;

  constructor(
    node: RendezvousNode,
    private readonly lookup: (r: string) => PendingRecord | undefined,
  ) {
    this.ch = channel(
      node,
      (from, payload) => this.onRequest(from, payload),
      () => undefined,
    );
    this.ch.client.start();
  }

  stop(): void {
    this.ch.client.stop();
  }

  private onRequest(from: NodeId, payload: unknown): void {
    const message = payload as { t?: unknown; r?: unknown } | null;
    if (message?.t !== 'pending?' || typeof message.r !== 'string' || !HEX32.test(message.r)) return;
    if (!this.requests.take(from, Date.now())) return;
    const record = this.lookup(message.r);
    if (!record) return;
    this.answered++;
    void this.ch.signed.send({ t: 'pending', record: encodePending(record) }, from).catch(() => undefined);
  }
}

export class RendezvousError extends Error {
  override name = 'RendezvousError';
}

/** The invitee's side: the long invitation a code's pending record holds, from whichever member answers. */
export function fetchPending(
  node: RendezvousNode,
  keys: CodeKeys,
  deadlineMs = RENDEZVOUS_DEADLINE_MS,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error, invite?: Uint8Array) => {
      if (done) return;
      done = true;
      clearInterval(retry);
      clearTimeout(deadline);
      ch.client.stop();
      if (error) reject(error);
      else resolve(invite!);
    };
    const ask = () => void ch.signed.send({ t: 'pending?', r: keys.r }).catch(() => undefined);
    const ch = channel(
      node,
      (_from, payload) => {
        const message = payload as { t?: unknown; record?: unknown } | null;
        const record = message?.record as { r?: unknown; blob?: unknown } | undefined;
        if (message?.t !== 'pending' || record?.r !== keys.r || typeof record.blob !== 'string') return;
        void openInvite(keys, record.blob).then((invite) => invite && finish(undefined, invite));
      },
      ask,
    );
    const deadline = setTimeout(
      () =>
        finish(
          new RendezvousError(
            'nobody online holds this invitation: check the code, or try again when a member of the grid is online',
          ),
        ),
      deadlineMs,
    );
    const retry = setInterval(ask, RETRY_MS);
    ch.client.start();
  });
}
