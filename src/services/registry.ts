/**
 * The services a node runs, and what it tells them. GridNode owns one registry; it knows nothing about
 * any one service.
 *
 * Invariants:
 * - Names are unique; a second service of a name is a programmer error (`ServiceNameError`).
 * - A service hears `linkUp` only for links whose peer proved its key, at most once per link, and
 *   `linkDown` exactly once after each `linkUp` (also when the grid's run ends with the link still up).
 * - A service that throws breaks neither the node nor the other services: the error is reported (as an
 *   uncaught error would be) and counted as `<name>.error`.
 * - Counters are the only state the registry keeps per service; they are bounded by the names the
 *   services choose, which are code, not peer input.
 */
import type { NodeId } from '../core/index.ts';
import type { Service, ServiceFactory, ServiceHost, ServiceLink } from './types.ts';

export class ServiceNameError extends Error {
  override name = 'ServiceNameError';
}

/** The host's side that does not depend on the service. */
export type HostBase = Omit<ServiceHost, 'count'>;

export class ServiceRegistry {
  private readonly services = new Map<string, Service>();
  private readonly counters = new Map<string, Record<string, number>>();
  private readonly linked = new Set<NodeId>();

  /** `report` hears a service's errors; by default they are reported as uncaught errors are. */
  constructor(
    private readonly host: HostBase,
    private readonly report: (error: unknown, service: string) => void = (error) =>
      queueMicrotask(() => {
        throw error;
      }),
  ) {}

  /** Makes and registers a service; returns it. */
  add<S extends Service>(factory: ServiceFactory<S>): S {
    const counters: Record<string, number> = {};
    return this.register(factory(this.hostFor(counters)), counters);
  }

  /** The same for a service that must load its state first (storage reads its shares' records). */
  async addAsync<S extends Service>(factory: (host: ServiceHost) => Promise<S>): Promise<S> {
    const counters: Record<string, number> = {};
    return this.register(await factory(this.hostFor(counters)), counters);
  }

  private hostFor(counters: Record<string, number>): ServiceHost {
    return {
      self: this.host.self,
      mayUse: (peer) => this.host.mayUse(peer),
      now: () => this.host.now(),
      count: (counter, by = 1) => {
        counters[counter] = (counters[counter] ?? 0) + by;
      },
    };
  }

  private register<S extends Service>(service: S, counters: Record<string, number>): S {
    if (this.services.has(service.name)) throw new ServiceNameError(`two services named ${service.name}`);
    this.services.set(service.name, service);
    this.counters.set(service.name, counters);
    return service;
  }

  names(): string[] {
    return [...this.services.keys()];
  }

  get(name: string): Service | undefined {
    return this.services.get(name);
  }

  linkUp(link: ServiceLink): void {
    if (this.linked.has(link.peer)) return;
    this.linked.add(link.peer);
    this.each((service) => service.linkUp(link));
  }

  linkDown(peer: NodeId): void {
    if (!this.linked.delete(peer)) return;
    this.each((service) => service.linkDown(peer));
  }

  /** The run of a grid ended: every link still up goes down. */
  allDown(): void {
    for (const peer of [...this.linked]) this.linkDown(peer);
  }

  policyChanged(): void {
    this.each((service) => service.policyChanged?.());
  }

  async stop(): Promise<void> {
    this.allDown();
    for (const service of this.services.values()) {
      try {
        await service.stop?.();
      } catch (error) {
        this.failed(service, error);
      }
    }
  }

  stats(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.counters].map(([name, counters]) => [name, { ...counters }]));
  }

  private each(call: (service: Service) => void): void {
    for (const service of this.services.values()) {
      try {
        call(service);
      } catch (error) {
        this.failed(service, error);
      }
    }
  }

  private failed(service: Service, error: unknown): void {
    const counters = this.counters.get(service.name)!;
    counters.error = (counters.error ?? 0) + 1;
    this.report(error, service.name);
  }
}
