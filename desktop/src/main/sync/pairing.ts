import {
  DevicePaired,
  issuesOf,
  normalisePairingCode,
  pairingProofMessage,
  RedeemPairingBody,
  type DevicePlatform,
} from '@enclave/shared';
import type { DeviceCredential } from './credential';
import { generateDeviceKeys, signMessage } from './device-keys';
import { SyncError } from './errors';
import { requestJson, type FetchImpl } from './http';

export interface PairDeviceOptions {
  serverUrl: string;
  /** As typed or pasted: case, spaces and dashes do not matter. */
  code: string;
  name: string;
  platform: DevicePlatform;
  appVersion: string;
  fetch?: FetchImpl;
  signal?: AbortSignal;
}

/**
 * Redeems a pairing code with a fresh device key. Throws a `SyncError` with the server's code:
 * `invalid_credentials` (wrong code), `gone` (expired, used or cancelled), `rate_limited`,
 * `validation_failed`; or `network` when the server cannot be reached.
 */
export async function pairDevice(options: PairDeviceOptions): Promise<DeviceCredential> {
  const keys = generateDeviceKeys();
  const code = normalisePairingCode(options.code);
  const body: RedeemPairingBody = {
    code,
    publicKey: keys.publicKey,
    proof: signMessage(keys.privateKey, pairingProofMessage(code)),
    name: options.name,
    platform: options.platform,
    appVersion: options.appVersion,
  };
  // Checked here too, so a mistyped code is reported without spending one of the server's attempts.
  const checked = RedeemPairingBody.safeParse(body);
  if (!checked.success) {
    throw new SyncError('validation_failed', 'The pairing request is not valid', {
      details: issuesOf(checked.error),
    });
  }
  const paired = await requestJson(
    {
      method: 'POST',
      serverUrl: options.serverUrl,
      path: '/api/v1/devices/pair',
      body,
      fetch: options.fetch,
      signal: options.signal,
    },
    DevicePaired,
  );
  return {
    serverUrl: options.serverUrl,
    workspaceId: paired.workspace.id,
    workspaceName: paired.workspace.name,
    deviceId: paired.device.id,
    privateKey: keys.privateKey,
    accessToken: paired.accessToken,
    accessTokenExpiresAt: paired.expiresAt,
  };
}
