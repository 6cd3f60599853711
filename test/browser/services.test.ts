// The service seam over real WebRTC in Chromium: two PeerLinks in one page, each side's ServiceRegistry
// running the real ping service on a negotiated data channel of its own.
import type { NodeId } from '../../src/core/index.ts';
import { ChannelError, PeerLink } from '../../src/net/peer-link.ts';
import { PING_CHANNEL, PingService } from '../../src/services/ping.ts';
import { ServiceNameError, ServiceRegistry } from '../../src/services/registry.ts';
import type { ServiceLink } from '../../src/services/types.ts';
import { check, equal, waitFor } from './assert.ts';

const A = 'v0-alice' as NodeId;
const B = 'v0-bob' as NodeId;
const live: PeerLink[] = [];

/** Two open links, one per side, signaling through in-page calls. */
async function linkPair(): Promise<[PeerLink, PeerLink]> {
  let a!: PeerLink;
  let b!: PeerLink;
  let opened = 0;
  a = new PeerLink({ initiator: true }, { signal: (s) => b.signal(s), open: () => opened++ });
  b = new PeerLink({ initiator: false }, { signal: (s) => a.signal(s), open: () => opened++ });
  live.push(a, b);
  await waitFor('both links open', () => opened === 2);
  return [a, b];
}

function serviceLink(peer: NodeId, link: PeerLink): ServiceLink {
  return { peer, channel: (label, id) => link.openChannel(label, id) };
}

/** A node's registry with the ping service, pinging every 50 ms; `allowed` is its owner's policy. */
function node(self: NodeId, allowed: (peer: NodeId) => boolean = () => true) {
  const registry = new ServiceRegistry({ self, mayUse: allowed, now: () => Math.round(performance.now()) });
  const ping = registry.add((host) => new PingService(host, { intervalMs: 50 }));
  return { registry, ping };
}

describe('service seam', () => {
  afterEach(() => {
    for (const link of live.splice(0)) link.close();
  });

  it('measures RTT on a negotiated channel of its own, over a real link', async () => {
    const [la, lb] = await linkPair();
    const a = node(A);
    const b = node(B);
    a.registry.linkUp(serviceLink(B, la));
    b.registry.linkUp(serviceLink(A, lb));
    await waitFor('both sides measured RTTs', () => a.ping.samplesOf(B) >= 3 && b.ping.samplesOf(A) >= 3);
    const rtt = a.ping.rttOf(B)!;
    check(Number.isFinite(rtt) && rtt >= 0 && rtt < 5_000, `plausible RTT: ${rtt}`);
    const stats = a.registry.stats().ping!;
    check(stats.pongs! >= 3 && stats.pings! >= stats.pongs!, `counted: ${JSON.stringify(stats)}`);
    equal(stats['bad-frame'], undefined, 'no bad frames');
    // The link's own channel still carries messages beside the service's.
    check(la.send(new Uint8Array([7])), 'the link itself still sends');
  });

  it('answers no pings from a peer its owner denies', async () => {
    const [la, lb] = await linkPair();
    const a = node(A);
    const b = node(B, (peer) => peer !== A);
    a.registry.linkUp(serviceLink(B, la));
    b.registry.linkUp(serviceLink(A, lb));
    await waitFor('the denied side refused pings', () => (b.registry.stats().ping!.refused ?? 0) >= 3);
    await waitFor('the allowed side measured', () => b.ping.samplesOf(A) >= 1);
    equal(a.ping.samplesOf(B), 0, 'no RTT for the denied peer');
    equal(a.ping.rttOf(B), undefined, 'no RTT for the denied peer');
  });

  it('forgets a link that goes down, and once the link closes, its channel closes', async () => {
    const [la, lb] = await linkPair();
    const a = node(A);
    const b = node(B);
    a.registry.linkUp(serviceLink(B, la));
    b.registry.linkUp(serviceLink(A, lb));
    await waitFor('measured', () => a.ping.samplesOf(B) >= 1);
    la.close();
    await waitFor('the remote side saw its channel close', () => b.ping.rttOf(A) === undefined);
    a.registry.allDown();
    equal(a.ping.rttOf(B), undefined);
    const pings = a.registry.stats().ping!.pings!;
    await new Promise((r) => setTimeout(r, 200));
    equal(a.registry.stats().ping!.pings, pings, 'no more pings after linkDown');
  });

  it('refuses reserved channel ids and duplicate service names', async () => {
    const [la] = await linkPair();
    let threw: unknown;
    try {
      la.openChannel('x', 0);
    } catch (error) {
      threw = error;
    }
    check(threw instanceof ChannelError, 'ids below 16 belong to the link');
    const channel = la.openChannel('x', PING_CHANNEL.id + 1);
    equal(channel.negotiated, true);
    equal(channel.id, PING_CHANNEL.id + 1);
    const { registry } = node(A);
    threw = undefined;
    try {
      registry.add((host) => new PingService(host));
    } catch (error) {
      threw = error;
    }
    check(threw instanceof ServiceNameError, 'one service per name');
  });

  it('keeps other services running when one throws', async () => {
    const [la] = await linkPair();
    const errors: string[] = [];
    const registry = new ServiceRegistry(
      { self: A, mayUse: () => true, now: () => Date.now() },
      (error, service) => errors.push(`${service}: ${(error as Error).message}`),
    );
    registry.add(() => ({
      name: 'broken',
      linkUp: () => {
        throw new Error('broken service');
      },
      linkDown: () => undefined,
    }));
    registry.add((host) => new PingService(host, { intervalMs: 50 }));
    registry.linkUp(serviceLink(B, la));
    equal(registry.stats().broken!.error, 1, 'the failure is counted');
    equal(errors.join(), 'broken: broken service', 'the error is reported with its service');
    await waitFor('ping still runs', () => (registry.stats().ping!.pings ?? 0) >= 1);
  });
});
