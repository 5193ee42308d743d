import { randomBytes, randomUUID } from 'node:crypto';
import keytar from 'keytar';
import { expect, inject } from 'vitest';
import type { DeviceCredential } from '../../sync/credential';
import { generateDeviceKeys } from '../../sync/device-keys';

/** A keychain service name of its own for each test, so that runs and tests never see each other's entries. */
export function uniqueService(): string {
  return `Enclave-test-${randomUUID()}`;
}

/** A credential shaped like a real one, with a fresh device key and a random token. */
export function testCredential(): DeviceCredential {
  return {
    serverUrl: 'https://enclave.example.test',
    workspaceId: randomUUID(),
    workspaceName: 'Clients — Zürich',
    deviceId: randomUUID(),
    privateKey: generateDeviceKeys().privateKey,
    accessToken: `eyJ.${randomBytes(48).toString('base64url')}`,
    accessTokenExpiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
  };
}

/**
 * The strings that must never show in an error, a log or a file: the token, and the key's
 * base64 body (a PEM in JSON has its line breaks escaped, so the whole PEM would not match).
 */
export function secretsOf(credential: DeviceCredential): string[] {
  const body = credential.privateKey
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('-----'));
  return [credential.accessToken, ...body];
}

/**
 * Fails unless this worker's keytar talks to the private Secret Service of the global setup: a
 * keychain test must never write to the keyring of whoever runs it.
 */
export function expectPrivateSecretService(): { busAddress: string; dataDir: string } {
  const service = inject('secretService');
  expect(service, 'the global setup (test/setup/secret-service.ts) started no Secret Service').not.toBeNull();
  expect(process.env.DBUS_SESSION_BUS_ADDRESS).toBe(service?.busAddress);
  return service ?? { busAddress: '', dataDir: '' };
}

/** Deletes whatever a test left under `service`, through keytar itself. */
export async function deleteService(service: string): Promise<void> {
  for (const { account } of await keytar.findCredentials(service))
    await keytar.deletePassword(service, account);
}
