import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { measureStorage, type Figures } from './replica-workload';

/**
 * The replica benchmark's page, bundled and run in Chromium: RxDB's Dexie storage on the browser's
 * own IndexedDB, the storage an Electron app's renderer would otherwise use.
 */
const storage = getRxStorageDexie();
(globalThis as unknown as { benchDexie: (docs: number) => Promise<Figures> }).benchDexie = (docs) =>
  measureStorage(storage, docs);
