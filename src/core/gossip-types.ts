/**
 * The vocabulary of the gossip core (PROTOCOL.md §3–§7): what a driver feeds it (a signature check, a
 * membership rule), what it returns (outputs), what it counts (drop reasons) and what it reports about
 * peers, and what a node is made with. Types only; every part of the core speaks them, and `gossip.ts` exports them with `GossipNode`.
 */
import type { AnnouncementBody, Envelope, Services } from './announcement.ts';
import type { Interner } from './canonical.ts';
import type { MembershipReason } from './chain.ts';
import type { CoreConfig } from './config.ts';
import type { DisseminationMode } from './eager.ts';
import type { PeerHistory } from './history.ts';
import type { NodeId } from './identity.ts';
import type { OriginIndex } from './origins.ts';
import type { Random } from './random.ts';
import type { RevocationSet } from './revocation-sync.ts';

/** Every reason an input is dropped. Each has a counter in `stats().dropped`. */
export type DropReason =
  | 'not-linked'
  | 'oversized-message'
  | 'malformed-message'
  | 'malformed-envelope'
  | 'malformed-body'
  | 'foreign-grid'
  | 'bad-signature'
  | 'duplicate'
  | 'replay'
  /** An announcement at or below the seqnum of an origin this node forgot (rule 3's floor). */
  | 'forgotten-replay'
  | 'equivocation-loser'
  | 'tag-collision'
  | 'table-full'
  | 'want-limit'
  /** Refs a link advertised beyond `maxWantsPerLink` outstanding wants of its own (dissemination.ts). */
  | 'want-link-limit'
  /** A failed attempt by an id with no announcement held, no link and no dial: no history kept (liveness.ts). */
  | 'history-unknown'
  | 'want-unavailable'
  | 'want-timeout'
  /** A revocation record its set refused (revocation-sync.ts). */
  | 'bad-revocation'
  /** News from an origin announcing faster than the receiver's seqnum budget (src/node/receive-budgets.ts). */
  | 'seqnum-budget'
  /** A new origin whose issuer already has `maxOriginsPerIssuer` members here (src/node/guard.ts). */
  | 'issuer-full'
  /** A new origin below a non-admin member that already has `maxOriginsPerSubtree` members below it. */
  | 'subtree-full'
  /** Refused by the membership check (see chain.ts and membership.ts for each reason). */
  | MembershipReason;

/**
 * Decides whether a verified announcement's origin belongs to the grid; returns a reason to refuse it.
 * Runs after the signature check (membership is about who signed) and must be synchronous.
 */
export type AdmitFn = (origin: Uint8Array, body: AnnouncementBody, now: number) => DropReason | undefined;

export type Output =
  | { readonly type: 'send'; readonly to: NodeId; readonly bytes: Uint8Array }
  /** Sign and publish a new announcement now (`prepareAnnouncement` → sign → `acceptOwn`). */
  | { readonly type: 'announce-needed'; readonly reason: 'changed' | 'refresh' | 'counter-jump' }
  /** A new announcement is held: persist its bytes with the local receipt time. */
  | {
      readonly type: 'stored';
      readonly origin: Uint8Array;
      readonly seqnum: number;
      readonly envelope: Uint8Array;
      readonly hash: Uint8Array;
      readonly receivedAt: number;
    }
  /**
   * The origin is gone from the table: delete its announcement and history. With `floor` (forgotten by
   * rule 3, not evicted), persist the floor: announcements at or below `seqnum` stay refused until `until`.
   */
  | {
      readonly type: 'forgotten';
      readonly id: NodeId;
      readonly floor?: { readonly seqnum: number; readonly until: number };
    }
  /** Connection history changed: persist it (rule 2). */
  | { readonly type: 'history'; readonly id: NodeId; readonly history: Readonly<PeerHistory> }
  /** Try to link with this peer (rule 2); report `linkUp` or `linkFailed`. */
  | { readonly type: 'dial'; readonly id: NodeId }
  /** A dial produced no link within `dialTimeoutMs` and counts as failed: abandon the attempt. */
  | { readonly type: 'dial-timeout'; readonly id: NodeId }
  | { readonly type: 'flagged'; readonly reason: 'equivocation'; readonly id: NodeId };

/**
 * Checks an envelope's signature. Called only for news, with the SHA-256 of the envelope bytes (which the
 * core has computed anyway); must be synchronous, so a driver puts a cache in front of it.
 */
export type VerifyFn = (envelope: Envelope, hash: Uint8Array) => boolean;

export interface PeerInfo {
  readonly id: NodeId;
  readonly publicKey: Uint8Array;
  readonly nickname: string;
  readonly services: Services;
  readonly hints: readonly string[];
  readonly membership: Uint8Array;
  readonly seqnum: number;
  /** Directly linked to this node now. */
  readonly connected: boolean;
  /** Local time of the newest news from or link with this origin. */
  readonly lastSeen: number;
  /** Still gossiped (rule 1). */
  readonly fresh: boolean;
  readonly self: boolean;
}

export type ServiceEvent = { readonly type: 'added' | 'updated' | 'removed'; readonly peer: PeerInfo };
export type ServiceCallback = (event: ServiceEvent) => void;

export interface PreparedAnnouncement {
  readonly seqnum: number;
  readonly body: Uint8Array;
  /** The bytes to sign: domain · origin · body. */
  readonly message: Uint8Array;
}

/** What a `GossipNode` is made with. */
export interface GossipNodeOptions {
  publicKey: Uint8Array;
  gridId: Uint8Array;
  random: Random;
  config?: Partial<CoreConfig>;
  /** The last seqnum this node used (persisted counter); 0 for a new node. */
  counter?: number;
  nickname?: string;
  services?: Services;
  hints?: readonly string[];
  membership?: Uint8Array;
  /** The grid's membership rule; without one, every correctly signed announcement of the grid id is admitted. */
  admit?: AdmitFn;
  /** The grid's revocation set, reconciled with links beside anti-entropy (revocation-sync.ts). */
  revocations?: RevocationSet;
  /** Where held envelopes come from (canonical.ts); a simulator shares one between its nodes. */
  intern?: Interner;
  /**
   * A numbering of origin tags shared by many nodes (a simulator's; origins.ts `SharedOrigins`): each node
   * then keeps a byte per origin instead of a lookup table of its own. Without it, a node numbers its own.
   */
  tags?: OriginIndex;
  /** Eager push trees (the default), lazy push only, or plain flooding (a baseline); see eager.ts. */
  dissemination?: DisseminationMode;
}
