import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import {
  requireSecretServiceTools,
  startSecretService,
} from '../../desktop/src/main/keychain/test-support/secret-service';

/**
 * Builds the renderer as the app ships it, and on Linux starts a private Secret Service (its own
 * D-Bus session bus and gnome-keyring) that the app's core processes inherit through the
 * environment: the keychain in these tests is real, and never the keyring of whoever runs them.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  await build({
    configFile: fileURLToPath(new URL('../../desktop/vite.config.ts', import.meta.url)),
    logLevel: 'warn',
  });
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
