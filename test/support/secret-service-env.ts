import {
  requireSecretServiceTools,
  startSecretService,
} from '../../desktop/src/main/keychain/test-support/secret-service';

/**
 * For Playwright's global setups: on Linux, a private Secret Service (its own D-Bus session bus
 * and gnome-keyring) whose address every test process — and every app process they start —
 * inherits. The keychain in these tests is real, and never the keyring of whoever runs them.
 * Returns the teardown.
 */
export async function providePrivateSecretService(): Promise<() => Promise<void>> {
  if (process.platform !== 'linux') return async () => undefined;
  requireSecretServiceTools();
  const service = await startSecretService();
  const previous = process.env.DBUS_SESSION_BUS_ADDRESS;
  process.env.DBUS_SESSION_BUS_ADDRESS = service.busAddress;
  return async () => {
    if (previous === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = previous;
    await service.stop();
  };
}
