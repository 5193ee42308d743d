import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'shared/src/**/*.test.ts',
      'server/src/**/*.test.ts',
      'desktop/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    pool: 'forks',
    // A private D-Bus session bus with gnome-keyring-daemon for the keychain tests (Linux): they
    // run against a real Secret Service, never the keyring of whoever runs them.
    globalSetup: ['test/setup/secret-service.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
