/**
 * The node key in IndexedDB: made once, on first use, and never replaced.
 *
 * Invariants: only a missing record makes a new identity; a damaged one is refused with
 * `IdentityDamagedError` (the person decides), never silently replaced. Of concurrent first calls (even
 * from two tabs), all end with the same key.
 */
import type { IDBPDatabase } from 'idb';
import type { Signer } from '../crypto/ed25519.ts';
import {
  generateWebCryptoKeyPair,
  hasWebCryptoEd25519,
  nobleSigner,
  webCryptoSigner,
} from '../crypto/ed25519.ts';
import { checkIdentity, IdentityDamagedError } from './record-checks.ts';
import { IDENTITY_KEY } from './schema.ts';
import type { GridNodeDB, IdentityRecord } from './schema.ts';

export interface Identity {
  signer: Signer;
  publicKey: Uint8Array;
  kind: IdentityRecord['kind'];
}

/** Returns the node key, creating it with `engine` on first use. */
export async function loadOrCreateIdentity(
  db: IDBPDatabase<GridNodeDB>,
  engine: 'auto' | 'noble',
): Promise<Identity> {
  const stored: unknown = await db.get('identity', IDENTITY_KEY);
  const record = stored === undefined ? await createIdentity(db, engine) : checkIdentity(stored);
  let signer: Signer;
  try {
    signer =
      record.kind === 'webcrypto' ? await webCryptoSigner(record.keyPair) : nobleSigner(record.secretKey);
  } catch (error) {
    throw new IdentityDamagedError(`its key does not load: ${String(error)}`);
  }
  if (!equalKeys(signer.publicKey, record.publicKey))
    throw new IdentityDamagedError('its public key does not match its private key');
  return { signer, publicKey: record.publicKey, kind: record.kind };
}

async function createIdentity(
  db: IDBPDatabase<GridNodeDB>,
  engine: 'auto' | 'noble',
): Promise<IdentityRecord> {
  // Made before the transaction: a transaction commits as soon as it waits on anything but its requests.
  const fresh = await generateIdentity(engine);
  const tx = db.transaction('identity', 'readwrite', { durability: 'strict' });
  // Readwrite transactions on one store run one at a time, across tabs too: the later of two first
  // calls finds the earlier one's key here and drops its own.
  const existing = await tx.store.get(IDENTITY_KEY);
  if (!existing) await tx.store.add(fresh, IDENTITY_KEY);
  await tx.done;
  return existing ?? fresh;
}

async function generateIdentity(engine: 'auto' | 'noble'): Promise<IdentityRecord> {
  const createdAt = Date.now();
  if (engine === 'auto' && (await hasWebCryptoEd25519())) {
    const keyPair = await generateWebCryptoKeyPair();
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keyPair.publicKey));
    return { kind: 'webcrypto', keyPair, publicKey, createdAt };
  }
  const secretKey = crypto.getRandomValues(new Uint8Array(32));
  return { kind: 'noble', secretKey, publicKey: nobleSigner(secretKey).publicKey, createdAt };
}

function equalKeys(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
