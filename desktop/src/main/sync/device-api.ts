import { AuditPage, DeviceSelf, type DeviceActivityQuery } from '@enclave/shared';
import type { DeviceCredential } from './credential';
import { requestJson, requestNoContent, type FetchImpl } from './http';

interface Options {
  fetch?: FetchImpl;
  signal?: AbortSignal;
}

/** What the server knows of this device and its workspace, including the workspace schema. */
export function fetchDeviceSelf(credential: DeviceCredential, options: Options = {}): Promise<DeviceSelf> {
  return requestJson(
    {
      method: 'GET',
      serverUrl: credential.serverUrl,
      path: '/api/v1/device',
      token: credential.accessToken,
      ...options,
    },
    DeviceSelf,
  );
}

/** Recent audit events the device's owner may see, newest first. */
export function fetchDeviceActivity(
  credential: DeviceCredential,
  query: Partial<DeviceActivityQuery>,
  options: Options = {},
): Promise<AuditPage> {
  const params: Record<string, string> = {};
  if (query.limit !== undefined) params.limit = String(query.limit);
  if (query.before !== undefined) params.before = String(query.before);
  return requestJson(
    {
      method: 'GET',
      serverUrl: credential.serverUrl,
      path: '/api/v1/device/activity',
      query: params,
      token: credential.accessToken,
      ...options,
    },
    AuditPage,
  );
}

/** The device revokes itself; its token stops working at once. */
export function unpairDevice(credential: DeviceCredential, options: Options = {}): Promise<void> {
  return requestNoContent({
    method: 'POST',
    serverUrl: credential.serverUrl,
    path: '/api/v1/device/unpair',
    token: credential.accessToken,
    ...options,
  });
}
