import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

const reportDir = process.env.ENCLAVE_TEST_REPORT_DIR;

/**
 * Launch tests of the built Electron app (`npm run test:electron`, after `npm run build:desktop`).
 * Browser end-to-end tests of the renderer have their own configuration elsewhere.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  // One Electron at a time: each launch is a whole browser, and the machine has two cores.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  // `list` shows which tests were skipped; the second reporter prints why (no Electron binary…).
  reporter: [
    ['list'],
    ['./skip-reasons-reporter.ts'],
    ...(reportDir ? [['json', { outputFile: join(reportDir, 'electron.json') }] as const] : []),
  ],
  outputDir: '../../test-results/electron',
  use: { trace: 'retain-on-failure' },
});
