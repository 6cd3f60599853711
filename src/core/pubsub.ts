/**
 * Publish, subscribe, peer selection (PROTOCOL.md §7): who offers what, read from the announcements in the
 * table.
 *  - "A new subscriber is told at once of every peer already known to offer the service."
 *  - "`getPermutedPeers(service, storageIndex)` orders peers by ascending SHA-1 of the storage index
 *    followed by the peer's permutation seed." The seed is the `permutation-seed-base32` service parameter
 *    when present and valid, otherwise the public key — as in Tahoe-LAFS (`storage_client.py`).
 *
 * A subscriber hears `added`, `updated` or `removed` for every change of the table that touches its
 * service. Its callback runs inside the core's input; a callback that throws is counted
 * (`subscriberErrors`) and cannot corrupt protocol state mid-update.
 */
import { base32Decode } from './base32.ts';
import type { PeerInfo, ServiceCallback, ServiceEvent } from './gossip-types.ts';
import { type Tag, nodeIdString } from './identity.ts';
import type { Links } from './links.ts';
import { permutedOrder } from './permute.ts';
import type { Counters } from './stats.ts';
import type { Canonical } from './canonical.ts';
import { type Entry, bodyOf, bodyOfHeld, originOf } from './entry.ts';
import type { Table } from './table.ts';

export class PubSub {
  private readonly subscribers = new Map<string, Set<ServiceCallback>>();

  constructor(
    private readonly selfTag: Tag,
    private readonly table: Table,
    private readonly links: Links,
    private readonly counters: Counters,
  ) {}

  subscribe(service: string, callback: ServiceCallback): () => void {
    let set = this.subscribers.get(service);
    if (!set) this.subscribers.set(service, (set = new Set()));
    set.add(callback);
    for (const peer of this.getPeers(service)) this.call(callback, { type: 'added', peer });
    return () => void set.delete(callback);
  }

  /**
   * One origin's entry changed: from the version `before` (undefined: none held) to the one it holds now,
   * or with `gone` to none (the entry is being let go).
   */
  notify(entry: Entry, before: Canonical | undefined, gone = false): void {
    if (this.subscribers.size === 0) return;
    const was = before && bodyOfHeld(before);
    const old = was ? was.services : {};
    const now = gone ? {} : bodyOf(entry).services;
    for (const [service, callbacks] of this.subscribers) {
      const had = service in old;
      const has = service in now;
      if (!had && !has) continue;
      const type = had && has ? 'updated' : has ? 'added' : 'removed';
      const peer = has ? this.info(entry) : this.info(entry, was);
      for (const callback of callbacks) this.call(callback, { type, peer });
    }
  }

  getPeers(service?: string): PeerInfo[] {
    const peers: PeerInfo[] = [];
    for (const entry of this.table.values()) {
      const body = bodyOf(entry);
      if (service === undefined || service in body.services) peers.push(this.info(entry, body));
    }
    return peers;
  }

  getPermutedPeers(service: string, storageIndex: Uint8Array): PeerInfo[] {
    const peers = this.getPeers(service);
    const seeds = peers.map((p) => {
      const custom = p.services[service]?.['permutation-seed-base32'];
      return (custom !== undefined && base32Decode(custom)) || p.publicKey;
    });
    return permutedOrder(storageIndex, seeds).map((i) => peers[i]!);
  }

  private info(entry: Entry, b = bodyOf(entry)): PeerInfo {
    const publicKey = originOf(entry);
    return {
      id: nodeIdString(publicKey),
      publicKey,
      nickname: b.nickname,
      services: b.services,
      hints: b.hints,
      membership: b.membership,
      seqnum: b.seqnum,
      connected: this.links.hasTag(entry.tag),
      lastSeen: entry.lastSeenAt,
      fresh: entry.gossiped,
      self: entry.tag === this.selfTag,
    };
  }

  private call(callback: ServiceCallback, event: ServiceEvent): void {
    try {
      callback(event);
    } catch {
      this.counters.subscriberErrors++;
    }
  }
}
