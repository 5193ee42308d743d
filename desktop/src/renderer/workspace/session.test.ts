import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, NEVER } from 'rxjs';
import { randomToken } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type { SyncDocument, SyncStatusEvent } from '@enclave/shared';
import { BridgeError, type BridgeClient } from '../bridge/client';
import { WorkspaceSession } from './session';
import { deviceSelf } from './test-fixtures';

const WORKSPACE_ID = '00000000-0000-4000-8000-00000000000b';

const self = deviceSelf(WORKSPACE_ID, [
  {
    key: 'client',
    label: 'Client',
    pluralLabel: 'Clients',
    titleField: 'name',
    fields: [
      { key: 'name', label: 'Name', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
    ],
  },
]);

const docs: SyncDocument[] = Array.from({ length: 5 }, (_, i) => ({
  id: `c${String(i)}`,
  type: 'client',
  data: { name: `Client ${String(i)}` },
  rev: 1,
  _deleted: false,
}));

/** Main as seen from the renderer: online with a server that has `docs`, or offline. */
function mainWith(online: boolean, calls: string[] = []): BridgeClient {
  const unreachable = () => new BridgeError('server_unreachable', 'The server could not be reached.');
  return {
    call: (async (channel: string, request: { checkpoint?: { seq: number } | null }) => {
      calls.push(channel);
      if (channel === 'sync:status') {
        return {
          status: online ? 'online' : 'offline',
          headSeq: online ? docs.length : null,
        } satisfies SyncStatusEvent;
      }
      // Main fills a fresh replica itself; here the replica needs none (see the filling test).
      if (channel === 'replica:fill') return { filled: false, documents: 0 };
      if (!online) throw unreachable();
      if (channel === 'device:self') return self;
      if (channel === 'sync:pull') {
        const since = request.checkpoint?.seq ?? 0;
        return { documents: docs.slice(since), checkpoint: { seq: docs.length } };
      }
      if (channel === 'sync:push') return { conflicts: [], rejected: [] };
      throw new Error(`unexpected ${channel}`);
    }) as BridgeClient['call'],
    onEvent: () => {
      const subscription = NEVER.subscribe();
      return () => subscription.unsubscribe();
    },
    replica: { post: () => undefined, onMessage: () => () => undefined },
  };
}

let session: WorkspaceSession | null = null;
afterEach(async () => {
  await session?.dispose();
  session = null;
});

describe('WorkspaceSession', () => {
  it('fills a new replica, keeps the schema, and opens from them offline next time', async () => {
    const storage = getRxStorageMemory();
    const replicaName = `replica-${randomToken(8).toLowerCase()}`;
    const options = { storage, replicaName, workspaceId: WORKSPACE_ID, retryTime: 50 };

    session = await WorkspaceSession.open({ ...options, client: mainWith(true) });
    expect(session.initialSyncDone$.value).toBe(false);
    await firstValueFrom(session.initialSyncDone$.pipe(filter(Boolean)));
    await firstValueFrom(session.self$.pipe(filter((value) => value !== null)));
    expect(session.progress$.value).toEqual({ received: 5, lastSeq: 5 });
    expect(await session.db.records.count().exec()).toBe(5);
    await session.dispose();

    // A restart without a connection: no initial sync to wait for, the schema from the cache.
    const calls: string[] = [];
    session = await WorkspaceSession.open({ ...options, client: mainWith(false, calls) });
    expect(session.initialSyncDone$.value).toBe(true);
    expect(session.self$.value?.schema.entityTypes.map((e) => e.key)).toEqual(['client']);
    expect(session.progress$.value.received).toBe(5);
    await firstValueFrom(session.selfError$.pipe(filter((e) => e !== null)));
    expect(session.selfError$.value?.code).toBe('server_unreachable');
    expect(session.self$.value).not.toBeNull();
    expect(calls).toContain('device:self');
    await firstValueFrom(session.indicator$.pipe(filter((i) => i === 'offline')));
  });

  it('waits in the filling phase while main fills the replica, and opens it only afterwards', async () => {
    const online = mainWith(true);
    const listeners = new Map<string, (payload: unknown) => void>();
    let finishFill: (outcome: unknown) => void = () => undefined;
    const client: BridgeClient = {
      ...online,
      call: ((channel: string, request: unknown) => {
        if (channel === 'replica:fill') {
          // Main says at once that a fill is under way, then answers when it is done.
          queueMicrotask(() => listeners.get('replica:fillProgress')?.({ received: 0, lastSeq: null }));
          return new Promise<unknown>((resolve) => (finishFill = resolve));
        }
        return (online.call as (c: string, r: unknown) => Promise<unknown>)(channel, request);
      }) as BridgeClient['call'],
      onEvent: ((channel: string, listener: (payload: unknown) => void) => {
        listeners.set(channel, listener);
        return () => listeners.delete(channel);
      }) as BridgeClient['onEvent'],
    };
    session = await WorkspaceSession.open({
      storage: getRxStorageMemory(),
      replicaName: `replica-${randomToken(8).toLowerCase()}`,
      workspaceId: WORKSPACE_ID,
      retryTime: 50,
      client,
    });
    expect(session.phase$.value).toBe('filling');
    expect(() => session?.db).toThrow(/not open/);
    listeners.get('replica:fillProgress')?.({ received: 3, lastSeq: 3 });
    expect(session.progress$.value).toEqual({ received: 3, lastSeq: 3 });

    finishFill({ filled: true, documents: 5 });
    await firstValueFrom(session.phase$.pipe(filter((phase) => phase === 'open')));
    await firstValueFrom(session.initialSyncDone$.pipe(filter(Boolean)));
    expect(await session.db.records.count().exec()).toBe(5);
  });

  it('ignores a cached device of another workspace', async () => {
    const storage = getRxStorageMemory();
    const replicaName = `replica-${randomToken(8).toLowerCase()}`;
    session = await WorkspaceSession.open({
      storage,
      replicaName,
      workspaceId: WORKSPACE_ID,
      client: mainWith(true),
    });
    await firstValueFrom(session.self$.pipe(filter((value) => value !== null)));
    await session.dispose();

    session = await WorkspaceSession.open({
      storage,
      replicaName,
      workspaceId: '00000000-0000-4000-8000-00000000000c',
      client: mainWith(false),
    });
    expect(session.self$.value).toBeNull();
  });
});
