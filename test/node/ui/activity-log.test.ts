/** The activity log's fold (src/ui/activity-log.ts): refusals folded per peer and reason, and fenced off. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type ActivityLog,
  type ActivityLogOptions,
  appendActivity,
  emptyActivityLog,
} from '../../../src/ui/activity-log.ts';
import type { ActivityDetail, ActivityKind } from '../../../src/ui/node-types.ts';

const T0 = 1_700_000_000_000;
const OPTIONS: ActivityLogOptions = { max: 20, maxRefusals: 5, windowMs: 60_000 };
const MALLORY = 'v0-mallory';
const ALICE = 'v0-alice';

const feed = (details: ActivityDetail[], options = OPTIONS, log: ActivityLog = emptyActivityLog) =>
  details.reduce((l, d) => appendActivity(l, d, T0, options), log);

const refusal = (id: string, reason: string, at: number): ActivityDetail => ({
  kind: 'rejected',
  id,
  reason,
  at,
});

describe('activity log', () => {
  it('folds 1,248 refusals of one peer for one reason into one line with the count, first and newest time', () => {
    const join: ActivityDetail = { kind: 'join', id: ALICE, at: T0 };
    const refusals = Array.from({ length: 1248 }, (_, i) =>
      refusal(MALLORY, 'bad-certificate-signature', T0 + i * 10),
    );
    const log = feed([join, ...refusals]);
    assert.equal(log.entries.length, 2);
    const [first, line] = log.entries;
    assert.equal(first!.kind, 'join');
    assert.equal(line!.count, 1248);
    assert.equal(line!.firstAt, T0);
    assert.equal(line!.at, T0 + 1247 * 10);
    assert.equal(log.droppedRefusals, 0);
  });

  it('keeps a line per reason and per peer, and a line that moved to the newest place', () => {
    const log = feed([
      refusal(MALLORY, 'not-member', T0),
      refusal(ALICE, 'not-member', T0 + 1),
      refusal(MALLORY, 'expired-certificate', T0 + 2),
      refusal(MALLORY, 'not-member', T0 + 3),
    ]);
    assert.deepEqual(
      log.entries.map((e) => `${e.id}/${e.reason}×${e.count}`),
      ['v0-alice/not-member×1', 'v0-mallory/expired-certificate×1', 'v0-mallory/not-member×2'],
    );
    assert.equal(new Set(log.entries.map((e) => e.seq)).size, 3, 'keys stay distinct');
  });

  it('starts a new line once the refusals are further apart than the window', () => {
    const log = feed([
      refusal(MALLORY, 'not-member', T0),
      refusal(MALLORY, 'not-member', T0 + 30_000),
      refusal(MALLORY, 'not-member', T0 + 30_000 + 60_001),
    ]);
    assert.deepEqual(
      log.entries.map((e) => e.count),
      [2, 1],
    );
  });

  it('never lets refusals from many made-up ids push out joins, leaves and revocations, and counts what it dropped', () => {
    const kept: ActivityDetail[] = [
      { kind: 'join', id: ALICE, at: T0 },
      { kind: 'revoked', id: 'v0-bob', at: T0 + 1 },
      { kind: 'status', reason: 'online', at: T0 + 2 },
    ];
    const sybils = Array.from({ length: 500 }, (_, i) => refusal(`v0-sybil${i}`, 'not-member', T0 + 10 + i));
    const log = feed([...kept, ...sybils]);
    assert.equal(log.entries.filter((e) => e.kind === 'rejected').length, OPTIONS.maxRefusals);
    assert.deepEqual(
      log.entries.filter((e) => e.kind !== 'rejected').map((e) => e.kind),
      ['join', 'revoked', 'status'],
    );
    assert.equal(log.droppedRefusals, 500 - OPTIONS.maxRefusals);
    assert.equal(log.entries.at(-1)!.id, 'v0-sybil499', 'the newest refusals are the ones shown');
  });

  it('keeps the newest lines up to its bound', () => {
    const joins = Array.from({ length: 30 }, (_, i): ActivityDetail => ({
      kind: 'join',
      id: `v0-${i}`,
      at: T0 + i,
    }));
    const log = feed(joins);
    assert.equal(log.entries.length, OPTIONS.max);
    assert.equal(log.entries[0]!.id, 'v0-10');
    assert.equal(log.droppedRefusals, 0);
  });

  it('ignores what is not an activity and takes `now` for a time that is not one', () => {
    const bad = [null, undefined, {}, { kind: 3 }] as unknown as ActivityDetail[];
    assert.equal(feed(bad), emptyActivityLog);
    const log = feed([{ kind: 'join', id: 7, reason: {}, at: Number.NaN } as unknown as ActivityDetail]);
    assert.deepEqual(log.entries[0], {
      kind: 'join',
      id: undefined,
      reason: undefined,
      at: T0,
      seq: 1,
      count: 1,
      firstAt: T0,
    });
  });

  it('holds its bounds and loses no refusal uncounted, for any stream (property)', () => {
    const kinds: ActivityKind[] = ['join', 'leave', 'rejected', 'rejected', 'rejected', 'revoked', 'status'];
    const detail = fc.record({
      kind: fc.constantFrom(...kinds),
      id: fc.constantFrom('v0-a', 'v0-b', 'v0-c', 'v0-d', 'v0-e', 'v0-f', 'v0-g'),
      reason: fc.constantFrom('not-member', 'revoked', 'bad-certificate-signature'),
      at: fc.integer({ min: T0, max: T0 + 600_000 }),
    });
    const options = fc.record({
      max: fc.integer({ min: 1, max: 12 }),
      maxRefusals: fc.integer({ min: 1, max: 6 }),
      windowMs: fc.integer({ min: 0, max: 120_000 }),
    });
    fc.assert(
      fc.property(fc.array(detail, { maxLength: 200 }), options, (details, opts) => {
        const log = feed(details, opts);
        const refusalLines = log.entries.filter((e) => e.kind === 'rejected');
        assert.ok(log.entries.length <= opts.max);
        assert.ok(refusalLines.length <= opts.maxRefusals);
        const refused = details.filter((d) => d.kind === 'rejected').length;
        const shown = refusalLines.reduce((n, e) => n + (e.count ?? 1), 0);
        assert.equal(shown + log.droppedRefusals, refused, 'every refusal is shown or counted as dropped');
        for (const e of log.entries) assert.ok((e.firstAt ?? e.at) <= e.at);
        assert.equal(new Set(log.entries.map((e) => e.seq)).size, log.entries.length);
      }),
      { numRuns: 300 },
    );
  });
});
