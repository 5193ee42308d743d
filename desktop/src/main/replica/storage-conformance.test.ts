import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { describeRxStorageConformance } from './storage.conformance';
import { getRxStorageSqlcipher } from './sqlcipher-storage';
import { tempReplica } from './test-support';

describeRxStorageConformance(
  'SQLCipher replica storage',
  () => {
    const replica = tempReplica();
    const storage = getRxStorageSqlcipher({ filePath: replica.filePath, key: replica.key });
    return {
      storage,
      dispose: async () => {
        await storage.closeAll();
        replica.dispose();
      },
    };
  },
  { reference: () => getRxStorageMemory(), refusesCallsAfterClose: true },
);

// The reference itself: every test of the suite must hold for RxDB's own memory storage.
describeRxStorageConformance(
  'RxDB memory storage',
  () => ({ storage: getRxStorageMemory(), dispose: async () => undefined }),
  { reference: () => getRxStorageMemory(), propertyRuns: 5, refusesCallsAfterClose: false },
);
