/**
 * End-to-end harness: the real relay and the built dashboard on loopback, and separate headless Chromium
 * processes (Debian's, through playwright-core) each running a real node over real WebRTC and IndexedDB.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { type Relay, startRelay } from '../../../src/relay/relay.ts';

const chromiumConfig = JSON.parse(
  readFileSync(new URL('../../../scripts/chromium.json', import.meta.url), 'utf8'),
);
export const CHROMIUM_ARGS: string[] = chromiumConfig.args;

export interface Site {
  url: string;
  relay: Relay;
  close(): Promise<void>;
}

/**
 * Builds the dashboard once into a temporary folder and serves it on a free loopback port. A trial build
 * by default, like `npm start` (it obeys `?config=` and `?grid=`); `mode: 'production'` is the build
 * meant to be served to others (src/trial-options.ts). `minify: false` keeps function names (profiles).
 */
export async function startSite(
  options: { mode?: 'trial' | 'production'; minify?: boolean } = {},
): Promise<Site> {
  const relay = await startRelay({ host: '127.0.0.1', port: 0 });
  const outDir = mkdtempSync(join(tmpdir(), 'gridnode-e2e-'));
  await build({
    mode: options.mode ?? 'trial',
    logLevel: 'error',
    build: {
      outDir,
      emptyOutDir: true,
      sourcemap: false,
      ...(options.minify === false ? { minify: false } : {}),
    },
  });
  const server: PreviewServer = await preview({
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('preview server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    relay,
    async close() {
      await Promise.allSettled([server.close(), relay.close()]);
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** `extraArgs` add to the shared configuration, e.g. --host-resolver-rules for a name on loopback. */
export async function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? chromiumConfig.path,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

export interface NodePage {
  page: Page;
  context: BrowserContext;
  id: string;
}

/** Opens the dashboard in a fresh profile and waits until its node leads. */
export async function openNode(
  browser: Browser,
  site: Site,
  query: Record<string, string>,
  context?: BrowserContext,
): Promise<NodePage> {
  context ??= await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  const params = new URLSearchParams({ relay: site.relay.url, ...query });
  await page.goto(`${site.url}?${params}`);
  await page.waitForFunction(
    () => window.gridNode?.role === 'leader' || window.gridNode?.role === 'follower',
  );
  const id = await page.evaluate(() => window.gridNode!.id);
  return { page, context, id };
}

/**
 * Polls a condition in Node until it holds or `ms` passes; on timeout the error carries the last value
 * and what `explain` says (a failure in CI is read from its message alone).
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  ms = 30_000,
  explain?: () => Promise<unknown>,
) {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  const why = explain ? `; ${JSON.stringify(await explain().catch((e: Error) => e.message))}` : '';
  throw new Error(`timed out after ${ms} ms waiting for ${what}; last value: ${JSON.stringify(last)}${why}`);
}

/**
 * What each page's mesh says of itself, for a failure message: links, the dials of the last minute and
 * how they ended, and every drop counted (signaling, routing, the mesh's own).
 */
export function meshReport(pages: readonly Page[]): Promise<unknown[]> {
  return Promise.all(
    pages.map((page) =>
      page
        .evaluate(() => {
          const node = window.gridNode!;
          const stats = node.stats();
          const mesh = stats.mesh;
          // No named arrow functions in here: the page has no helper for their names.
          const now = Date.now();
          return {
            id: node.id.slice(3, 9),
            links: node
              .getPeers()
              .filter((p) => p.connected && !p.self)
              .map((p) => p.id.slice(3, 9)),
            held: mesh?.links,
            members: node.getPeers().length,
            sent: mesh?.sent,
            traffic: Object.entries(mesh?.traffic ?? {}).map(
              ([id, t]) =>
                `${id.slice(3, 9)} sent ${t.sentBytes} got ${t.receivedBytes} queued ${t.queuedBytes} ` +
                `rtt ${t.rttMs === undefined ? '-' : Math.round(t.rttMs)} ${JSON.stringify(t.dropped)}`,
            ),
            dials: (stats.dials ?? [])
              .filter((d) => now - d.at < 60_000)
              .map(
                (d) =>
                  `${d.id.slice(3, 9)} ${d.outcome}${d.reason ? ` (${d.reason})` : ''} ${now - d.at}ms ago`,
              ),
            dropped: mesh?.dropped,
            unsigned: mesh?.unsigned,
            routed: mesh?.routed,
            attempts: (mesh?.attempts ?? []).map(
              (a) =>
                `${a.peer.slice(3, 9)} ${a.via}${a.offered ? ' offered' : ''} ${now - a.at} ms ago: ` +
                `open ${a.openMs ?? '-'}, ${a.end} ${a.endMs} ms`,
            ),
            upkeep: mesh && {
              ...mesh.upkeep,
              lastRepair: mesh.upkeep.lastRepair?.replace(
                /^v0-(\w{6})\S* at (\d+)$/,
                (_, id: string, at: string) => `${id} ${now - Number(at)} ms ago`,
              ),
            },
          };
        })
        .catch((error: Error) => ({ closed: error.message.slice(0, 80) })),
    ),
  );
}

/** What a page's node holds: origin id → seqnum. */
export function view(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => Object.fromEntries(window.gridNode!.getPeers().map((p) => [p.id, p.seqnum])));
}

export function ownSeqnum(page: Page): Promise<number> {
  return page.evaluate(() => window.gridNode!.getPeers().find((p) => p.self)?.seqnum ?? 0);
}

/**
 * Whether the link graph (`lists[i]`: the ids member `ids[i]` is linked to) stays connected without member
 * `gone`. With no relay, nothing can carry signaling across a split.
 */
export function connectedWithout(ids: readonly string[], lists: readonly string[][], gone: number): boolean {
  const rest = ids.filter((_, i) => i !== gone);
  if (rest.length === 0) return true;
  const seen = new Set([rest[0]!]);
  const queue = [rest[0]!];
  for (let id = queue.shift(); id !== undefined; id = queue.shift())
    for (const next of lists[ids.indexOf(id)] ?? [])
      if (next !== ids[gone] && ids.includes(next) && !seen.has(next)) (queue.push(next), seen.add(next));
  return seen.size === rest.length;
}

/** Each page's linked members (proved links, as the node reports them). */
export function linkLists(pages: readonly Page[]): Promise<string[][]> {
  return Promise.all(
    pages.map((page) =>
      page.evaluate(() =>
        window
          .gridNode!.getPeers()
          .filter((p) => p.connected && !p.self)
          .map((p) => p.id as string),
      ),
    ),
  );
}

/**
 * Waits until no member's leaving would split the mesh (PROTOCOL.md §10, keeping the mesh whole: the
 * members announce their links and make the links that remove every such cut); the link lists then.
 */
export function noCutMember(nodes: readonly NodePage[], ms = 30_000): Promise<string[][]> {
  const ids = nodes.map((n) => n.id);
  return eventually(
    'no member whose leaving splits the mesh',
    () => linkLists(nodes.map((n) => n.page)),
    (lists) => ids.every((_, i) => connectedWithout(ids, lists, i)),
    ms,
    () => meshReport(nodes.map((n) => n.page)),
  );
}

/** A fresh browser (kept in `browsers` for closing) opening the app as `name`, with a fragment; once it leads. */
export async function arrive(site: Site, browsers: Browser[], name: string, hash = ''): Promise<Page> {
  const browser = await launch();
  browsers.push(browser);
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (error) => console.error(`[${name}] ${error.message}`));
  const query = new URLSearchParams({ relay: site.relay.url, nick: name });
  await page.goto(`${site.url}?${query}${hash}`);
  await page.waitForFunction(() => window.gridNode?.role === 'leader');
  return page;
}

/** The nicknames a page's node holds, sorted and joined with commas. */
export function nicknames(page: Page): Promise<string> {
  return page.evaluate(() =>
    window
      .gridNode!.getPeers()
      .map((p) => p.nickname)
      .sort()
      .join(),
  );
}
