// The contracts between GridNode, its services and the file layer. Three seams, each as small as it can be:
//
// - `DataChannelLike`: the part of RTCDataChannel a service channel uses. The browser hands over a real
//   negotiated RTCDataChannel (one per service per link, so bulk bytes never delay gossip); Node tests
//   hand over an in-memory pair.
// - `Service` / `ServiceLink` / `ServiceHost`: how a service plugs into GridNode. It is told of links up and
//   down (each link names the peer's authenticated node key and can open the service's own channel), asks
//   the host whether a caller may use it (membership, revocation, the owner's allow/deny), and is reached
//   as `gridNode.<name>`. GridNode does not grow per service.
// - `StorageRemote`: one storage server as a client sees it (Tahoe-LAFS's storage protocol, as request and
//   response over a service channel). The upload and download code in `src/files/` is written against it.
import type { NodeId } from '../core/index.ts';

/** The subset of RTCDataChannel a service channel relies on (binary messages only). */
export interface DataChannelLike {
  readonly label: string;
  readonly readyState: 'connecting' | 'open' | 'closing' | 'closed';
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  binaryType: BinaryType;
  send(data: Uint8Array<ArrayBuffer>): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'bufferedamountlow', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'open' | 'close' | 'bufferedamountlow', listener: () => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

/** One authenticated link as a service sees it. */
export interface ServiceLink {
  /** The peer's node key, proven over this link. */
  readonly peer: NodeId;
  /**
   * Opens this service's own data channel on the link (negotiated, same id on both sides, so neither side
   * waits for the other to announce it). Ids 0–15 are reserved for the link itself.
   */
  channel(label: string, id: number): DataChannelLike;
}

/** What GridNode offers every service. */
export interface ServiceHost {
  /** This node's id. */
  readonly self: NodeId;
  /** A current member, not revoked, and not denied by this node's owner (deny wins; an allow list limits). */
  mayUse(peer: NodeId): boolean;
  /** Milliseconds on the host's clock; services never read clocks of their own. */
  now(): number;
  /** Records a named counter in `stats()`. */
  count(counter: string, by?: number): void;
}

export interface Service {
  readonly name: string;
  linkUp(link: ServiceLink): void;
  linkDown(peer: NodeId): void;
  /** The owner's policy changed: the next request is judged by the new one. */
  policyChanged?(): void;
  stop?(): void | Promise<void>;
}

export interface StorageVersion {
  /** Largest share this server accepts, in bytes. */
  maxShareSize: number;
  /** Bytes this server can still take from this caller (its quota and the node-wide offer both apply). */
  available: number;
}

export interface AllocateResult {
  /** Shares of this storage index the server already holds complete. */
  alreadyHave: number[];
  /** Shares now allocated to this upload (counted against the caller in full until closed or aborted). */
  allocated: number[];
}

/**
 * One storage server, as a client sees it (Tahoe-LAFS storage protocol). Every method rejects with a
 * `StorageError` whose `code` names the reason ('denied', 'quota', 'full', 'conflict', 'not-found',
 * 'too-large', 'timeout', 'closed', 'bad-request').
 */
export interface StorageRemote {
  /** The server's node id. */
  readonly id: NodeId;
  version(): Promise<StorageVersion>;
  /** Idempotent for the same storage index, shares, size and upload secret. */
  allocate(
    storageIndex: Uint8Array,
    shares: readonly number[],
    shareSize: number,
    uploadSecret: Uint8Array,
  ): Promise<AllocateResult>;
  /** Writing the same bytes again is fine; different bytes over written ones are a 'conflict'. */
  write(storageIndex: Uint8Array, share: number, offset: number, bytes: Uint8Array): Promise<void>;
  /** The share is complete: durable, readable, leased to the caller. */
  close(storageIndex: Uint8Array, share: number): Promise<void>;
  /** Frees an unfinished share. */
  abort(storageIndex: Uint8Array, share: number): Promise<void>;
  /** Which complete shares of this storage index the server holds. */
  list(storageIndex: Uint8Array): Promise<number[]>;
  read(storageIndex: Uint8Array, share: number, offset: number, length: number): Promise<Uint8Array>;
  /** Adds or renews the caller's lease (31 days by default). */
  addLease(storageIndex: Uint8Array): Promise<void>;
  cancelLease(storageIndex: Uint8Array): Promise<void>;
  adviseCorrupt(storageIndex: Uint8Array, share: number, reason: string): Promise<void>;
}

export type StorageErrorCode =
  | 'denied'
  | 'quota'
  | 'full'
  | 'conflict'
  | 'not-found'
  | 'too-large'
  | 'timeout'
  | 'closed'
  | 'bad-request'
  | 'busy';

export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
  }
}
