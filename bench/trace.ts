/**
 * A Chromium trace of one page over a span, summarised as its main thread's long tasks (≥ 50 ms, the
 * long-task API's bound) and what each spent its time in: garbage collection, event dispatch by type,
 * script by function, style and layout. The CPU profile (profile.ts) says which functions ran; this says
 * which *tasks* were long and why, including work that is not script (GC, rendering, the browser's own).
 */
import type { Page } from 'playwright-core';

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown> };
}

const CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8',
  'v8.execute',
  'disabled-by-default-v8.gc',
  'blink',
].join(',');

export async function startTrace(page: Page): Promise<() => Promise<string[]>> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => {
    for (const ev of e.value) events.push(ev as unknown as TraceEvent);
  });
  await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReportEvents' });
  return async () => {
    const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Tracing.end');
    await done;
    await cdp.detach().catch(() => undefined);
    return summariseTrace(events);
  };
}

/** What a trace event is called in the summary: its name, with the event type or function it ran. */
function label(e: TraceEvent): string {
  const data = e.args?.data;
  if (e.name === 'EventDispatch' && data?.type) return `EventDispatch ${String(data.type)}`;
  if (e.name === 'FunctionCall' && data) {
    const file = String(data.url ?? '')
      .split('/')
      .pop();
    return `FunctionCall ${String(data.functionName || '(anon)')} ${file}:${Number(data.lineNumber ?? 0) + 1}`;
  }
  if (e.name === 'TimerFire') return 'TimerFire';
  return e.name;
}

export function summariseTrace(events: TraceEvent[], minMs = 50, top = 8): string[] {
  const threadNames = new Map<string, string>();
  for (const e of events)
    if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args?.name ?? '');
  const main = events.filter(
    (e) => e.ph === 'X' && threadNames.get(`${e.pid}:${e.tid}`) === 'CrRendererMain' && e.dur !== undefined,
  );
  const tasks = main.filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask');
  const long = tasks.filter((t) => t.dur! >= minMs * 1000).sort((a, b) => b.dur! - a.dur!);
  const lines = [`-- main-thread tasks: ${tasks.length}, of which ≥ ${minMs} ms: ${long.length} --`];
  for (const t of long.slice(0, 6)) {
    const inside = main.filter(
      (e) => e !== t && e.ts >= t.ts && e.ts + e.dur! <= t.ts + t.dur! && e.name !== t.name,
    );
    const by = new Map<string, number>();
    for (const e of inside) by.set(label(e), (by.get(label(e)) ?? 0) + e.dur! / 1000);
    lines.push(`task ${(t.dur! / 1000).toFixed(0)} ms:`);
    for (const [name, ms] of [...by].sort((a, b) => b[1] - a[1]).slice(0, top))
      lines.push(`  ${ms.toFixed(1).padStart(7)} ms  ${name}`);
  }
  return lines;
}
