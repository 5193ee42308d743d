import { Observable } from 'rxjs';
import type { SyncPullResult, SyncPushResult, SyncStreamItem } from '@enclave/shared';
import type { SyncTransport } from '../../common/sync/replication-handlers';
import { asBridgeError, type BridgeClient, type BridgeError } from '../bridge/client';

/** Hooks on the transport's traffic: progress, health and refusals are read off it. */
export interface TransportObserver {
  pulled?(result: SyncPullResult): void;
  pushed?(result: SyncPushResult): void;
  /** A pull or push answered: the sync path works. */
  succeeded?(): void;
  /** A pull or push failed (RxDB will retry it). */
  failed?(error: BridgeError): void;
}

/**
 * RxDB's replication in the renderer over the bridge: pulls and pushes are calls to main (which
 * holds the connection and the token), the live stream is main's `sync:stream` events.
 */
export function bridgeTransport(client: BridgeClient, observer: TransportObserver = {}): SyncTransport {
  async function observed<T>(run: () => Promise<T>, done: (result: T) => void): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (error) {
      const failure = asBridgeError(error);
      observer.failed?.(failure);
      throw failure;
    }
    done(result);
    observer.succeeded?.();
    return result;
  }

  return {
    pull: (checkpoint, batchSize) =>
      observed(
        () => client.call('sync:pull', { checkpoint, batchSize }),
        (result) => observer.pulled?.(result),
      ),
    push: (rows) =>
      observed(
        () => client.call('sync:push', { rows: [...rows] }),
        (result) => observer.pushed?.(result),
      ),
    stream$: new Observable<SyncStreamItem>((subscriber) =>
      client.onEvent('sync:stream', (item) => subscriber.next(item)),
    ),
  };
}
