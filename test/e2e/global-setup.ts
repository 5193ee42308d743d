import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { providePrivateSecretService } from '../support/secret-service-env';

/** Builds the renderer as the app ships it, and provides a private Secret Service (Linux). */
export default async function globalSetup(): Promise<() => Promise<void>> {
  await build({
    configFile: fileURLToPath(new URL('../../desktop/vite.config.ts', import.meta.url)),
    logLevel: 'warn',
  });
  return providePrivateSecretService();
}
