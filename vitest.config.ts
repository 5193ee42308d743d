import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// CI asks for a JSON report beside the usual output (.ci/run sums every suite's report).
const reportDir = process.env.ENCLAVE_TEST_REPORT_DIR;

export default defineConfig({
  test: {
    include: [
      'shared/src/**/*.test.ts',
      'ui/src/**/*.test.ts',
      'server/src/**/*.test.ts',
      'server/console/src/**/*.test.ts',
      'desktop/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    pool: 'forks',
    reporters: reportDir
      ? ['default', ['json', { outputFile: join(reportDir, 'vitest.json') }]]
      : ['default'],
    // A private D-Bus session bus with gnome-keyring-daemon for the keychain tests (Linux): they
    // run against a real Secret Service, never the keyring of whoever runs them.
    globalSetup: ['test/setup/secret-service.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
