/**
 * A stand-in for `GridNode` in UI tests: the `NodeLike` shape with state the test sets directly, events
 * fired like the real node's, and every call recorded so a test can say what the UI asked for.
 */
import type {
  ActivityDetail,
  GridInfo,
  Invitation,
  InviteOptions,
  Member,
  NodeRole,
  NodeStatus,
  PeerLike,
  Policy,
} from '../../../src/ui/controller.ts';
import { shortId } from '../../../src/ui/display-name.ts';
import type { WidgetNode } from '../../../src/ui/grid-node-frame/grid-node-frame.ts';

export const SELF = 'v0-selfselfselfselfselfselfselfself';

export function peer(id: string, fields: Partial<PeerLike> = {}): PeerLike {
  return {
    id,
    nickname: id.slice(3, 9),
    services: {},
    seqnum: 1,
    connected: false,
    lastSeen: Date.now() - 60_000,
    self: false,
    rttMs: undefined,
    ...fields,
  };
}

export class FakeNode extends EventTarget implements WidgetNode {
  id = SELF;
  nickname = 'me';
  role: NodeRole = 'leader';
  status: NodeStatus = 'online';
  grid: GridInfo | undefined = { id: 'g1', name: 'Test grid', role: 'admin', canInvite: true };
  peers: PeerLike[] = [
    peer(SELF, { nickname: 'me', self: true, connected: false, services: { storage: {} } }),
  ];
  policies: Record<string, Policy> = {};
  relayList = ['wss://relay.example'];
  ice: RTCIceServer[] = [{ urls: 'stun:stun.example:3478' }];
  /** Each call as `[method, ...args]`. */
  calls: unknown[][] = [];
  /** Makes the next calls reject with this message. */
  failWith: string | undefined;
  /** What `acceptInvite` and `createGrid` make this node a member of. */
  joinAs: GridInfo = { id: 'g2', name: 'Joined grid', role: 'member', canInvite: false };

  private record(method: string, ...args: unknown[]): Promise<void> {
    this.calls.push([method, ...args]);
    return this.failWith ? Promise.reject(new Error(this.failWith)) : Promise.resolve();
  }

  callsTo(method: string): unknown[][] {
    return this.calls.filter((c) => c[0] === method).map((c) => c.slice(1));
  }

  changed(): void {
    this.dispatchEvent(new CustomEvent('change'));
  }

  addPeer(p: PeerLike): void {
    this.peers = [...this.peers.filter((q) => q.id !== p.id), p];
    if (p.connected) this.dispatchEvent(new CustomEvent('peer-up', { detail: { id: p.id } }));
    this.changed();
  }

  disconnect(id: string, reason = 'closed'): void {
    this.peers = this.peers.map((p) => (p.id === id ? { ...p, connected: false, lastSeen: Date.now() } : p));
    this.dispatchEvent(new CustomEvent('peer-down', { detail: { id, reason } }));
    this.changed();
  }

  activity(detail: ActivityDetail): void {
    this.dispatchEvent(new CustomEvent('activity', { detail }));
  }

  setStatus(status: NodeStatus): void {
    this.status = status;
    this.changed();
  }

