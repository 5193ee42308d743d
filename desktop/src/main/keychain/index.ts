/**
 * The device's secrets in the OS keychain (keytar: Keychain on macOS, Credential Manager on
 * Windows, Secret Service on Linux). Plain Node with no Electron import; keytar itself is loaded
 * on first use.
 */
export { DeviceKeychain, KEYCHAIN_ACCOUNTS, REPLICA_KEY_BYTES, type KeychainRead } from './device-keychain';
export { KeychainUnavailableError, type KeychainProblem } from './keychain-error';
export {
  DEFAULT_SERVICE,
  keytarSecretStore,
  MAX_SECRET_BYTES,
  MemorySecretStore,
  type SecretStore,
} from './secret-store';
