import { decodeJwt } from 'jose';
import { AccessToken, Challenge, DeviceRevokedDetails, renewalProofMessage } from '@enclave/shared';
import type { DeviceCredential } from './credential';
import { signMessage } from './device-keys';
import type { SyncError } from './errors';
import { requestJson, type FetchImpl } from './http';

/**
 * Gets a new access token by proving possession of the device key: a single-use challenge,
 * signed. Throws a `SyncError`; `device_revoked` (see `revocationOf`) means for good.
 */
export async function renewAccessToken(
  credential: DeviceCredential,
  options: { fetch?: FetchImpl; signal?: AbortSignal } = {},
): Promise<AccessToken> {
  const { serverUrl, workspaceId, deviceId } = credential;
  const { challenge } = await requestJson(
    {
      method: 'POST',
      serverUrl,
      path: '/api/v1/devices/challenge',
      body: { workspaceId, deviceId },
      ...options,
    },
    Challenge,
  );
  return requestJson(
    {
      method: 'POST',
      serverUrl,
      path: '/api/v1/devices/token',
      body: {
        workspaceId,
        deviceId,
        challenge,
        signature: signMessage(credential.privateKey, renewalProofMessage(deviceId, challenge)),
      },
      ...options,
    },
    AccessToken,
  );
}

/** `{ wipe }` if the error says the device was revoked; a missing `wipe` is read as false. */
export function revocationOf(error: SyncError): DeviceRevokedDetails | null {
  if (error.code !== 'device_revoked') return null;
  const details = DeviceRevokedDetails.safeParse(error.details);
  return { wipe: details.success && details.data.wipe };
}

const RENEW_AT_FRACTION = 0.75;
const RENEW_MARGIN_MS = 2 * 60_000;

/**
 * When to renew a token, in ms since the epoch: by default once 75% of its lifetime has passed
 * or 2 minutes before expiry, whichever comes first, but never in its first half (a token shorter
 * than the margin would otherwise be due before it was issued). `renewBeforeMs` overrides the rule.
 */
export function renewalDueAt(token: string, expiresAt: string, renewBeforeMs?: number): number {
  const expiresAtMs = Date.parse(expiresAt);
  if (renewBeforeMs !== undefined) return expiresAtMs - renewBeforeMs;
  const issuedAtMs = issuedAtOf(token);
  if (issuedAtMs === null || issuedAtMs >= expiresAtMs) return expiresAtMs - RENEW_MARGIN_MS;
  const lifetime = expiresAtMs - issuedAtMs;
  const due = Math.min(issuedAtMs + lifetime * RENEW_AT_FRACTION, expiresAtMs - RENEW_MARGIN_MS);
  return Math.max(due, issuedAtMs + lifetime / 2);
}

function issuedAtOf(token: string): number | null {
  try {
    const { iat } = decodeJwt(token);
    return typeof iat === 'number' ? iat * 1000 : null;
  } catch {
    return null;
  }
}
