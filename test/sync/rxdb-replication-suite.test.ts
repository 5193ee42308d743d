import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { addRxPlugin, type RxCollection, type WithDeleted } from 'rxdb';
import { RxDBDevModePlugin } from 'rxdb/plugins/dev-mode';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { runReplicationBaseTestSuite, setConfig } from 'rxdb/plugins/test-utils';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import type { SyncCheckpoint, SyncDocument } from '@enclave/shared';
import { pairDevice, SyncClient, syncReplicationOptions, type DeviceCredential } from '../../desktop/src';
import { createPairing } from '../../server/src/test-support/test-devices';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import type { TestClient } from '../../server/src/test-support/test-client';

/**
 * RxDB's own replication test suite (the one its replication plugins must pass), run against a
 * real Enclave server through the desktop sync client. The suite's `human` documents become
 * records of a `human` entity type; RxDB ids may hold any character, record ids may not, so the
 * id travels base64url-encoded.
 */

interface Human {
  passportId: string;
  firstName: string;
  lastName: string;
  age?: number;
}

const encodeId = (passportId: string) => Buffer.from(passportId, 'utf8').toString('base64url');
const decodeId = (id: string) => Buffer.from(id, 'base64url').toString('utf8');

function toWire(doc: WithDeleted<Human>): SyncDocument {
  const data: Record<string, unknown> = { first_name: doc.firstName, last_name: doc.lastName };
  if (doc.age !== undefined) data.age = doc.age;
  return { id: encodeId(doc.passportId), type: 'human', data, _deleted: doc._deleted };
}

function fromWire(doc: SyncDocument): WithDeleted<Human> {
  const human: WithDeleted<Human> = {
    passportId: decodeId(doc.id),
    firstName: String(doc.data.first_name),
    lastName: String(doc.data.last_name),
    _deleted: doc._deleted,
  };
  if (typeof doc.data.age === 'number') human.age = doc.data.age;
  return human;
}

const humanType = {
  key: 'human',
  label: 'Human',
  pluralLabel: 'Humans',
  titleField: 'first_name',
  fields: [
    { key: 'first_name', label: 'First name', type: 'text', required: true },
    { key: 'last_name', label: 'Last name', type: 'text', required: true },
    { key: 'age', label: 'Age', type: 'number' },
  ],
};

// The suite is written for mocha's globals, and runs in RxDB's dev-mode (its collections use
// options only dev-mode allows), which wants a schema validator on the storage.
Object.assign(globalThis, { describe, it });
addRxPlugin(RxDBDevModePlugin);
const storage = () => wrappedValidateAjvStorage({ storage: getRxStorageMemory() });
setConfig({
  storage: {
    name: 'memory',
    getStorage: storage,
    getPerformanceStorage: () => ({ storage: storage(), description: 'memory' }),
    hasPersistence: false,
    hasMultiInstance: false,
    hasAttachments: false,
    hasReplication: true,
  },
});

describe('RxDB replication base test suite, against the real server', () => {
  let t: TestServer;
  let owner: TestClient;
  let workspaceId = '';
  let credential: DeviceCredential | null = null;
  const running: { state: RxReplicationState<Human, SyncCheckpoint>; client: SyncClient }[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    owner = await createUser(t);
  });

  afterEach(async () => {
    for (const { state, client } of running.splice(0)) {
      await state.cancel();
      await client.stop();
    }
  });

  afterAll(async () => {
    await t.close();
  });

  /** A fresh workspace with the `human` type and a newly paired device: the suite's "clean server". */
  async function cleanUpServer(): Promise<void> {
    workspaceId = await createWorkspace(owner, 'Replication suite', 'empty');
    const put = await owner.put(`/api/v1/workspaces/${workspaceId}/schema/entity-types/human`, humanType);
    if (put.status !== 200) throw new Error(`entity type: ${String(put.status)} ${put.text}`);
    const { code } = await createPairing(owner, workspaceId);
    credential = await pairDevice({
      serverUrl: t.url,
      code,
      name: 'Suite device',
      platform: 'linux',
      appVersion: '0.1.0',
    });
  }

  function replicate(collection: RxCollection<Human>, live: boolean) {
    if (!credential) throw new Error('no device paired');
    const client = new SyncClient({ credential, backoff: { baseMs: 20, maxMs: 200 } });
    client.start();
    const state = replicateRxCollection<Human, SyncCheckpoint>({
      collection,
      // One identifier per collection, so successive one-off syncs continue where the last stopped.
      replicationIdentifier: `enclave-${workspaceId}`,
      live,
      retryTime: 100,
      ...syncReplicationOptions<Human>(client, { toWire, fromWire }),
    });
    running.push({ state, client });
    return { state, client };
  }

  async function serverDocs(): Promise<WithDeleted<Human>[]> {
    const ws = await t.server.deps.store.workspace(workspaceId);
    if (!ws) throw new Error('workspace gone');
    const records = await ws.recordsChangedSince(0, 100_000);
    return records.map((r) =>
      fromWire({ id: r.id, type: r.type, data: r.data, _deleted: r.deletedAt !== null }),
    );
  }

  runReplicationBaseTestSuite({
    startReplication: (collection: RxCollection<Human>) => replicate(collection, true).state,
    syncOnce: async (collection: RxCollection<Human>) => {
      const { state, client } = replicate(collection, false);
      await state.awaitInitialReplication();
      await state.cancel();
      await client.stop();
    },
    getAllServerDocs: serverDocs,
    cleanUpServer,
    softDeletes: true,
    isDeleted: (doc: WithDeleted<Human>) => doc._deleted,
    getPrimaryOfServerDoc: (doc: WithDeleted<Human>) => doc.passportId,
  });
});
