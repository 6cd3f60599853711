/**
 * Measures one announcement's spread through a simulation: hops and time until 99.9 % of the other live
 * nodes hold it, payload copies per receiver, and the bytes of refs, PRUNEs and GRAFTs that name it (and
 * of every BUCKETS sent meanwhile, which name no origin but are anti-entropy's answer to the change).
 * Shared by `bench:sim` (the protocol and its flooding baseline) and `bench:faults`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { MessageType, decodeMessage, equalBytes, tagOf } from '../src/core/index.ts';
import type { Simulation } from '../test/sim/network.ts';

export interface Spread {
  hopsTo999: number | null;
  msTo999: number | null;
  payloadCopiesPerNode: number;
  controlBytesPerNode: number;
  /** Every byte of every message about the tracked announcement, per live node. */
  bytesPerNode: number;
  envelopeBytes: number;
  reached: number;
}

/** Node `origin` publishes a new announcement (`change` makes it); runs `ms` and reports its spread. */
export function trackSpread(sim: Simulation, origin: number, change: () => void, ms: number): Spread {
  const t0 = sim.now;
  const originNode = sim.nodes[origin]!;
  const trackedTag = tagOf(originNode.signer.publicKey);
  let tracked: Uint8Array | undefined;
  let trackedEnvelope: Uint8Array | undefined;
  const hops = new Map<number, number>([[origin, 0]]);
  const times: number[] = [];
  const hopList: number[] = [];
  let payloadCopies = 0;
  let controlBytes = 0;
  sim.onStored = (node, hash, from) => {
    if (!tracked || !equalBytes(hash, tracked) || hops.has(node)) return;
    const hop = from === undefined ? 0 : (hops.get(from) ?? 0) + 1;
    hops.set(node, hop);
    if (node !== origin) {
      hopList.push(hop);
      times.push(sim.now - t0);
    }
  };
  sim.onDeliver = ({ bytes }) => {
    if (!trackedEnvelope) return;
    const m = decodeMessage(bytes, 1 << 20);
    if (!m.ok) return;
    const v = m.value;
    if (v.type === MessageType.Announce || v.type === MessageType.Push) {
      for (const env of v.envelopes) {
        if (!equalBytes(env, trackedEnvelope)) continue;
        payloadCopies++;
        // The message's framing, shared among the envelopes it carries.
        controlBytes += (bytes.length - v.envelopes.reduce((a, e) => a + e.length, 0)) / v.envelopes.length;
      }
    } else if (v.type === MessageType.Prune) {
      if (v.tags.includes(trackedTag)) controlBytes += bytes.length;
    } else if (v.type === MessageType.Buckets) {
      // Names no origin, but while one version spreads it is what anti-entropy spends on that version.
      controlBytes += bytes.length;
    } else if ('refs' in v && v.refs.some((r) => r.tag === trackedTag)) {
      controlBytes += bytes.length;
    }
  };
  change();
  trackedEnvelope = originNode.node.envelopeOf(originNode.id)!;
  tracked = sha256(trackedEnvelope);
  sim.runFor(ms);
  sim.onDeliver = undefined;
  sim.onStored = undefined;

  const live = sim.live().length;
  const receivers = live - 1;
  hopList.sort((a, b) => a - b);
  times.sort((a, b) => a - b);
  const need = Math.ceil(0.999 * receivers);
  const reached = hopList.length >= need;
  const envelopeBytes = trackedEnvelope.length;
  return {
    hopsTo999: reached ? hopList[need - 1]! : null,
    msTo999: reached ? Math.round(times[need - 1]!) : null,
    payloadCopiesPerNode: round(payloadCopies / receivers, 3),
    controlBytesPerNode: round(controlBytes / live, 1),
    bytesPerNode: round((payloadCopies * envelopeBytes + controlBytes) / live, 1),
    envelopeBytes,
    reached: hopList.length,
  };
}

/** `--start settled|cold` of `bench:sim` and `bench:faults`; settled by default. */
export function startOption(argv: readonly string[] = process.argv): 'settled' | 'cold' {
  const i = argv.indexOf('--start');
  const start = i < 0 ? 'settled' : argv[i + 1];
  if (start !== 'settled' && start !== 'cold') throw new Error('--start is settled or cold');
  return start;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Peak resident memory, sampled between simulation steps (the simulation itself never yields). */
export class Memory {
  peakRss = 0;
  sample(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss);
  }
  /** Runs `sim` to `until` in steps of `stepMs`, sampling memory between them. */
  runUntil(sim: Simulation, until: number, stepMs = 1000): void {
    while (sim.now < until) {
      sim.runUntil(Math.min(until, sim.now + stepMs));
      this.sample();
      this.progress(sim);
    }
  }
  private lastReport = performance.now();
  /** A line on stderr at most every 30 s of wall time, so a long run shows how far it is. */
  progress(sim: Simulation, note = ''): void {
    const now = performance.now();
    if (now - this.lastReport < 30_000 && note === '') return;
    this.lastReport = now;
    const cpu = process.cpuUsage();
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    const cpuS = Math.round((cpu.user + cpu.system) / 1e6);
    process.stderr.write(
      `[sim t=${sim.now} ms] ${note}rss ${rss} MiB (peak ${this.peakMiB}), cpu ${cpuS} s\n`,
    );
  }
  get peakMiB(): number {
    return Math.round(this.peakRss / 2 ** 20);
  }
}
