// The relay's rooms: which connections are subscribed to which topic, within the bounds of options.ts
// (topics per connection, subscriptions per address, subscribers per topic, topic length). A refused
// subscribe throws a Rejection (the client gets an error frame and keeps its connection).
//
// Rules: over the per-connection or per-address limit the whole frame is refused, so a client never ends
// up with an arbitrary subset of its rooms; a full topic only skips that topic (one crowded room should
// not keep a node out of the others). The cluster is told when a topic gains its first local subscriber
// and loses its last.
import type { Peer } from './connection.ts';
import { type Frame, Rejection } from './frames.ts';
import type { RelayOptions } from './options.ts';

type Bounds = Pick<
  RelayOptions,
  'maxTopicsPerConnection' | 'maxSubscriptionsPerAddress' | 'maxSubscribersPerTopic' | 'maxTopicLength'
>;

export class TopicTable {
  private readonly topics = new Map<string, Set<Peer>>();

  constructor(
    private readonly opts: Bounds,
    /** The cluster's side: a topic gained its first local subscriber, or lost its last. */
    private readonly cluster: { join(topic: string): void; leave(topic: string): void },
  ) {}

  get size(): number {
    return this.topics.size;
  }

  /** The connections subscribed to `topic` (undefined: none). */
  receivers(topic: string): ReadonlySet<Peer> | undefined {
    return this.topics.get(topic);
  }

  /** A frame's `topics`, each checked. */
  topicList(frame: Frame): string[] {
    const { topics } = frame;
    if (!Array.isArray(topics)) throw new Rejection('bad-topics', 'topics must be an array of strings');
    return topics.map((t) => this.topicName(t, 'bad-topics'));
  }

  topicName(topic: unknown, reason: string): string {
    if (typeof topic !== 'string' || topic === '') {
      throw new Rejection(reason, 'topic must be a non-empty string');
    }
    if (topic.length > this.opts.maxTopicLength) {
      throw new Rejection('topic-too-long', `max ${this.opts.maxTopicLength} characters`);
    }
    return topic;
  }

  subscribe(peer: Peer, topics: string[]): void {
    const fresh = new Set(topics.filter((t) => !peer.topics.has(t)));
    if (peer.topics.size + fresh.size > this.opts.maxTopicsPerConnection) {
      throw new Rejection('too-many-topics', `max ${this.opts.maxTopicsPerConnection} per connection`);
    }
    if (peer.address.subscriptions + fresh.size > this.opts.maxSubscriptionsPerAddress) {
      throw new Rejection(
        'address-topic-limit',
        `max ${this.opts.maxSubscriptionsPerAddress} subscriptions per address`,
      );
    }
    const full: string[] = [];
    for (const topic of fresh) {
      const subscribers = this.topics.get(topic) ?? new Set<Peer>();
      if (subscribers.size >= this.opts.maxSubscribersPerTopic) {
        full.push(topic);
        continue;
      }
      subscribers.add(peer);
      if (subscribers.size === 1) {
        this.topics.set(topic, subscribers);
        this.cluster.join(topic);
      }
      peer.topics.add(topic);
      peer.address.subscriptions++;
    }
    if (full.length > 0) throw new Rejection('topic-full', full.join(',').slice(0, 256));
  }

  unsubscribe(peer: Peer, topic: string): void {
    const subscribers = this.topics.get(topic);
    if (subscribers?.delete(peer) && subscribers.size === 0) {
      this.topics.delete(topic);
      this.cluster.leave(topic);
    }
    if (peer.topics.delete(topic)) peer.address.subscriptions--;
  }

  unsubscribeAll(peer: Peer): void {
    for (const topic of [...peer.topics]) this.unsubscribe(peer, topic);
  }
}
