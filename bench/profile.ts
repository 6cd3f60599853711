/**
 * A CPU profile of one page over a span, summarised by self time per function (Chromium's CDP Profiler
 * through playwright). For finding where a page's long tasks come from: `start(page)` then `stop()`,
 * which returns the top functions as readable lines.
 */
import type { Page } from 'playwright-core';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export async function startProfile(page: Page): Promise<() => Promise<string[]>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
    await cdp.detach().catch(() => undefined);
    return summarise(profile);
  };
}

/** Self time (ms) by function, and by function with its caller chain's top frames, largest first. */
export function summarise(profile: Profile, top = 30): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const name = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url.split('/').pop() ?? '';
    return `${f.functionName || '(anon)'} ${file}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
  };
  const flat = new Map<string, number>();
  const stacks = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    flat.set(name(n), (flat.get(name(n)) ?? 0) + ms);
    const chain: string[] = [];
    for (let p: number | undefined = id; p !== undefined && chain.length < 6; p = parent.get(p)) {
      const node = byId.get(p)!;
      if (node.callFrame.functionName !== '(root)') chain.push(name(node));
    }
    const key = chain.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${v.toFixed(0).padStart(6)} ms  ${k}`);
  // The longest busy runs (consecutive samples off idle: a task, or tasks back to back) and what they ran.
  const runs: { ms: number; fns: Map<string, number> }[] = [];
  let run: { ms: number; fns: Map<string, number> } | undefined;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (n.callFrame.functionName === '(idle)') {
      if (run) runs.push(run);
      run = undefined;
      return;
    }
    run ??= { ms: 0, fns: new Map() };
    run.ms += ms;
    const chain: string[] = [];
    for (let p: number | undefined = id; p !== undefined && chain.length < 4; p = parent.get(p)) {
      const node = byId.get(p)!;
      if (node.callFrame.functionName !== '(root)') chain.push(name(node));
    }
    const key = chain.join(' < ');
    run.fns.set(key, (run.fns.get(key) ?? 0) + ms);
  });
  if (run) runs.push(run);
  const longest = runs.sort((x, y) => y.ms - x.ms).slice(0, 3);
  const busy = longest.flatMap((r, i) => [
    `-- busy run ${i + 1}: ${r.ms.toFixed(0)} ms --`,
    ...sorted(r.fns).slice(0, 10),
  ]);
  return ['-- self time by function --', ...sorted(flat), '-- by stack --', ...sorted(stacks), ...busy];
}
