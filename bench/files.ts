/**
 * `npm run bench:files -- [--size 8388608] [--members 4]`
 *
 * Files on the grid in real Chromium processes on loopback (the real relay, the dashboard from Vite's dev
 * server, real WebRTC and IndexedDB), one open grid of `--members` nodes, all offering storage. Printed as
 * one JSON line (progress on stderr):
 * - `channelMBps`: a raw RTCDataChannel between two of the same browsers, in this run (64 KiB messages
 *   held under 1 MiB buffered), the rate every other figure is compared with;
 * - `encodeMBps`, `decodeMBps`: the CHK codec alone inside Chromium (bench/files-codec-core.ts), at the
 *   run's k and N;
 * - `uploadMBps`: `files.upload` of `--size` bytes by the first member, to the resolve (every share closed);
 * - `downloadMBps`, `timeToFirstByteMs`: another member's `files.downloadStream` to the last byte, and to
 *   the first;
 * - `peakMemoryMB`: the largest JS heap either page showed during its transfer (performance.memory);
 * - `uploadGoal`/`downloadGoal`: 0.5 × (k/N) × channel and 0.5 × channel, and `uploadLimit`/`downloadLimit`,
 *   the step with the lowest ceiling: the codec, or the channel (an uploader sends N−1 shares of size/k
 *   over its links; a downloader takes k blocks per segment from k servers at once).
 * Everything stops by itself: every wait has a deadline. (Functions passed to `page.evaluate` define no
 * named functions of their own: tsx would wrap them in a helper the page does not have.)
 */
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { createServer } from 'vite';
import { startRelay } from '../src/relay/relay.ts';
import { eventually, launch } from '../test/node/e2e/harness.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: String(8 * 1024 * 1024) },
    members: { type: 'string', default: '4' },
  },
});
const SIZE = Number(values.size);
const MEMBERS = Number(values.members);
if (!(SIZE > 0) || !(MEMBERS >= 2)) throw new Error('--size must be positive and --members at least 2');
const log = (...args: unknown[]) => console.error('[bench:files]', ...args);
const round = (x: number) => Math.round(x * 10) / 10;

const relay = await startRelay({ host: '127.0.0.1', port: 0 });
const vite = await createServer({
  mode: 'trial',
  logLevel: 'error',
  server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
});
await vite.listen();
const address = vite.httpServer!.address();
if (!address || typeof address === 'string') throw new Error('vite has no port');
const site = `http://127.0.0.1:${address.port}/`;
const browsers = await Promise.all(
  Array.from({ length: MEMBERS }, () => launch(['--enable-precise-memory-info'])),
);

try {
  const pages: Page[] = [];
  for (const [i, browser] of browsers.entries()) {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => log(`page ${i}: ${error.message}`));
    const query = new URLSearchParams({ relay: relay.url, grid: 'bench-files', nick: `m${i}` });
    await page.goto(`${site}?${query}`);
    await page.waitForFunction(() => window.gridNode?.role === 'leader', undefined, { timeout: 60_000 });
    pages.push(page);
  }
  const [up, down] = pages as [Page, Page];
  for (const page of pages) {
    await eventually(
      'every member reaches every storage server',
      () =>
        page.evaluate(() => {
          const node = window.gridNode!;
          return node.getPeers('storage').filter((p) => p.self || node.storage.remote(p.id as never)).length;
        }),
      (n) => n === MEMBERS,
      120_000,
    );
  }
  log(`${MEMBERS} members linked`);

  // The raw channel: a fresh RTCPeerConnection pair between the two pages, signaled through this process.
  const channelMBps = await rawChannel(up, down, 32 * 1024 * 1024);
  log(`raw channel ${channelMBps} MB/s`);

  // The codec alone, in Chromium, at the k and N an upload to MEMBERS servers gets.
  const counts = await up.evaluate(async (members) => {
    const params = await import('/src/files/params.ts' as string);
    return params.shareCountsFor(members) as { k: number; n: number; happy: number };
  }, MEMBERS);
  const codec = await up.evaluate(
    async ([size, k, n]) => {
      const core = await import('/bench/files-codec-core.ts' as string);
      return core.measureCodec({ sizeBytes: size, k, n }) as Promise<{
        encodeMBps: number;
        decodeMBps: number;
      }>;
    },
    [SIZE, counts.k, counts.n] as const,
  );
  log(`codec ${JSON.stringify(codec)}`);

  const uploaded = await up.evaluate(async (size) => {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
    let peak = 0;
    const perf = performance as unknown as { memory?: { usedJSHeapSize: number } };
    const timer = setInterval(() => (peak = Math.max(peak, perf.memory?.usedJSHeapSize ?? 0)), 20);
    const t0 = performance.now();
    const result = await window.gridNode!.files.upload(data, { name: 'bench.bin' });
    const ms = performance.now() - t0;
    clearInterval(timer);
    return { cap: result.cap, k: result.k, n: result.n, servers: result.servers.length, ms, peak };
  }, SIZE);
  log(`upload ${JSON.stringify({ ...uploaded, cap: undefined })}`);

  const downloaded = await down.evaluate(async (cap) => {
    let peak = 0;
    const perf = performance as unknown as { memory?: { usedJSHeapSize: number } };
    const timer = setInterval(() => (peak = Math.max(peak, perf.memory?.usedJSHeapSize ?? 0)), 20);
    const t0 = performance.now();
    const reader = (await window.gridNode!.files.downloadStream(cap)).getReader();
    let first = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (bytes === 0) first = performance.now() - t0;
      bytes += value.length;
    }
    const ms = performance.now() - t0;
    clearInterval(timer);
    return { bytes, ms, first, peak };
  }, uploaded.cap);
  if (downloaded.bytes !== SIZE) throw new Error(`downloaded ${downloaded.bytes} of ${SIZE} bytes`);
  log(`download ${JSON.stringify(downloaded)}`);

  const mbps = (ms: number) => round(SIZE / 1e6 / (ms / 1000));
  const { k, n } = uploaded;
  // Ceilings: an uploader sends (N − 1)/k × size over its links (one share stays here); a downloader
  // reads k blocks per segment from k links at once.
  const uploadChannelCeiling = round((channelMBps * k) / Math.max(1, n - 1));
  const uploadLimit = codec.encodeMBps < uploadChannelCeiling ? 'encode' : 'channel';
  const downloadLimit = codec.decodeMBps < channelMBps ? 'decode' : 'channel';
  console.log(
    JSON.stringify({
      bench: 'files',
      members: MEMBERS,
      sizeBytes: SIZE,
      k,
      n,
      servers: uploaded.servers,
      channelMBps,
      encodeMBps: codec.encodeMBps,
      decodeMBps: codec.decodeMBps,
      uploadMBps: mbps(uploaded.ms),
      downloadMBps: mbps(downloaded.ms),
      timeToFirstByteMs: Math.round(downloaded.first),
      peakMemoryMB: round(Math.max(uploaded.peak, downloaded.peak) / 1e6),
      uploadGoal: round(0.5 * (k / n) * channelMBps),
      downloadGoal: round(0.5 * channelMBps),
      uploadLimit,
      downloadLimit,
    }),
  );
} finally {
  await Promise.allSettled(browsers.map((b) => b.close()));
  await Promise.allSettled([vite.close(), relay.close()]);
}

