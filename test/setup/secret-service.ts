import type { TestProject } from 'vitest/node';
import {
  requireSecretServiceTools,
  startSecretService,
} from '../../desktop/src/main/keychain/test-support/secret-service';

/**
 * Vitest global setup: on Linux, a private Secret Service (its own D-Bus session bus and
 * gnome-keyring-daemon, unlocked with a throwaway password, in a temporary HOME) for the keychain
 * tests, so that they run against the real thing from a clean clone and never against the keyring
 * of whoever runs them. A machine without the tools fails here, naming the Debian packages:
 * skipping would pass a run that tested nothing.
 *
 * Test workers are forked after global setup and inherit `process.env`, so keytar in every worker
 * finds this bus through DBUS_SESSION_BUS_ADDRESS. The address is also provided (`inject`), so a
 * keychain test can check that it really talks to this bus before it writes anything.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.platform !== 'linux') {
    // Keychain and Credential Manager need no daemon, and their tests would use the user's own.
    project.provide('secretService', null);
    return async () => undefined;
  }
  requireSecretServiceTools();
  const service = await startSecretService();
  const previous = process.env.DBUS_SESSION_BUS_ADDRESS;
  process.env.DBUS_SESSION_BUS_ADDRESS = service.busAddress;
  project.provide('secretService', { busAddress: service.busAddress, dataDir: service.dataDir });
  return async () => {
    if (previous === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = previous;
    await service.stop();
  };
}
