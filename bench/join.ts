/**
 * `npm run bench:join -- [--runs N]`
 *
 * How long opening an invitation link takes on loopback (issue 17, point 4): the real relay and the built
 * dashboard, a founder in one Chromium, and N invitees, each a fresh profile in a second Chromium, each
 * opening a new invitation link. For each join the page records, from its navigation start, when its node
 * exists, when it leads, when it is in the grid (redeemed, witnessed, switched) and when its first link is
 * up, with finer phases between (the node's `joinTimes`, join.ts; the relay open; the first attempt). Prints one JSON line: `joinMs` (median, from the node leading — when main.ts accepts the
 * invitation — to its first link), `fromNavigationMs` (the same from navigation start, page load
 * included), the median of every phase, and all runs.
 */
import { launch, openNode, startSite } from '../test/node/e2e/harness.ts';

const i = process.argv.indexOf('--runs');
const runs = i < 0 ? 7 : Number(process.argv[i + 1]);
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');

interface Times {
  node?: number;
  leader?: number;
  /** join.ts: a short code's pending invitation fetched, witnessed, the grid's run started. */
  resolved?: number;
  witnessed?: number;
  switched?: number;
  grid?: number;
  /** The grid's relay connection open, a link attempt made (an offer or answer under way). */
  relayOpen?: number;
  attempt?: number;
  linked?: number;
}

/** Records, from navigation start, when the node exists, leads, is in a grid, and has its first link. */
const POLLER = `
  const t = {};
  window.joinTimes = t;
  (function poll() {
    const node = window.gridNode;
    const now = performance.now();
    if (node && t.node === undefined) t.node = now;
    if (node && node.role === 'leader' && t.leader === undefined) t.leader = now;
    if (node && node.grid && t.grid === undefined) t.grid = now;
    try {
      const j = node && node.joinTimes;
      if (j) for (const k of ['resolved', 'witnessed', 'switched']) if (j[k] !== undefined) t[k] = j[k];
      const mesh = node && node.grid ? node.stats().mesh : undefined;
      if (mesh && t.relayOpen === undefined && mesh.signaling.relays.some((r) => r.state === 'open'))
        t.relayOpen = now;
      if (mesh && t.attempt === undefined && mesh.links >= 1) t.attempt = now;
    } catch {}
    try {
      if (node && node.grid && (node.stats().mesh?.up ?? 0) >= 1) return void (t.linked = now);
    } catch {}
    setTimeout(poll, 2);
  })();
`;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const site = await startSite();
const founderBrowser = await launch();
const inviteeBrowser = await launch();
try {
  const founder = await openNode(founderBrowser, site, { nick: 'founder' });
  await founder.page.evaluate(() => window.gridNode!.createGrid('bench'));
  const all: Required<Times>[] = [];
  for (let run = 0; run < runs; run++) {
    const { url } = await founder.page.evaluate(() => window.gridNode!.createInvite());
    const context = await inviteeBrowser.newContext();
    const page = await context.newPage();
    // A string, not a function: tsx would wrap named functions in a helper the page does not have.
    await page.addInitScript(POLLER);
    const query = new URLSearchParams({ relay: site.relay.url, nick: `invitee-${run}` });
    await page.goto(`${site.url}?${query}${new URL(url).hash}`);
    await page
      .waitForFunction(
        () => (window as unknown as { joinTimes: Times }).joinTimes.linked !== undefined,
        undefined,
        { timeout: 30_000, polling: 50 },
      )
      .catch(async (error: Error) => {
        const state = await page.evaluate(() => ({
          times: (window as unknown as { joinTimes: Times }).joinTimes,
          error: window.gridInviteError,
          grid: window.gridNode?.grid?.name,
          stats: window.gridNode?.stats().mesh,
        }));
        throw new Error(`${error.message}: ${JSON.stringify(state)}`);
      });
    const times = await page.evaluate(() => (window as unknown as { joinTimes: Required<Times> }).joinTimes);
    all.push(times);
    await context.close();
  }
  const round = (n: number) => Math.round(n);
  const phase = (k: keyof Times) => round(median(all.map((t) => t[k])));
  console.log(
    JSON.stringify({
      // A join: from the moment the node leads (main.ts accepts the invitation then) to its first link.
      joinMs: round(median(all.map((t) => t.linked - t.leader))),
      fromNavigationMs: phase('linked'),
      runs,
      median: {
        nodeCreatedMs: phase('node'),
        leaderMs: phase('leader'),
        inGridMs: phase('grid'),
        linkedMs: phase('linked'),
        redeemMs: round(median(all.map((t) => t.grid - t.leader))),
        firstLinkMs: round(median(all.map((t) => t.linked - t.grid))),
        // Finer: leader → code resolved → witnessed → grid run started → relay open → attempt → linked.
        resolveMs: round(median(all.map((t) => t.resolved - t.leader))),
        witnessMs: round(median(all.map((t) => t.witnessed - t.resolved))),
        switchMs: round(median(all.map((t) => t.switched - t.witnessed))),
        relayOpenMs: round(median(all.map((t) => t.relayOpen - t.switched))),
        attemptMs: round(median(all.map((t) => t.attempt - t.switched))),
        linkMs: round(median(all.map((t) => t.linked - t.attempt))),
      },
      all: all.map((t) => ({
        node: round(t.node),
        leader: round(t.leader),
        grid: round(t.grid),
        resolved: round(t.resolved),
        witnessed: round(t.witnessed),
        switched: round(t.switched),
        relayOpen: round(t.relayOpen),
        attempt: round(t.attempt),
        linked: round(t.linked),
      })),
    }),
  );
} finally {
  await Promise.allSettled([founderBrowser.close(), inviteeBrowser.close()]);
  await site.close();
}
