export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
export { MemoryCredentialStore, type CredentialStore, type DeviceCredential } from './credential';
export { fetchDeviceActivity, fetchDeviceSelf, unpairDevice } from './device-api';
export { generateDeviceKeys, publicKeyOf, signMessage, type DeviceKeyPair } from './device-keys';
export { SyncError, type SyncErrorInit } from './errors';
export type { FetchImpl } from './http';
export { pairDevice, type PairDeviceOptions } from './pairing';
export {
  DEFAULT_PULL_BATCH_SIZE,
  syncDocumentOf,
  syncRecordsSchema,
  syncReplicationOptions,
  type SyncReplication,
  type SyncReplicationSettings,
  type SyncRxDocType,
  type SyncTransport,
  type WireMapping,
} from '../../common/sync/replication-handlers';
export {
  SyncClient,
  type PullResult,
  type PushResult,
  type SyncClientOptions,
  type SyncStatus,
  type SyncStreamItem,
} from './sync-client';
export { renewAccessToken, renewalDueAt, revocationOf } from './token-renewal';