  async start(): Promise<void> {
    await this.record('start');
  }
  async stop(): Promise<void> {
    await this.record('stop');
  }
  async setNickname(nickname: string): Promise<void> {
    await this.record('setNickname', nickname);
    this.nickname = nickname;
  }
  async createGrid(name: string): Promise<GridInfo> {
    await this.record('createGrid', name);
    this.grid = { id: 'g3', name, role: 'admin', canInvite: true };
    this.changed();
    return this.grid;
  }
  async createInvite(options?: InviteOptions): Promise<Invitation> {
    await this.record('createInvite', options);
    const code = 'AAAAcodecodecode';
    return {
      url: `https://dashboard.example/#invite=${code}`,
      code,
      expiresAt: Date.now() + (options?.expiresInMs ?? 0),
    };
  }
  async acceptInvite(urlOrCode: string): Promise<GridInfo> {
    await this.record('acceptInvite', urlOrCode);
    this.grid = this.joinAs;
    this.changed();
    return this.grid;
  }
  /** Grids this node belongs to besides the active one; `grids()` is a read, so it is not recorded. */
  otherGrids: GridInfo[] = [];
  async grids(): Promise<GridInfo[]> {
    return [...(this.grid ? [this.grid] : []), ...this.otherGrids.filter((g) => g.id !== this.grid?.id)];
  }
  async useGrid(id: string): Promise<GridInfo> {
    await this.record('useGrid', id);
    const next = this.otherGrids.find((g) => g.id === id);
    if (!next) throw new Error('this node is not a member of that grid');
    if (this.grid) this.otherGrids = [...this.otherGrids.filter((g) => g.id !== id), this.grid];
    this.grid = next;
    this.changed();
    return next;
  }
  async revoke(id: string): Promise<void> {
    await this.record('revoke', id);
  }
  async leave(): Promise<void> {
    await this.record('leave');
    this.grid = undefined;
    this.changed();
  }
  async setPolicy(id: string, policy: Policy | undefined): Promise<void> {
    await this.record('setPolicy', id, policy);
    if (policy) this.policies[id] = policy;
    else delete this.policies[id];
  }
  policy(): Record<string, Policy> {
    return { ...this.policies };
  }
  relays(): string[] {
    return [...this.relayList];
  }
  async setRelays(urls: string[]): Promise<void> {
    await this.record('setRelays', urls);
    this.relayList = urls;
  }
  private icePolicy: 'relay' | 'all' = 'all';
  iceServers(): RTCIceServer[] {
    return [...this.ice];
  }
  iceTransportPolicy(): 'relay' | 'all' {
    return this.icePolicy;
  }
  async setIceServers(
    servers: RTCIceServer[],
    options: { transportPolicy?: 'relay' | 'all' } = {},
  ): Promise<void> {
    await this.record('setIceServers', servers, options);
    this.ice = servers;
    this.icePolicy = options.transportPolicy ?? this.icePolicy;
  }
  async publish(service: string, params?: Record<string, string>): Promise<void> {
    await this.record('publish', service, params);
  }
  async unpublish(service: string): Promise<void> {
    await this.record('unpublish', service);
  }
  getPeers(service?: string): PeerLike[] {
    return this.peers.filter((p) => service === undefined || service in p.services);
  }
}

/** Mounts `element` in the document, waits for its first render, and returns it. */
export async function mount<T extends HTMLElement & { updateComplete: Promise<boolean> }>(
  element: T,
): Promise<T> {
  document.body.append(element);
  await element.updateComplete;
  return element;
}

/** The shadow root of `element` (every element here has one). */
export function shadow(element: Element): ShadowRoot {
  if (!element.shadowRoot) throw new Error(`${element.localName} has no shadow root`);
  return element.shadowRoot;
}

/** Collects the events of `type` that reach `target`. */
export function collect<T = unknown>(target: EventTarget, type: string): CustomEvent<T>[] {
  const events: CustomEvent<T>[] = [];
  target.addEventListener(type, (e) => events.push(e as CustomEvent<T>));
  return events;
}

/** Lets pending promise callbacks (an action's `await`) and the render after them run. */
export async function settle(element?: { updateComplete: Promise<boolean> }): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
  await element?.updateComplete;
}

/** A member as the controller would derive it, for elements tested on their own. */
export function member(id: string, fields: Partial<Member> = {}): Member {
  const nickname = fields.nickname ?? id.slice(3, 9);
  const name = fields.petname ?? nickname;
  const short = shortId(id);
  return {
    id,
    nickname,
    petname: undefined,
    name,
    short,
    label: `${name} (${short})`,
    lookalike: false,
    self: false,
    online: Boolean(fields.self || fields.connected),
    connected: false,
    lastSeen: Date.now() - 120_000,
    rttMs: undefined,
    uptimeMs: undefined,
    failuresInRow: undefined,
    services: [],
    role: undefined,
    invitedBy: undefined,
    invitedByName: undefined,
    invitedByWho: undefined,
    revoked: false,
    policy: undefined,
    ...fields,
  };
}
