/**
 * The owner's settings, kept in IndexedDB: relays, ICE servers, the allow/deny policy for this node's
 * services, the nickname, and the services offered per grid.
 *
 * Rules:
 * - Stored values win over the options given to `GridNode.create` (those are first-start defaults), except
 *   that no stored relay list means the session's relays (`sessionRelays`), else the options' list.
 * - Session relays are never stored: a crafted `?relay=` cannot stay behind (SECURITY-REVIEW.md #10).
 * - A relay list holds 1–8 ws:// or wss:// URLs; anything else is refused (InvalidInputError), not stored.
 * - An invitation's relays are adopted only while the owner has chosen none (they are merged with the
 *   options' relays).
 * - ICE: the transport policy is 'all' unless set to 'relay', which needs a TURN server in the list.
 * - Policy: deny wins; once any node is allowed, only allowed nodes may use this node's services.
 * Stored values are checked as they are read back (SECURITY-REVIEW finding 12): one that does not pass
 * (a nickname over its byte limit, a service with a bad name, a garbled policy or ICE list) is dropped,
 * counted in the store's `stats().garbled`, and the default used; start-up goes on.
 */
import type { Services } from '../core/index.ts';
import {
  checkIceServers,
  checkNickname,
  checkRelays,
  checkServiceName,
  checkServiceParams,
} from '../core/inputs.ts';
import type { NodeStore } from '../store/index.ts';
import { NODE_ID_SHAPE, valid } from './commands.ts';
import type { GridNodeOptions, Policy } from './types.ts';

export type IceTransportPolicy = 'relay' | 'all';

/** A stored ICE server list: an array of objects whose `urls` is a string or strings. */
const isTurn = (server: RTCIceServer): boolean => [server.urls].flat().some((url) => /^turns?:/i.test(url));

export class Settings {
  private relayList: string[] | undefined;
  private iceList: RTCIceServer[] | undefined;
  private icePolicy: IceTransportPolicy = 'all';
  private policies: Record<string, Policy> = {};

  private constructor(
    private readonly store: NodeStore,
    private readonly options: GridNodeOptions,
  ) {}

  static async load(store: NodeStore, options: GridNodeOptions): Promise<Settings> {
    const settings = new Settings(store, options);
    // A stored list that does not pass (empty, garbled) is dropped, so start-up goes on with the defaults.
    const stored = checkRelays(await store.getSetting('relays'));
    settings.relayList = stored.ok ? stored.value : undefined;
    const ice = await store.getSetting('iceServers');
    const iceChecked = ice === undefined ? undefined : checkIceServers(ice);
    if (iceChecked && !iceChecked.ok) store.reportGarbled('setting:iceServers');
    settings.iceList = iceChecked?.ok ? iceChecked.value : undefined;
    const policy = await store.getSetting('iceTransportPolicy');
    settings.icePolicy = policy === 'relay' ? 'relay' : 'all';
    return settings;
  }

  relays(): string[] {
    return this.relayList ?? this.options.sessionRelays ?? this.options.relays;
  }

  async setRelays(urls: string[]): Promise<void> {
    this.relayList = valid(checkRelays(urls));
    await this.store.setSetting('relays', this.relayList);
  }

  /** Relays named by an invitation, used unless the owner chose relays already. */
  async adoptRelays(urls: readonly string[]): Promise<void> {
    if (urls.length === 0 || this.relayList) return;
    this.relayList = [...new Set([...urls, ...this.options.relays])];
    await this.store.setSetting('relays', this.relayList);
  }

  iceServers(): RTCIceServer[] {
    return this.iceList ?? this.options.iceServers ?? [];
  }

  /** 'relay': links only through the TURN servers among the ICE servers (hides this node's addresses). */
  iceTransportPolicy(): IceTransportPolicy {
    return this.icePolicy;
  }

  async setIceServers(servers: RTCIceServer[], transportPolicy?: IceTransportPolicy): Promise<void> {
    if (transportPolicy !== undefined && transportPolicy !== 'relay' && transportPolicy !== 'all')
      throw new TypeError("transportPolicy must be 'relay' or 'all'");
    if (transportPolicy === 'relay' && !servers.some(isTurn))
      throw new TypeError("transportPolicy 'relay' needs at least one turn: or turns: server");
    const checked = checkIceServers(servers);
    if (!checked.ok) throw new TypeError(checked.message);
    this.iceList = checked.value;
    await this.store.setSetting('iceServers', checked.value as never);
    if (transportPolicy) {
      this.icePolicy = transportPolicy;
      await this.store.setSetting('iceTransportPolicy', transportPolicy);
    }
  }

  /** Reads the policy again: a tab taking over may hold an old copy. */
  async loadPolicy(): Promise<void> {
    const stored = await this.store.getSetting('policy');
    const policies: Record<string, Policy> = {};
    if (typeof stored === 'object' && stored !== null && !Array.isArray(stored)) {
      for (const [id, p] of Object.entries(stored))
        // The same rule as setting one (commands.ts): what was accepted survives a restart.
        if ((p === 'allow' || p === 'deny') && NODE_ID_SHAPE.test(id)) policies[id] = p;
        else this.store.reportGarbled('setting:policy');
    } else if (stored !== undefined) this.store.reportGarbled('setting:policy');
    this.policies = policies;
  }

  policy(): Record<string, Policy> {
    return { ...this.policies };
  }

  async setPolicy(id: string, policy: Policy | undefined): Promise<void> {
    if (policy) this.policies[id] = policy;
    else delete this.policies[id];
    await this.store.setSetting('policy', this.policies);
  }

  mayUse(id: string): boolean {
    if (this.policies[id] === 'deny') return false;
    return !Object.values(this.policies).includes('allow') || this.policies[id] === 'allow';
  }

  async nickname(): Promise<string> {
    const stored = await this.store.getSetting('nickname');
    const checked = typeof stored === 'string' ? checkNickname(stored) : undefined;
    if (stored !== undefined && !checked?.ok) this.store.reportGarbled('setting:nickname');
    return checked?.ok ? checked.value : (this.options.nickname ?? '');
  }

  async setNickname(nickname: string): Promise<void> {
    await this.store.setSetting('nickname', nickname);
  }

  /** The services offered in a grid; `fallback` on the first start in it. */
  async services(gridHex: string, fallback: Services): Promise<Services> {
    const stored = await this.store.getSetting(`services:${gridHex}`);
    if (stored === undefined) return fallback;
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
      this.store.reportGarbled('setting:services');
      return fallback;
    }
    // A service whose name or parameters do not pass is dropped: it would stop every announcement.
    const services: Record<string, Services[string]> = {};
    for (const [name, params] of Object.entries(stored)) {
      const n = checkServiceName(name);
      const p = checkServiceParams(params);
      if (n.ok && p.ok) services[n.value] = p.value;
      else this.store.reportGarbled('setting:services');
    }
    return services;
  }

  async setServices(gridHex: string, services: Services): Promise<void> {
    await this.store.setSetting(`services:${gridHex}`, services as never);
  }
}
