// Browser tests: test/browser/**/*.test.ts in headless Debian Chromium (no Playwright browser download).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultReporter } from '@web/test-runner';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { countReporter } from './scripts/wtr-count-reporter.mjs';

const chromium = JSON.parse(readFileSync(new URL('./scripts/chromium.json', import.meta.url), 'utf8'));

export default {
  files: ['test/browser/**/*.test.ts'],
  // Resolve bare imports (lit, idb, @noble/*) from node_modules.
  nodeResolve: true,
  // 2-core machine: two pages at a time keeps the Node server and Chromium responsive.
  concurrency: Number(process.env.WTR_CONCURRENCY ?? 2),
  concurrentBrowsers: 1,
  browserStartTimeout: 60_000,
  testsStartTimeout: 60_000,
  testsFinishTimeout: 300_000,
  testFramework: { config: { timeout: 20_000 } },
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? chromium.path, args: chromium.args },
    }),
  ],
  plugins: [
    // Serves .ts files (including explicit `./foo.ts` imports) as JS; the tsconfig supplies
    // experimentalDecorators / useDefineForClassFields so lit decorators compile as in tsc.
    esbuildPlugin({
      ts: true,
      target: 'es2022',
      tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)),
    }),
  ],
  reporters: [defaultReporter(), countReporter({ outFile: 'test-results/browser.json' })],
};
