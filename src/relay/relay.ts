// A hardened WebSocket signaling relay speaking the y-webrtc protocol (see y-webrtc/bin/server.js).
// Browser nodes use it only to find each other and exchange WebRTC offers/answers, so every frame is small
// and no client has a legitimate reason to hold much of the relay's memory or CPU.
//
// It runs on a port of its own (`Relay.start`, also answering /health) or inside another HTTP(S) server at
// one path (`Relay.attach`, used by `npm run serve`, whose server routes everything else). With a cluster
// (cluster.ts), publishes also reach the subscribers of other relay processes; every bound below applies
// to local clients either way, and frames from the cluster go through the same send queue bound.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { type AddressUse, newPeer, type Peer, takeFrameToken, takePublishBytes } from './connection.ts';
import type { ClusterFactory, ClusterFrame, ClusterHealth, RelayCluster } from './cluster.ts';
import { type Frame, Rejection, parseFrame, toBuffer } from './frames.ts';
import { type RelayOptions, relayDefaults } from './options.ts';
import { RateLimit } from '../net/rate-limit.ts';
import { TopicTable } from './topics.ts';

export { type RelayOptions, relayDefaults } from './options.ts';

export type RelayStartOptions = Partial<RelayOptions> & {
  /** Joins this relay to others (e.g. natsCluster from nats-cluster.ts). */
  cluster?: ClusterFactory;
};

export interface RelayHealth {
  ok: true;
  connections: number;
  topics: number;
  /** Client addresses holding at least one connection. */
  addresses: number;
  /** Publish frames delivered to subscribers (one per receiver). */
  framesRelayed: number;
  /** Frames answered with an error frame, by reason. */
  framesRejected: Record<string, number>;
  /** Connections closed or refused by the relay, by reason. */
  dropped: Record<string, number>;
  /** Present when the relay is clustered. */
  cluster?: ClusterHealth;
}

const PONG = JSON.stringify({ type: 'pong' });

export class Relay {
  readonly port: number;
  readonly url: string;
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<Peer>();
  private readonly topics: TopicTable;
  private readonly addresses = new Map<string, AddressUse>();
  /** Publish bytes per client address, kept across reconnects (at most `maxConnections` addresses). */
  private readonly addressBytes: RateLimit;
  private framesRelayed = 0;
  private readonly framesRejected = new Map<string, number>();
  private readonly dropped = new Map<string, number>();
  private readonly pingTimer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;
  private readonly cluster: RelayCluster | undefined;

