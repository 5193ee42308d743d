import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { addRxPlugin, type RxCollection, type WithDeleted } from 'rxdb';
import { RxDBAttachmentsPlugin } from 'rxdb/plugins/attachments';
import { disableWarnings, RxDBDevModePlugin } from 'rxdb/plugins/dev-mode';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { getConfig, runReplicationBaseTestSuite, setConfig } from 'rxdb/plugins/test-utils';
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
 * records of a `human` entity type. RxDB's test ids hold any character (umlauts, brackets,
 * emojis) and record ids may not (`RecordId`: 1-64 of A-Z a-z 0-9 _ -), so the id travels
 * base64url-encoded: 12 UTF-16 units are at most 36 bytes of UTF-8, 48 characters encoded.
 *
 * The suite's attachment tests run only for plugins that replicate attachments
 * (`syncOnceWithAttachments`); records have none, so those do not apply. Its test that
 * attachments stay local when their replication is off does, and runs.
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
    // RxDB's human has an integer age in 0..150; a number field takes any number.
    { key: 'age', label: 'Age', type: 'number' },
  ],
};

// The suite is written for mocha's globals, and runs in RxDB's dev-mode (its collections use
// `ignoreDuplicate`, which only dev-mode allows), which wants a schema validator on the storage.
Object.assign(globalThis, { describe, it });
disableWarnings();
addRxPlugin(RxDBDevModePlugin);
// For the test that attachments stay local: its documents carry one.
addRxPlugin(RxDBAttachmentsPlugin);
const storage = () => wrappedValidateAjvStorage({ storage: getRxStorageMemory() });
setConfig({
  storage: {
    name: 'memory',
    getStorage: storage,
    getPerformanceStorage: () => ({ storage: storage(), description: 'memory' }),
    hasPersistence: false,
    hasMultiInstance: false,
    hasAttachments: true,
    hasReplication: true,
  },
});
// The first getConfig() replaces console.log and console.dir with RxDB's debugging versions and
// logs a line with them: let that happen now, silently, and put the originals back.
{
  const { log, dir } = console;
  console.log = () => undefined;
  getConfig();
  Object.assign(console, { log, dir });
}

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

  async function syncOnce(collection: RxCollection<Human>): Promise<void> {
    const { state, client } = replicate(collection, false);
    await state.awaitInitialReplication();
    await state.cancel();
    await client.stop();
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
    syncOnce,
    // The sync protocol has no attachments: they stay on the device that made them.
    syncOnceWithAttachmentsDisabled: syncOnce,
    getAllServerDocs: serverDocs,
    cleanUpServer,
    softDeletes: true,
    isDeleted: (doc: WithDeleted<Human>) => doc._deleted,
    getPrimaryOfServerDoc: (doc: WithDeleted<Human>) => doc.passportId,
  });
});
