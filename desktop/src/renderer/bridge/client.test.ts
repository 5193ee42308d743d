import { describe, expect, it } from 'vitest';
import { REPLICA_STORAGE_CHANNEL } from '@enclave/shared';
import type { EnclaveBridge, ReplicaChannel } from '../../common/bridge';
import { asBridgeError, BridgeError, createBridgeClient } from './client';
import { replicaIpcRenderer } from './replica-storage';

function fakeReplica() {
  const listeners = new Set<(message: unknown) => void>();
  const posted: unknown[] = [];
  const channel: ReplicaChannel = {
    post: (message) => posted.push(message),
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { channel, posted, listeners, deliver: (m: unknown) => listeners.forEach((l) => l(m)) };
}

function bridgeAnswering(answer: (channel: string, request: unknown) => Promise<unknown>): EnclaveBridge {
  const call = new Proxy(
    {},
    { get: (_target, channel: string) => (request: unknown) => answer(channel, request) },
  ) as EnclaveBridge['call'];
  return { call, on: () => () => undefined, replica: fakeReplica().channel };
}

describe('createBridgeClient', () => {
  it('answers the value of a successful call, sent on its channel', async () => {
    const seen: [string, unknown][] = [];
    const client = createBridgeClient(
      bridgeAnswering(async (channel, request) => {
        seen.push([channel, request]);
        return { ok: true, value: { version: '1.2.3', platform: 'linux' } };
      }),
    );
    await expect(client.call('app:info', {})).resolves.toEqual({ version: '1.2.3', platform: 'linux' });
    expect(seen).toEqual([['app:info', {}]]);
  });

  it('throws a BridgeError with the code, message and details of a refusal', async () => {
    const client = createBridgeClient(
      bridgeAnswering(async () => ({
        ok: false,
        error: {
          code: 'validation_failed',
          message: 'The request is not valid',
          details: [{ path: 'serverUrl', message: 'must be an http:// or https:// address' }, 'junk'],
        },
      })),
    );
    const error = await client
      .call('pairing:pair', { serverUrl: 'x', code: 'y', deviceName: 'z' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeError);
    const bridgeError = error as BridgeError;
    expect(bridgeError.code).toBe('validation_failed');
    expect(bridgeError.message).toBe('The request is not valid');
    expect(bridgeError.issues).toEqual([
      { path: 'serverUrl', message: 'must be an http:// or https:// address' },
    ]);
  });

  it('turns an unknown error code and a broken channel into internal errors', async () => {
    const unknownCode = createBridgeClient(
      bridgeAnswering(async () => ({ ok: false, error: { code: 'teapot', message: 'short and stout' } })),
    );
    await expect(unknownCode.call('app:state', {})).rejects.toMatchObject({ code: 'internal' });
    const broken = createBridgeClient(
      bridgeAnswering(async () => {
        throw new Error('channel closed');
      }),
    );
    await expect(broken.call('app:state', {})).rejects.toMatchObject({
      name: 'BridgeError',
      code: 'internal',
    });
  });

  it('keeps BridgeErrors and wraps anything else', () => {
    const original = new BridgeError('gone', 'expired');
    expect(asBridgeError(original)).toBe(original);
    expect(asBridgeError(new TypeError('x'))).toMatchObject({ code: 'internal' });
    expect(new BridgeError('gone', 'expired', [{ path: 'a', message: 'b' }]).issues).toEqual([]);
  });
});

describe('replicaIpcRenderer', () => {
  it('posts on and listens to the replica channel only', () => {
    const replica = fakeReplica();
    const ipc = replicaIpcRenderer(replica.channel);
    const received: unknown[] = [];
    const listener = (_event: unknown, message: unknown) => received.push(message);

    ipc.on(REPLICA_STORAGE_CHANNEL, listener);
    ipc.postMessage(REPLICA_STORAGE_CHANNEL, { method: 'create' });
    replica.deliver({ answerTo: '1' });
    expect(replica.posted).toEqual([{ method: 'create' }]);
    expect(received).toEqual([{ answerTo: '1' }]);

    ipc.removeListener(REPLICA_STORAGE_CHANNEL, listener);
    replica.deliver({ answerTo: '2' });
    expect(received).toHaveLength(1);
    expect(replica.listeners.size).toBe(0);

    expect(() => ipc.postMessage('app:state', {})).toThrow(/no channel/);
    expect(() => ipc.on('sync:stream', listener)).toThrow(/no channel/);
  });

  it('does not deliver twice when the same listener is added again', () => {
    const replica = fakeReplica();
    const ipc = replicaIpcRenderer(replica.channel);
    let count = 0;
    const listener = () => {
      count += 1;
    };
    ipc.on(REPLICA_STORAGE_CHANNEL, listener);
    ipc.on(REPLICA_STORAGE_CHANNEL, listener);
    replica.deliver('x');
    expect(count).toBe(1);
  });
});
