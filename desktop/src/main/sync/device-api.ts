import {
  AiAnswer,
  AuditPage,
  DeviceSelf,
  ProposalDecided,
  ProposalPage,
  type AiOperation,
  type AiRequestBody,
  type DeviceActivityQuery,
  type ProposalQuery,
  type RejectProposalBody,
} from '@enclave/shared';
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

/** Asks the AI for the device's owner, with the owner's rights. */
export function requestAi(
  credential: DeviceCredential,
  body: AiRequestBody,
  options: Options = {},
): Promise<AiAnswer> {
  return requestJson(
    {
      method: 'POST',
      serverUrl: credential.serverUrl,
      path: '/api/v1/device/ai/requests',
      body,
      token: credential.accessToken,
      ...options,
    },
    AiAnswer,
  );
}

/** The AI proposals the device's owner may decide, newest first. */
export function fetchProposals(
  credential: DeviceCredential,
  query: Partial<ProposalQuery>,
  options: Options = {},
): Promise<ProposalPage> {
  const params: Record<string, string> = {};
  if (query.status !== undefined) params.status = query.status;
  if (query.before !== undefined) params.before = query.before;
  if (query.limit !== undefined) params.limit = String(query.limit);
  return requestJson(
    {
      method: 'GET',
      serverUrl: credential.serverUrl,
      path: '/api/v1/device/ai/proposals',
      query: params,
      token: credential.accessToken,
      ...options,
    },
    ProposalPage,
  );
}

/** Approves a proposal, as it is or edited; it runs as this device for its owner. */
export function approveProposal(
  credential: DeviceCredential,
  proposalId: string,
  operation: AiOperation | undefined,
  options: Options = {},
): Promise<ProposalDecided> {
  return requestJson(
    {
      method: 'POST',
      serverUrl: credential.serverUrl,
      path: `/api/v1/device/ai/proposals/${encodeURIComponent(proposalId)}/approve`,
      body: operation === undefined ? {} : { operation },
      token: credential.accessToken,
      ...options,
    },
    ProposalDecided,
  );
}

/** Rejects a proposal with a reason, optionally adding a constitution rule. */
export function rejectProposal(
  credential: DeviceCredential,
  proposalId: string,
  body: RejectProposalBody,
  options: Options = {},
): Promise<ProposalDecided> {
  return requestJson(
    {
      method: 'POST',
      serverUrl: credential.serverUrl,
      path: `/api/v1/device/ai/proposals/${encodeURIComponent(proposalId)}/reject`,
      body,
      token: credential.accessToken,
      ...options,
    },
    ProposalDecided,
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
