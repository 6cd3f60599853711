/**
 * Services a node offers its grid over its links (storage first). What other layers may use: the seams
 * (types.ts), the storage service GridNode registers, the share stores it is built on, and the channel
 * for further services. See storage-service.ts and files-types.ts for the APIs reached as
 * `gridNode.storage` and `gridNode.files`.
 */
export * from './types.ts';
export {
  type ChannelDrop,
  type ChannelOptions,
  type ChannelStats,
  type Handler,
  type Reply,
  ServiceChannel,
} from './channel.ts';
export { FrameError, MAX_FRAME_BYTES } from './frames.ts';
export {
  type Batch,
  type ClientRecord,
  type ShareRecord,
  type ShareStore,
  type StoreResult,
  type StoredState,
  CHUNK_BYTES,
  MemoryShareStore,
  storeRefusal,
} from './share-store.ts';
export { MAX_TRANSFER_BYTES, STORAGE_INDEX_BYTES, StorageRequestError } from './storage-messages.ts';
export {
  type ClientUsage,
  type StorageConfig,
  StorageServer,
  defaultStorageConfig,
} from './storage-server.ts';
export { StorageClient } from './storage-client.ts';
export {
  type StorageClientInfo,
  type StorageManagerLike,
  type StorageServiceOptions,
  type StorageUsage,
  OfferError,
  STORAGE_CHANNEL_ID,
  STORAGE_CHANNEL_LABEL,
  StorageService,
} from './storage-service.ts';
export { builtinServices } from './builtin.ts';
export * from './files-types.ts';
export { FilesError, FilesService, type FilesServiceOptions } from './files-service.ts';
export { type FileList, MAX_FILES, MemoryFileList, checkEntry, cleanName } from './file-list.ts';
export {
  type Club,
  ClubError,
  MAX_CLUB_SERVERS,
  clubId,
  clubService,
  clubsOf,
  clubTerms,
  readClub,
} from './clubs.ts';
export { ClubService, type ClubServiceOptions, MAX_JOINED_CLUBS } from './club-service.ts';
