// The membership records beside a grid, in Chromium with real IndexedDB: the revocation set persists
// (more than 16 of them), and a founder's grid secret survives an expulsion attempt and leaving
// (security review finding 3 [3], [4]).
import * as ed from '@noble/ed25519';
import { deleteDB } from 'idb';
import {
  CERT_NODE,
  certificateMessage,
  encodeMembership,
  fromHex,
  revocationMessage,
  signedCertificate,
  signedRevocation,
} from '../../src/core/index.ts';
import { nobleSigner } from '../../src/crypto/ed25519.ts';
import { base64urlEncode } from '../../src/net/seal.ts';
import { GridNode } from '../../src/node.ts';
import type { GridSession } from '../../src/node/session.ts';
import { openStore } from '../../src/store/index.ts';
import { check, equal } from './assert.ts';

const relays = ['ws://127.0.0.1:9'];
let n = 0;
const fresh = () => `gridnode-records-${Date.now()}-${n++}`;
const GRID = 'ef'.repeat(32);

describe('membership records', () => {
  it('keeps more than 16 revocations across a restart, and keeps them and the grid secret when the grid is deleted', async () => {
    const name = fresh();
    try {
      const store = await openStore(name);
      const records = Array.from({ length: 20 }, (_, i) => new Uint8Array([i, 1, 2, 3]));
      for (const [i, r] of records.entries())
        await store.membership.saveRevocation(GRID, i.toString(16).padStart(16, '0'), r);
      const secret = crypto.getRandomValues(new Uint8Array(32));
      await store.membership.putGridSecret(GRID, secret, 1);
      await store.close();
      const again = await openStore(name);
      equal((await again.membership.loadRevocations(GRID)).length, 20, 'all 20 after a restart');
      await again.deleteGrid(GRID);
      equal((await again.membership.loadRevocations(GRID)).length, 20, 'leaving keeps the set');
      const kept = await again.membership.getGridSecret(GRID);
      check(kept !== undefined && kept.every((b, i) => b === secret[i]), 'the grid secret is kept');
      await again.close();
    } finally {
      await deleteDB(name);
    }
  });

  it('a founder told by a non-founder admin that it is revoked stays, and its grid secret outlives leaving', async () => {
    const dbName = fresh();
    const node = await GridNode.create({ relays, dbName });
    await node.start();
    try {
      const grid = await node.createGrid('Founded');
      const gridKey = node.exportGridKey();
      const session = (node as unknown as { session: GridSession }).session;
      const active = session.active!;
      // An admin the founder certified, who then signs the founder's revocation (the review's [4]).
      const c = nobleSigner(ed.utils.randomSecretKey());
      const fields = {
        kind: CERT_NODE,
        gridId: active.id,
        issuer: session.publicKey,
        subject: c.publicKey,
        role: 'admin',
        canInvite: true,
        issuedAt: Date.now(),
        expiresAt: 0,
      } as const;
      const cert = signedCertificate(fields, await session.signer.sign(certificateMessage(fields)));
      const cChain = [...active.chain, cert];
      const at = Date.now();
      const revocation = signedRevocation(
        { gridId: active.id, revoker: c.publicKey, revoked: session.publicKey, revokedAt: at },
        c.signSync(revocationMessage(active.id, c.publicKey, session.publicKey, at)),
        cChain,
      );
      const notice = encodeMembership({
        descriptor: active.descriptor!,
        chain: [],
        revocations: [revocation],
        leaving: false,
      });
      await session.guard.onRevokedNotice(base64urlEncode(notice));
      await new Promise((resolve) => setTimeout(resolve, 50));
      equal(node.grid?.id, grid.id, 'the founder is still in its grid');
      equal(node.stats().revocations, 1, 'the revocation is held, and counts for nobody but non-founders');
      // Leaving deletes the membership, never the secret.
      await node.leave();
      equal(node.grid, undefined);
      equal(await node.exportStoredGridKey(grid.id), gridKey, 'the grid secret survives');
      check(fromHex(gridKey).length === 32, 'a 32-byte key');
    } finally {
      await node.stop();
      await deleteDB(dbName);
    }
  });
});
