import { describe, expect, it } from 'vitest';
import { firstValueFrom, take, toArray } from 'rxjs';
import type { IpcEvent, IpcEventChannel } from '@enclave/shared';
import type { BridgeClient } from '../bridge/client';
import { BridgeError } from '../bridge/client';
import { afterPull, initialSyncPercent, NO_PROGRESS } from './initial-sync';
import { syncIndicatorOf } from './sync-indicator';
import { isOfflineError } from './session';
import { bridgeTransport } from './sync-transport';

describe('initialSyncPercent', () => {
  it('measures the checkpoint against the head and stays below 100 until done', () => {
    expect(initialSyncPercent(null, 1000, false)).toBe(0);
    expect(initialSyncPercent(250, 1000, false)).toBe(25);
    expect(initialSyncPercent(999, 1000, false)).toBe(99);
    expect(initialSyncPercent(1000, 1000, false)).toBe(99);
    expect(initialSyncPercent(1500, 1000, false)).toBe(99);
    expect(initialSyncPercent(1000, 1000, true)).toBe(100);
  });

  it('is unknown without a head (not greeted yet, or an empty workspace)', () => {
    expect(initialSyncPercent(10, null, false)).toBeNull();
    expect(initialSyncPercent(null, 0, false)).toBeNull();
    expect(initialSyncPercent(null, null, true)).toBe(100);
  });
});

describe('afterPull', () => {
  it('counts documents and follows the checkpoint, also across empty pages', () => {
    const doc = { id: 'a', type: 'client', data: {}, _deleted: false };
    let progress = afterPull(NO_PROGRESS, { documents: [doc, { ...doc, id: 'b' }], checkpoint: { seq: 5 } });
    expect(progress).toEqual({ received: 2, lastSeq: 5 });
    progress = afterPull(progress, { documents: [], checkpoint: { seq: 9 } });
    expect(progress).toEqual({ received: 2, lastSeq: 9 });
    progress = afterPull(progress, { documents: [], checkpoint: null });
    expect(progress).toEqual({ received: 2, lastSeq: 9 });
  });
});

describe('syncIndicatorOf', () => {
  it('puts the connection first: offline is never an error', () => {
    expect(syncIndicatorOf({ status: 'offline', active: true, failing: true })).toBe('offline');
    expect(syncIndicatorOf({ status: 'stopped', active: false, failing: false })).toBe('offline');
    expect(syncIndicatorOf({ status: 'connecting', active: false, failing: true })).toBe('connecting');
    expect(syncIndicatorOf({ status: null, active: false, failing: false })).toBe('connecting');
    expect(syncIndicatorOf({ status: 'update_required', active: false, failing: true })).toBe(
      'update_required',
    );
  });

  it('shows syncing, error or online when connected', () => {
    expect(syncIndicatorOf({ status: 'online', active: true, failing: false })).toBe('syncing');
    expect(syncIndicatorOf({ status: 'online', active: true, failing: true })).toBe('error');
    expect(syncIndicatorOf({ status: 'online', active: false, failing: false })).toBe('online');
    expect(syncIndicatorOf({ status: 'revoked', active: false, failing: false })).toBe('error');
  });
});

describe('isOfflineError', () => {
  it('recognises a replication error caused only by an unreachable server', () => {
    const offline = {
      code: 'RC_PUSH',
      parameters: { errors: [{ name: 'BridgeError', code: 'server_unreachable' }] },
    };
    expect(isOfflineError(offline)).toBe(true);
    const other = {
      code: 'RC_PUSH',
      parameters: { errors: [{ code: 'server_unreachable' }, { code: 'internal' }] },
    };
    expect(isOfflineError(other)).toBe(false);
    expect(isOfflineError({ code: 'RC_PULL', parameters: { errors: [] } })).toBe(false);
    expect(isOfflineError(new Error('boom'))).toBe(false);
    expect(isOfflineError(null)).toBe(false);
  });
});

describe('bridgeTransport', () => {
  function fakeClient(answer: (channel: string, request: unknown) => unknown) {
    const listeners = new Map<string, Set<(payload: unknown) => void>>();
    const client = {
      call: async (channel: string, request: unknown) => answer(channel, request),
      onEvent: (event: IpcEventChannel, listener: (payload: unknown) => void) => {
        const set = listeners.get(event) ?? new Set();
        set.add(listener);
        listeners.set(event, set);
        return () => set.delete(listener);
      },
      replica: { post: () => undefined, onMessage: () => () => undefined },
    } as unknown as BridgeClient;
    const emit = <E extends IpcEventChannel>(event: E, payload: IpcEvent<E>) =>
      listeners.get(event)?.forEach((l) => l(payload));
    return { client, listeners, emit };
  }

  it('pulls and pushes through the bridge and reports each answer', async () => {
    const calls: [string, unknown][] = [];
    const { client } = fakeClient((channel, request) => {
      calls.push([channel, request]);
      return channel === 'sync:pull'
        ? { documents: [], checkpoint: { seq: 3 } }
        : { conflicts: [], rejected: [{ id: 'a', error: { code: 'forbidden', message: 'no' } }] };
    });
    const seen: string[] = [];
    const transport = bridgeTransport(client, {
      pulled: (r) => seen.push(`pulled ${String(r.checkpoint?.seq)}`),
      pushed: (r) => seen.push(`pushed ${String(r.rejected.length)}`),
      succeeded: () => seen.push('ok'),
    });
    await transport.pull({ seq: 1 }, 50);
    const row = { newDocumentState: { id: 'a', type: 'client', data: {}, _deleted: false } };
    await transport.push([row]);
    expect(calls).toEqual([
      ['sync:pull', { checkpoint: { seq: 1 }, batchSize: 50 }],
      ['sync:push', { rows: [row] }],
    ]);
    expect(seen).toEqual(['pulled 3', 'ok', 'pushed 1', 'ok']);
  });

  it('reports a failure and rethrows it as a BridgeError', async () => {
    const { client } = fakeClient(() => {
      throw new BridgeError('server_unreachable', 'offline');
    });
    const failures: string[] = [];
    const transport = bridgeTransport(client, { failed: (e) => failures.push(e.code) });
    await expect(transport.pull(null, 10)).rejects.toMatchObject({ code: 'server_unreachable' });
    expect(failures).toEqual(['server_unreachable']);
  });

  it('streams sync:stream events and stops listening when unsubscribed', async () => {
    const { client, listeners, emit } = fakeClient(() => null);
    const transport = bridgeTransport(client);
    const items = firstValueFrom(transport.stream$.pipe(take(2), toArray()));
    emit('sync:stream', 'RESYNC');
    emit('sync:stream', { documents: [], checkpoint: { seq: 4 } });
    await expect(items).resolves.toEqual(['RESYNC', { documents: [], checkpoint: { seq: 4 } }]);
    expect(listeners.get('sync:stream')?.size).toBe(0);
  });
});
