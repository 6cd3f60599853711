// `npm test`: type-check, format check, Node tests, browser tests. Child output is streamed live;
// the very last line is always `N passed, N failed` (N = Node + browser tests, plus one failure per
// failed check or per runner that crashed or produced no count). Exits non-zero if anything failed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const CHROMIUM = '/usr/bin/chromium';
const NODE_TAP = 'test-results/node.tap';
const BROWSER_JSON = 'test-results/browser.json';
const parts = []; // { name, note, counts: { passed, failed, skipped }, show }

/** Runs a command with inherited stdio; resolves to its exit code (127 if it could not start). */
function run(cmd, args) {
  console.log(`\n$ ${[cmd, ...args].join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit' });
    child.on('error', (err) => (console.error(`could not start ${cmd}: ${err.message}`), resolve(127)));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** test/node/**\/*.test.ts, expanded here because Node 20's --test does not take globs. */
function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const ZERO = { passed: 0, failed: 0, skipped: 0 };
// show: print the part's test counts in the summary (not for checks or parts that did not run).
const part = (name, note, counts = ZERO, show = true) => parts.push({ name, note, counts, show });

/** Records a runner's counts; no valid count, or a non-zero exit without a failing test, is one failure. */
function record(name, counts, code) {
  const valid = counts && ['passed', 'failed', 'skipped'].every((k) => Number.isInteger(counts[k]));
  if (!valid) return part(name, `FAILED: no test count (exit ${code})`, { ...ZERO, failed: 1 }, false);
  const failed = code !== 0 && counts.failed === 0 ? 1 : counts.failed;
  part(name, failed > counts.failed ? `exit ${code}` : '', { ...counts, failed });
}

async function check(name, cmd, args) {
  const code = await run(cmd, args);
  part(name, code === 0 ? 'ok' : `FAILED (exit ${code})`, { ...ZERO, failed: code === 0 ? 0 : 1 }, false);
}

async function ensureChromium() {
  if (existsSync(CHROMIUM)) return true;
  if (process.getuid?.() !== 0) {
    console.error(
      `\n${CHROMIUM} is missing and this is not root: install it with \`apt-get install -y chromium\`.`,
    );
    return false;
  }
  console.log(`\n${CHROMIUM} is missing; installing Debian's chromium package.`);
  if ((await run('apt-get', ['update'])) !== 0) return false;
  return (await run('apt-get', ['install', '-y', 'chromium'])) === 0 && existsSync(CHROMIUM);
}

mkdirSync('test-results', { recursive: true });
const haveChromium = await ensureChromium();

// Static checks.
await check('type-check', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
await check('format', 'npx', ['prettier', '--check', '.']);

// Node tests: spec to the terminal, TAP to a file whose summary lines we count.
const nodeTests = findTests('test/node');
if (nodeTests.length === 0) {
  part('node tests', 'skipped: no test/node/**/*.test.ts files', ZERO, false);
} else {
  rmSync(NODE_TAP, { force: true });
  const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout'];
  reporters.push('--test-reporter=tap', `--test-reporter-destination=${NODE_TAP}`);
  // A file that hangs (open handles) is cancelled after the timeout (per file on Node 20) instead of
  // blocking forever; --test-force-exit is avoided because it cuts off the TAP summary.
  const timeout = `--test-timeout=${process.env.NODE_TEST_TIMEOUT ?? 300_000}`;
  // One file at a time: the end-to-end files each drive several Chromium processes, and two cores
  // shared between them turn timing margins into flakes.
  const serial = '--test-concurrency=1';
  const code = await run('node', ['--import', 'tsx', '--test', serial, timeout, ...reporters, ...nodeTests]);
  const tap = existsSync(NODE_TAP) ? readFileSync(NODE_TAP, 'utf8') : '';
  const count = (key) => Number([...tap.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? NaN);
  const [pass, fail, cancelled] = [count('pass'), count('fail'), count('cancelled')];
  const skipped = (count('skipped') || 0) + (count('todo') || 0);
  record('node tests', { passed: pass, failed: fail + (cancelled || 0), skipped }, code);
}

// Browser tests: Web Test Runner; scripts/wtr-count-reporter.mjs writes the counts.
if (!haveChromium) {
  part('browser tests', `FAILED: not run, ${CHROMIUM} missing`, { ...ZERO, failed: 1 }, false);
} else if (findTests('test/browser').length === 0) {
  part('browser tests', 'skipped: no test/browser/**/*.test.ts files', ZERO, false);
} else {
  rmSync(BROWSER_JSON, { force: true });
  const code = await run('npx', ['web-test-runner']);
  let counts;
  try {
    counts = JSON.parse(readFileSync(BROWSER_JSON, 'utf8'));
  } catch {} // missing or unreadable: record() counts it as a failure
  record('browser tests', counts, code);
}

// Summary; the last line is the machine-readable one.
let passed = 0;
let failed = 0;
console.log('\n── summary ──');
for (const { name, note, counts: c, show } of parts) {
  passed += c.passed;
  failed += c.failed;
  const counts = show ? `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped` : '';
  console.log(`${name.padEnd(14)} ${[counts, note].filter(Boolean).join('  ')}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
