/**
 * The IndexedDB schema of a grid node, typed for idb. Bump `DB_VERSION` and add a step at the bottom of
 * `upgrade` for every change; never edit a step that has shipped, because a browser may hold a database at
 * any earlier version and replays the steps above its own.
 */
import type { DBSchema, IDBPDatabase } from 'idb';
import type { PeerHistory } from '../core/history.ts';
import type { FileEntry } from '../services/files-types.ts';
import type { ClientRecord, ShareRecord } from '../services/share-store.ts';

export const DB_VERSION = 6;

/** The only key of the `identity` store: one node key per database. */
export const IDENTITY_KEY = 'node';

/**
 * The node key. WebCrypto keys are stored as `CryptoKey` objects (IndexedDB structured-clones them), so a
 * non-extractable private key persists without ever being readable by script; `publicKey` is kept raw so
 * the node id is known without a crypto call.
 */
export type IdentityRecord =
  | { kind: 'webcrypto'; keyPair: CryptoKeyPair; publicKey: Uint8Array; createdAt: number }
  | { kind: 'noble'; secretKey: Uint8Array; publicKey: Uint8Array; createdAt: number };

/** An announcement as received: the envelope bytes exactly, and the local clock at receipt. */
export interface AnnouncementRecord {
  envelope: Uint8Array;
  receivedAt: number;
}

/**
 * A peer's connection history; `connectedSince` is not stored, since no session survives a restart.
 * `rttSamples` is missing from records written before it existed.
 */
export type PeerHistoryRecord = Omit<PeerHistory, 'connectedSince' | 'rttSamples'> & {
  rttSamples?: number[];
};

/**
 * What is kept of a forgotten node (rule 3): announcements at or below `seqnum` stay refused until
 * `until` (local clock), so the forgotten one cannot come back through gossip.
 */
export interface FloorRecord {
  seqnum: number;
  until: number;
}

/** Any value that survives `JSON.stringify` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Membership of one grid. */
export interface GridRecord {
  name: string;
  joinedAt: number;
  /** Signaling relay URLs. */
  relays: string[];
  /** Owned by the membership layer; opaque here. */
  data?: unknown;
}

/** [grid id as 64 lowercase hex digits, node id (`v0-…`)] */
export type GridNodeKey = [gridIdHex: string, nodeId: string];

export interface GridNodeDB extends DBSchema {
  identity: { key: typeof IDENTITY_KEY; value: IdentityRecord };
  /** The last seqnum this node signed, per grid id hex. */
  counters: { key: string; value: number };
  announcements: { key: GridNodeKey; value: AnnouncementRecord };
  peers: { key: GridNodeKey; value: PeerHistoryRecord };
  floors: { key: GridNodeKey; value: FloorRecord };
  /** Keyed by grid id hex. */
  grids: { key: string; value: GridRecord };
  settings: { key: string; value: JsonValue };
  /** Storage server: one record per share held, keyed [storage index hex, share number]. */
  shares: { key: [si: string, share: number]; value: ShareRecord };
  /** Storage server: share bytes in 64 KiB chunks, keyed [storage index hex, share number, chunk index]. */
  shareChunks: { key: [si: string, share: number, index: number]; value: Uint8Array };
  /** Storage server: what the owner set for (and last knew of) each client, by node id. */
  storageClients: { key: string; value: ClientRecord };
  /** The grid's revocation set: [grid id hex, revocation id hex] → revocation record bytes. */
  revocations: { key: [gridIdHex: string, revocationIdHex: string]; value: Uint8Array };
  /** A founder's grid secret, by grid id hex: apart from `grids`, so no leave or expulsion deletes it. */
  gridSecrets: { key: string; value: GridSecretRecord };
  /** The files this node uploaded: [grid id hex, cap] → entry (src/store/files.ts). */
  files: { key: [gridIdHex: string, cap: string]; value: FileEntry };
}

/** The grid key's secret half, as the founder made it. */
export interface GridSecretRecord {
  secretKey: Uint8Array;
  savedAt: number;
}

/** The upgrade ladder: each step takes a database from the version before it to its own. */
export function upgrade(db: IDBPDatabase<GridNodeDB>, oldVersion: number): void {
  // v1: what gossip needs to restart where it stopped.
  if (oldVersion < 1) {
    db.createObjectStore('identity');
    db.createObjectStore('counters');
    db.createObjectStore('announcements');
  }
  // v2: what the driver needs to reconnect and rejoin.
  if (oldVersion < 2) {
    db.createObjectStore('peers');
    db.createObjectStore('grids');
    db.createObjectStore('settings');
  }
  // v3: seqnum floors of forgotten nodes.
  if (oldVersion < 3) {
    db.createObjectStore('floors');
  }
  // v4: the storage server's shares and clients (src/store/shares.ts).
  if (oldVersion < 4) {
    db.createObjectStore('shares');
    db.createObjectStore('shareChunks');
    db.createObjectStore('storageClients');
  }
  // v5: revocation sets (persisted, reconciled), and grid secrets kept apart from memberships.
  if (oldVersion < 5) {
    db.createObjectStore('revocations');
    db.createObjectStore('gridSecrets');
  }
  // v6: the files this node uploaded.
  if (oldVersion < 6) {
    db.createObjectStore('files');
  }
}
