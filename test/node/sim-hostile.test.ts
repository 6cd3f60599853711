/**
 * Issue 12's soak in the simulator: a hostile node sends at full rate on every one of its links — IHAVEs
 * of made-up refs (SECURITY-REVIEW finding 7's want-table attack), copies of a forged envelope, garbage —
 * while the honest nodes gossip. Honest coverage and gossip latency are measured with and without it,
 * and printed (one JSON line). The same run with the per-link want budget switched off shows what the
 * budget buys: the attacker's neighbours then drop honest refs (`want-limit`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType, encodeAnnounce, encodeRefs, tagOf, type Ref } from '../../src/core/index.ts';
import { Simulation } from '../sim/network.ts';

const HONEST = 32;
const ROUNDS = 6;
const GAP_MS = 2_000;

/** Median and max of the time from each honest change to the moment every honest node held it. */
function soak(attack: boolean, config: { maxWantsPerLink?: number; maxPendingWants?: number } = {}) {
  const sim = new Simulation({ nodes: HONEST + 1, seed: 12, latencyMs: 30, jitterMs: 20, config });
  const hostile = HONEST;
  for (let i = 0; i < HONEST; i++) for (let k = 1; k <= 2; k++) sim.connect(i, (i + k * 7) % HONEST);
  // The attacker is linked only in the attacked run: linked and quiet, its honest core would be a hub
  // that shortens paths, and the comparison would measure the hub, not the attack.
  if (attack) for (let k = 0; k < 8; k++) sim.connect(hostile, k * 4);
  for (let i = 0; i < HONEST; i++) sim.announce(i);
  sim.runFor(20_000);
  let refsSent = 0;
  if (attack) {
    let n = 0;
    // A member's real envelope with its signature broken: refused as `bad-signature` wherever it lands.
    const genuine = sim.nodes[0]!.node.envelopeOf(sim.nodes[1]!.id)!;
    const forged = genuine.slice();
    forged[forged.length - 1]! ^= 1;
    // Every 20 ms on every link: 256 made-up refs and garbage; a forged envelope now and then.
    const flood = () => {
      for (const to of sim.linksOf(hostile)) {
        const refs: Ref[] = Array.from({ length: 256 }, () => {
          const key = new Uint8Array(32);
          new DataView(key.buffer).setUint32(0, ++n);
          return { tag: tagOf(key), seqnum: 1, hash32: n };
        });
        refsSent += refs.length;
        for (const m of encodeRefs(MessageType.IHave, refs, 256 * 1024)) sim.inject(hostile, to, m);
        // The simulator's cores verify synchronously with noble (no preverifier), so forged copies are sent
        // once a second here; floods of them are receive-budgets.test.ts's and bench:hostile's.
        if (n % (50 * 256 * 8) < 256) sim.inject(hostile, to, encodeAnnounce([forged], 256 * 1024)[0]!);
        sim.inject(hostile, to, new Uint8Array([MessageType.IHave, 0xff, 0xff, 0xff]));
      }
      if (sim.now < end) sim.at(sim.now + 20, flood);
    };
    const end = sim.now + ROUNDS * GAP_MS + 5_000;
    sim.at(sim.now, flood);
  }
  const latencies: number[] = [];
  let missing = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const origin = (r * 11) % HONEST;
    sim.publish(origin, 'soak', { round: String(r) });
    const key = sim.nodes[origin]!.signer.publicKey;
    const hash = sim.nodes[origin]!.node.heldHash(key)!;
    const started = sim.now;
    let doneAt: number | undefined;
    for (let t = 0; t < GAP_MS && doneAt === undefined; t += 10) {
      sim.runFor(10);
      const all = sim.nodes
        .slice(0, HONEST)
        .every((n) => n.node.heldHash(key)?.every((b, i) => b === hash[i]) ?? false);
      if (all) doneAt = sim.now;
    }
    if (doneAt === undefined) missing++;
    else latencies.push(doneAt - started);
    sim.runFor(Math.max(0, GAP_MS - (sim.now - started)));
  }
  latencies.sort((a, b) => a - b);
  const dropped = (name: string) =>
    sim.nodes
      .slice(0, HONEST)
      .reduce((sum, n) => sum + ((n.node.stats().dropped as Record<string, number>)[name] ?? 0), 0);
  return {
    medianMs: latencies[Math.floor(latencies.length / 2)] ?? null,
    maxMs: latencies.at(-1) ?? null,
    missing,
    refsSent,
    wantLinkLimit: dropped('want-link-limit'),
    wantLimit: dropped('want-limit'),
    badSignature: dropped('bad-signature'),
    maxPendingWants: Math.max(...sim.nodes.slice(0, HONEST).map((n) => n.node.stats().pendingWants)),
  };
}

describe('soak: a hostile node at full rate while members gossip (simulator)', () => {
  it('honest coverage stays complete and latency within 2x of the quiet run; the flood is counted', () => {
    const quiet = soak(false);
    const attacked = soak(true);
    const unbudgeted = soak(true, { maxWantsPerLink: 4_096, maxPendingWants: 4_096 });
    console.log(
      JSON.stringify({ soak: 'sim-hostile', honest: HONEST, rounds: ROUNDS, quiet, attacked, unbudgeted }),
    );
    assert.equal(quiet.missing, 0);
    assert.equal(attacked.missing, 0, 'every honest change reached every honest node under attack');
    assert.ok(
      attacked.medianMs! <= 2 * quiet.medianMs!,
      `latency ${attacked.medianMs} vs quiet ${quiet.medianMs}`,
    );
    assert.ok(attacked.wantLinkLimit > 0, 'the made-up refs were refused by the per-link budget');
    assert.equal(attacked.wantLimit, 0, 'the want table itself never filled');
    assert.ok(attacked.maxPendingWants <= 1_024 + 64, `one link's share at most, plus honest wants`);
    assert.ok(attacked.badSignature > 0, 'forged envelopes were counted');
    // Without the per-link budget the attacker fills its neighbours' want tables.
    assert.ok(unbudgeted.wantLimit > 0, 'unbudgeted, honest refs meet a full want table');
  });
});
