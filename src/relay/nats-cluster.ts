// Relays joined through NATS core pub/sub (https://docs.nats.io/nats-concepts/core-nats/pubsub): each
// relay process keeps one NATS connection, subscribes to the subject of every topic it has local
// subscribers for, and publishes each accepted publish there, so clients of different relays meet on one
// topic. NATS is the distributed engine; this file only maps the relay's three events onto it. Subjects
// and messages are in cluster-wire.ts.
//
// Failure: NATS core is at-most-once, and so is this. While NATS is unreachable the relay keeps serving
// its local clients; cross-relay publishes are dropped (counted as 'disconnected', never queued, so an
// outage cannot grow memory), the client library reconnects (forever, every `reconnectWaitMs`) and
// re-sends the subscriptions, and traffic resumes. A relay that starts while NATS is down retries the
// first connection the same way. `connected` turns true only after a round trip to the server, so a
// publish sent after it is seen by every subscription this relay made before it.
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { ClusterFactory, ClusterHealth, DeliverRemote, RelayCluster } from './cluster.ts';
import { type WireLimits, decodeMessage, encodeMessage, subjectFor } from './cluster-wire.ts';

export interface NatsClusterOptions {
  /** NATS servers, `nats://host:port`; the client picks one and fails over to the others. */
  servers: string[];
  /** This relay's id in the cluster; a random one by default. At most 64 characters. */
  relayId?: string;
  /** Wait between connection attempts while NATS is unreachable. */
  reconnectWaitMs?: number;
}

/** A bad server URL or option: a configuration error, reported at start. */
export class NatsClusterOptionsError extends Error {
  override name = 'NatsClusterOptionsError';
}

const DEFAULT_RECONNECT_WAIT_MS = 1_000;
// How long one connection attempt may take before it counts as failed.
const CONNECT_TIMEOUT_MS = 5_000;

export function parseNatsServer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new NatsClusterOptionsError(`not a URL: ${value}`);
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:')
    throw new NatsClusterOptionsError(`NATS server must be nats://host:port or tls://host:port: ${value}`);
  if (url.hostname === '') throw new NatsClusterOptionsError(`NATS server has no host: ${value}`);
  return value;
}

export function natsCluster(options: NatsClusterOptions): ClusterFactory {
  if (options.servers.length === 0) throw new NatsClusterOptionsError('at least one NATS server');
  const servers = options.servers.map(parseNatsServer);
  const relayId = options.relayId ?? randomUUID();
  if (relayId === '' || relayId.length > 64) throw new NatsClusterOptionsError('relayId: 1 to 64 characters');
  const reconnectWaitMs = options.reconnectWaitMs ?? DEFAULT_RECONNECT_WAIT_MS;
  if (!Number.isSafeInteger(reconnectWaitMs) || reconnectWaitMs < 1)
    throw new NatsClusterOptionsError('reconnectWaitMs must be a positive integer');
  return (deliver, limits) => new NatsCluster(servers, relayId, reconnectWaitMs, deliver, limits);
}

class NatsCluster implements RelayCluster {
  private nc: NatsConnection | undefined;
  private connected = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly running: Promise<void>;
  // Topics with local subscribers, and their NATS subscriptions on the current connection.
  private readonly wanted = new Set<string>();
  private readonly subs = new Map<string, Subscription>();
  private published = 0;
  private received = 0;
  private readonly dropped = new Map<string, number>();

  constructor(
    private readonly servers: string[],
    private readonly relayId: string,
    private readonly reconnectWaitMs: number,
    private readonly deliver: DeliverRemote,
    private readonly limits: WireLimits,
  ) {
    this.running = this.run();
  }

  join(topic: string): void {
    this.wanted.add(topic);
    if (this.nc) this.subscribe(this.nc, topic);
  }

  leave(topic: string): void {
    this.wanted.delete(topic);
    this.subs.get(topic)?.unsubscribe();
    this.subs.delete(topic);
  }

  publish(topic: string, frame: Record<string, unknown>): void {
    const nc = this.nc;
    if (!nc || !this.connected) return this.drop('disconnected');
    const encoded = encodeMessage(this.relayId, frame, this.limits);
    if (!encoded.ok) return this.drop(encoded.reason);
    try {
      nc.publish(subjectFor(topic), encoded.bytes);
      this.published++;
    } catch {
      // The connection closed between the check and the call.
      this.drop('publish-failed');
    }
  }

  async settle(): Promise<void> {
    if (this.nc && this.connected) await this.nc.flush().catch(() => {});
  }

  health(): ClusterHealth {
    return {
      connected: this.connected,
      topics: this.subs.size,
      published: this.published,
      received: this.received,
      dropped: Object.fromEntries(this.dropped),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.nc?.close().catch(() => {});
    await this.running;
  }

  /** One connection at a time, for as long as the cluster is open. */
  private async run(): Promise<void> {
    while (!this.closed) {
      let nc: NatsConnection;
      try {
        nc = await connect({
          servers: this.servers,
          name: `gridnode-relay ${this.relayId}`,
          // This relay delivers its own publishes locally; NATS must not hand them back.
          noEcho: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: this.reconnectWaitMs,
          timeout: CONNECT_TIMEOUT_MS,
        });
      } catch {
        this.drop('connect-failed');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.reconnectWaitMs);
          this.wake = () => (clearTimeout(timer), resolve());
        });
        continue;
      }
      if (this.closed) {
        await nc.close().catch(() => {});
        break;
      }
      this.nc = nc;
      for (const topic of this.wanted) this.subscribe(nc, topic);
      void this.watch(nc);
      await nc.closed();
      this.nc = undefined;
      this.connected = false;
      this.subs.clear();
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    const markConnected = (): void => {
      void nc.flush().then(
        () => (this.connected = this.nc === nc && !nc.isClosed()),
        () => {},
      );
    };
    markConnected();
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.connected = false;
      else if (status.type === 'reconnect') markConnected();
    }
  }

  private subscribe(nc: NatsConnection, topic: string): void {
    if (this.subs.has(topic)) return;
    const subject = subjectFor(topic);
    try {
      const sub = nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return this.drop('subscription-error');
          const decoded = decodeMessage(msg.data, msg.subject, this.relayId, this.limits);
          if (!decoded.ok) return this.drop(decoded.reason);
          this.received++;
          this.deliver(decoded.topic, decoded.frame);
        },
      });
      this.subs.set(topic, sub);
    } catch {
      this.drop('subscribe-failed');
    }
  }

  private drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }
}
