import { DeviceSelf } from '@enclave/shared';
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
