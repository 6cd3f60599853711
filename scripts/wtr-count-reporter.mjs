// Web Test Runner reporter that writes {passed, failed, skipped} (individual mocha tests) to a JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Adds up the tests of a mocha suite result tree. */
function countSuite(suite, counts) {
  for (const test of suite?.tests ?? []) {
    if (test.skipped) counts.skipped++;
    else if (test.passed) counts.passed++;
    else counts.failed++;
  }
  for (const child of suite?.suites ?? []) countSuite(child, counts);
}

export function countReporter({ outFile = 'test-results/browser.json' } = {}) {
  const file = resolve(outFile);
  return {
    onTestRunFinished({ sessions }) {
      const total = { passed: 0, failed: 0, skipped: 0 };
      for (const session of sessions) {
        const counts = { passed: 0, failed: 0, skipped: 0 };
        countSuite(session.testResults, counts);
        // A session that failed without a failing test (file did not load, uncaught error,
        // failing hook, timeout, browser crash) still counts as one failure.
        const sessionFailed = session.passed === false || (session.errors?.length ?? 0) > 0;
        if (sessionFailed && counts.failed === 0) counts.failed = 1;
        total.passed += counts.passed;
        total.failed += counts.failed;
        total.skipped += counts.skipped;
      }
      if (sessions.length === 0) total.failed = 1;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(total) + '\n');
    },
  };
}