/** MB/s of one RTCDataChannel from `a` to `b` carrying `bytes` in 64 KiB messages. */
async function rawChannel(a: Page, b: Page, bytes: number): Promise<number> {
  await b.evaluate(() => {
    const w = window as unknown as Record<string, unknown>;
    const pc = new RTCPeerConnection();
    w.benchPc = pc;
    w.benchCandidates = [];
    pc.onicecandidate = (e) => e.candidate && (w.benchCandidates as unknown[]).push(e.candidate.toJSON());
    w.benchReceived = new Promise<number>((resolve) => {
      pc.ondatachannel = (e) => {
        let got = 0;
        let t0 = 0;
        e.channel.binaryType = 'arraybuffer';
        e.channel.onmessage = (m) => {
          if (got === 0) t0 = performance.now();
          got += (m.data as ArrayBuffer).byteLength;
          if (m.data.byteLength === 1) resolve((got - 1) / 1e6 / ((performance.now() - t0) / 1000));
        };
      };
    });
  });
  const offer = await a.evaluate(async () => {
    const w = window as unknown as Record<string, unknown>;
    const pc = new RTCPeerConnection();
    w.benchPc = pc;
    w.benchCandidates = [];
    pc.onicecandidate = (e) => e.candidate && (w.benchCandidates as unknown[]).push(e.candidate.toJSON());
    w.benchChannel = pc.createDataChannel('bench', { ordered: true });
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription!.toJSON();
  });
  const answer = await b.evaluate(async (offer) => {
    const pc = (window as unknown as { benchPc: RTCPeerConnection }).benchPc;
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription!.toJSON();
  }, offer);
  await a.evaluate(async (answer) => {
    await (window as unknown as { benchPc: RTCPeerConnection }).benchPc.setRemoteDescription(answer);
  }, answer);
  // Trickle both ways until the channel opens.
  const exchange = async (from: Page, to: Page) => {
    const list = await from.evaluate(() =>
      (window as unknown as { benchCandidates: unknown[] }).benchCandidates.splice(0),
    );
    await to.evaluate(async (list) => {
      const pc = (window as unknown as { benchPc: RTCPeerConnection }).benchPc;
      for (const c of list) await pc.addIceCandidate(c as RTCIceCandidateInit);
    }, list);
  };
  await eventually(
    'the raw channel opens',
    async () => {
      await exchange(a, b);
      await exchange(b, a);
      return a.evaluate(
        () => (window as unknown as { benchChannel: RTCDataChannel }).benchChannel.readyState,
      );
    },
    (state) => state === 'open',
    30_000,
  );
  await a.evaluate(async (bytes) => {
    const channel = (window as unknown as { benchChannel: RTCDataChannel }).benchChannel;
    const chunk = new Uint8Array(64 * 1024);
    channel.bufferedAmountLowThreshold = 256 * 1024;
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      if (channel.bufferedAmount > 1024 * 1024) {
        await new Promise<void>((resolve) => (channel.onbufferedamountlow = () => resolve()));
      }
      channel.send(chunk);
    }
    channel.send(new Uint8Array(1));
  }, bytes);
  const rate = await b.evaluate(
    () => (window as unknown as { benchReceived: Promise<number> }).benchReceived,
  );
  await Promise.all(
    [a, b].map((p) =>
      p.evaluate(() => (window as unknown as { benchPc: RTCPeerConnection }).benchPc.close()),
    ),
  );
  return round(rate);
}
