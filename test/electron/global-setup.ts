import { providePrivateSecretService } from '../support/secret-service-env';

/** The launched app keeps its secrets in a real keychain: a private Secret Service on Linux. */
export default function globalSetup(): Promise<() => Promise<void>> {
  return providePrivateSecretService();
}
