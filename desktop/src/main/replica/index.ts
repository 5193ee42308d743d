export { getRxStorageSqlcipher } from './sqlcipher-storage';
export { deleteReplicaFiles, probeReplica } from './replica-file';
export { createReplica } from './create-replica';
export { SqlcipherStorageInstance } from './sqlcipher-instance';
export type { QueryExplanation, QueryStrategy } from './query-runner';
export type {
  SqlcipherInstanceOptions,
  SqlcipherInternals,
  SqlcipherRxStorage,
  SqlcipherStorageOptions,
} from './types';
export { ReplicaFill, type FillState, type FillTarget } from './replica-fill';
