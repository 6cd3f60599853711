// The seam between one relay process and the others it shares topics with. The relay stays the only
// place that talks to WebSocket clients and enforces their bounds; a cluster only carries publishes that
// the relay already accepted to the other relays, and hands back the ones they accepted.
//
// Invariants a cluster keeps:
//  - it subscribes to a topic only while this relay has a local subscriber of it (join/leave are called
//    on the first arrival and the last departure), so its subscriptions are bounded by the relay's own
//    topic table;
//  - it never hands back a publish this relay sent (no double delivery to local clients);
//  - it never throws into the relay, and being disconnected only stops cross-relay traffic: local
//    clients keep being served, and traffic resumes by itself when the cluster is reachable again.

/** A publish frame from another relay, already checked: its `topic` is a valid topic of this relay. */
export type ClusterFrame = Record<string, unknown> & { type: 'publish'; topic: string };

/** Delivers a frame from another relay to this relay's local subscribers of `topic`. */
export type DeliverRemote = (topic: string, frame: ClusterFrame) => void;

export interface ClusterHealth {
  /** Whether publishes currently reach the other relays. */
  connected: boolean;
  /** Topics this relay is subscribed to in the cluster. */
  topics: number;
  /** Publishes sent to the cluster. */
  published: number;
  /** Publishes received from other relays and delivered locally. */
  received: number;
  /** Messages not sent or not delivered, by reason. */
  dropped: Record<string, number>;
}

export interface RelayCluster {
  /** The first local subscriber of `topic` arrived. */
  join(topic: string): void;
  /** The last local subscriber of `topic` left. */
  leave(topic: string): void;
  /** A local client published `frame` (without its `clients` count); carry it to the other relays. */
  publish(topic: string, frame: Record<string, unknown>): void;
  /** Resolves once the cluster has seen every join and leave made so far (at once when disconnected). */
  settle(): Promise<void>;
  health(): ClusterHealth;
  close(): Promise<void>;
}

/**
 * Builds a cluster for one relay. `maxFrameBytes` and `maxTopicLength` are that relay's bounds, which
 * messages from other relays must meet too.
 */
export type ClusterFactory = (
  deliver: DeliverRemote,
  limits: { maxFrameBytes: number; maxTopicLength: number },
) => RelayCluster;