  private constructor(
    private readonly opts: RelayOptions,
    private readonly server: http.Server | https.Server,
    private readonly ownsServer: boolean,
    cluster: ClusterFactory | undefined,
  ) {
    this.topics = new TopicTable(opts, {
      join: (topic) => this.cluster?.join(topic),
      leave: (topic) => this.cluster?.leave(topic),
    });
    this.addressBytes = new RateLimit(
      opts.publishBytesBurstPerAddress,
      opts.publishBytesPerSecondPerAddress,
      opts.maxConnections,
    );
    // Compression is off: inflating attacker-chosen frames costs CPU and defeats maxPayload accounting.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxFrameBytes,
      perMessageDeflate: false,
    });
    this.port = (server.address() as AddressInfo).port;
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    this.url = `${server instanceof https.Server ? 'wss' : 'ws'}://${host}:${this.port}${opts.path}`;
    if (ownsServer) server.on('request', (req, res) => this.onHttp(req, res));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.pingTimer = setInterval(() => this.pingAll(), opts.pingIntervalMs);
    this.cluster = cluster?.((topic, frame) => this.deliverRemote(topic, frame), opts);
  }

  /** A relay on a port of its own, answering `/health` and `/` as well. */
  static async start(options: RelayStartOptions = {}): Promise<Relay> {
    const { cluster, ...rest } = options;
    const opts = { ...relayDefaults, ...rest };
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new Relay(opts, server, true, cluster);
  }

  /**
   * A relay inside `server`, which is already listening and answers its own HTTP requests: the relay takes
   * the WebSocket upgrades to `options.path` (default '/relay') and refuses upgrades to any other path.
   * Closing the relay leaves the server running.
   */
  static attach(server: http.Server | https.Server, options: RelayStartOptions = {}): Relay {
    const { cluster, ...rest } = options;
    const address = server.address();
    if (address === null || typeof address === 'string')
      throw new RelayAttachError('server is not listening');
    const opts = { ...relayDefaults, path: '/relay', host: address.address, ...rest, port: address.port };
    return new Relay(opts, server, false, cluster);
  }

  health(): RelayHealth {
    return {
      ok: true,
      connections: this.peers.size,
      topics: this.topics.size,
      addresses: this.addresses.size,
      framesRelayed: this.framesRelayed,
      framesRejected: Object.fromEntries(this.framesRejected),
      dropped: Object.fromEntries(this.dropped),
      ...(this.cluster ? { cluster: this.cluster.health() } : {}),
    };
  }

  /** Resolves once the cluster has seen every subscription this relay made so far (tests, benchmarks). */
  async clusterSettled(): Promise<void> {
    await this.cluster?.settle();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.pingTimer);
    const peers = [...this.peers];
    for (const peer of peers) peer.ws.close(1001, 'relay shutting down');
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(peers.map((p) => p.closed)),
      new Promise((resolve) => (grace = setTimeout(resolve, this.opts.closeGraceMs))),
    ]);
    clearTimeout(grace);
    for (const peer of this.peers) peer.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await this.cluster?.close();
    if (!this.ownsServer) return;
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await serverClosed;
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.health()));
    } else if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('gridnode signaling relay\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.opts.path !== '' && (req.url ?? '').split('?')[0] !== this.opts.path) {
      socket.on('error', () => {});
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.closing || this.peers.size >= this.opts.maxConnections) {
      // Refusing before the handshake is cheaper than accepting and closing, and clients retry with backoff.
      this.count(this.dropped, this.closing ? 'shutting-down' : 'max-connections');
      socket.on('error', () => {});
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const key = req.socket.remoteAddress ?? 'unknown';
    const address = this.addresses.get(key) ?? { key, connections: 0, subscriptions: 0 };
    if (address.connections >= this.opts.maxConnectionsPerAddress) {
      // Accepted only to be closed with a reason the client can read (an HTTP refusal shows none in a
      // browser); it never joins `peers`, so it holds no slot of `maxConnections`.
      this.count(this.dropped, 'address-connection-limit');
      socket.on('error', () => {});
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        ws.close(1008, 'address-connection-limit');
        setTimeout(() => ws.terminate(), this.opts.closeGraceMs).unref();
      });
      return;
    }
    // Counted from the upgrade until the socket closes, so handshakes in flight count too.
    address.connections++;
    this.addresses.set(key, address);
    socket.once('close', () => {
      if (--address.connections === 0 && address.subscriptions === 0) this.addresses.delete(key);
    });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, address));
  }

  private onConnection(ws: WebSocket, address: AddressUse): void {
    const { peer, markClosed } = newPeer(ws, address, this.opts, performance.now());
    this.peers.add(peer);
    ws.on('pong', () => (peer.alive = true));
    // ws reports protocol violations (oversized frame, invalid UTF-8, bad opcode) here and then closes the
    // socket itself; without a listener the error would be thrown and take the process down.
    ws.on('error', (err: Error & { code?: string }) => {
      if (peer.closing) return;
      peer.closing = true;
      this.count(
        this.dropped,
        err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'frame-too-large' : 'protocol-error',
      );
      this.topics.unsubscribeAll(peer);
    });
    ws.on('close', () => {
      this.peers.delete(peer);
      this.topics.unsubscribeAll(peer);
      markClosed();
    });
    ws.on('message', (data, isBinary) => {
      try {
        this.onFrame(peer, data, isBinary);
      } catch {
        // Belt and braces: a bug in a handler must cost one connection, not the process.
        this.drop(peer, 'internal-error');
      }
    });
  }

  private onFrame(peer: Peer, data: RawData, isBinary: boolean): void {
    if (peer.closing) return;
    if (!takeFrameToken(peer, this.opts, performance.now())) return this.drop(peer, 'rate-limit');
    try {
      if (isBinary) throw new Rejection('binary-frame', 'signaling frames are JSON text');
      const bytes = toBuffer(data);
      // ws already enforces maxPayload; this keeps the bound even if the server is built differently.
      if (bytes.length > this.opts.maxFrameBytes) {
        throw new Rejection('frame-too-large', `${bytes.length} bytes`);
      }
      const frame = parseFrame(bytes.toString('utf8'));
      if (frame.type === 'publish') {
        if (!takePublishBytes(peer, bytes.length)) return this.drop(peer, 'byte-rate-limit');
        if (!this.addressBytes.take(peer.address.key, performance.now(), bytes.length))
          throw new Rejection('address-byte-limit', `max ${this.opts.publishBytesPerSecondPerAddress} B/s`);
      }
      this.dispatch(peer, frame);
    } catch (err) {
      if (!(err instanceof Rejection)) throw err;
      this.reject(peer, err);
    }
  }

  private dispatch(peer: Peer, frame: Frame): void {
    switch (frame.type) {
      case 'subscribe':
        this.topics.subscribe(peer, this.topics.topicList(frame));
        break;
      case 'unsubscribe':
        for (const topic of this.topics.topicList(frame)) this.topics.unsubscribe(peer, topic);
        break;
      case 'publish':
        this.publish(frame, this.topics.topicName(frame.topic, 'bad-topic'));
        break;
      case 'ping':
        this.send(peer, PONG);
        break;
      default:
        throw new Rejection(
          'unknown-type',
          typeof frame.type === 'string' ? frame.type.slice(0, 32) : undefined,
        );
    }
  }

  private publish(frame: Frame, topic: string): void {
    this.deliver(topic, frame);
    // After local delivery, so a frame that cannot be serialized is refused before it leaves this relay.
    this.cluster?.publish(topic, frame);
  }

  /**
   * Forwards the frame as its sender wrote it: no metadata is added (an earlier `clients` count told anyone
   * reading a frame how many nodes a room holds), and a `clients` field a sender or cluster peer put there
   * is removed.
   */
  private deliver(topic: string, frame: Frame): void {
    const receivers = this.topics.receivers(topic);
    if (!receivers) return;
    let text: string;
    try {
      const { clients: _dropped, ...forwarded } = frame;
      text = JSON.stringify(forwarded);
    } catch {
      // JSON.parse accepts nesting far deeper than JSON.stringify can recurse.
      throw new Rejection('unserializable', 'data nested too deeply');
    }
    for (const receiver of [...receivers]) {
      if (this.send(receiver, text)) this.framesRelayed++;
    }
  }

  private deliverRemote(topic: string, frame: ClusterFrame): void {
    if (this.closing) return;
    try {
      this.deliver(topic, frame);
    } catch {
      // The sending relay serialized it, so this cannot happen; if it does, one frame is lost, not the relay.
      this.count(this.framesRejected, 'cluster-unserializable');
    }
  }

  private send(peer: Peer, text: string): boolean {
    if (peer.closing || peer.ws.readyState !== peer.ws.OPEN) return false;
    if (peer.ws.bufferedAmount > this.opts.maxBufferedBytes) {
      this.drop(peer, 'send-queue-full');
      return false;
    }
    peer.ws.send(text);
    return true;
  }

  private reject(peer: Peer, { reason, detail }: Rejection): void {
    this.count(this.framesRejected, reason);
    this.send(
      peer,
      JSON.stringify(detail === undefined ? { type: 'error', reason } : { type: 'error', reason, detail }),
    );
    if (++peer.errors > this.opts.maxErrorsPerConnection) this.drop(peer, 'too-many-errors');
  }

  private drop(peer: Peer, reason: string): void {
    if (peer.closing) return;
    peer.closing = true;
    this.count(this.dropped, reason);
    this.topics.unsubscribeAll(peer);
    peer.ws.close(1008, reason);
    const kill = setTimeout(() => peer.ws.terminate(), this.opts.closeGraceMs);
    kill.unref();
    void peer.closed.then(() => clearTimeout(kill));
  }

  private pingAll(): void {
    for (const peer of this.peers) {
      if (!peer.alive) {
        if (!peer.closing) this.count(this.dropped, 'ping-timeout');
        peer.closing = true;
        peer.ws.terminate();
        continue;
      }
      peer.alive = false;
      peer.ws.ping();
    }
  }

  private count(counters: Map<string, number>, reason: string): void {
    counters.set(reason, (counters.get(reason) ?? 0) + 1);
  }
}

/** `Relay.attach` was given a server that is not listening on a TCP port: a caller bug. */
export class RelayAttachError extends Error {
  override name = 'RelayAttachError';
}

export function startRelay(options: RelayStartOptions = {}): Promise<Relay> {
  return Relay.start(options);
}
