/**
 * Persistence for a grid node, in IndexedDB. The only module that imports idb. See store.ts for the
 * durability invariant of the seqnum counter.
 */
export {
  type Identity,
  type RefusalReason,
  type StoreOptions,
  type StoreStats,
  type StoredAnnouncement,
  MAX_ENVELOPE_BYTES,
  NodeStore,
  openStore,
} from './store.ts';
export { IndexedDbShareStore, openShareStore } from './shares.ts';
export { IndexedDbFileList, openFileList } from './files.ts';
export {
  type GridNodeDB,
  type GridNodeKey,
  type GridRecord,
  type IdentityRecord,
  type JsonValue,
  type PeerHistoryRecord,
  type AnnouncementRecord,
  type FloorRecord,
  DB_VERSION,
} from './schema.ts';
