import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

/**
 * Browser end-to-end tests: the desktop app (its built renderer in Debian's Chromium, the app's
 * real main core in a Node process, see harness/) and the web console (console/, the built console
 * served by a real server), with a real server and a real keychain. Playwright
 * cannot download browsers here; CHROMIUM_PATH may point at another Chromium.
 */
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  throw new Error(
    `Chromium not found at ${chromium}: install it (apt-get install chromium) or set CHROMIUM_PATH`,
  );
}
const reportDir = process.env.ENCLAVE_TEST_REPORT_DIR;

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  globalSetup: './global-setup.ts',
  // One app, one keychain daemon, two cores: tests run one after another.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  outputDir: '../../test-results/e2e',
  reporter: reportDir ? [['list'], ['json', { outputFile: join(reportDir, 'e2e.json') }]] : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      // As root Chromium needs --no-sandbox; the rest keeps it from calling home on a closed network.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
