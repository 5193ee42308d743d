import type { SyncStatus } from '@enclave/shared';

/** What the status indicator shows; also its `data-status` for tests. */
export type SyncIndicator = 'online' | 'offline' | 'syncing' | 'error' | 'connecting' | 'update_required';

export interface SyncSignals {
  /** Main's connection status (`sync:status`), null until known. */
  status: SyncStatus | null;
  /** RxDB is moving documents (`active$`). */
  active: boolean;
  /** The last pull or push failed, or RxDB reported an error, and nothing has succeeded since. */
  failing: boolean;
}

/**
 * One word for the state of sync. The connection comes first: offline is not an error (the app is
 * built to work offline), and while offline, failing requests are expected. Only a connected app
 * whose requests still fail is in error.
 */
export function syncIndicatorOf({ status, active, failing }: SyncSignals): SyncIndicator {
  switch (status) {
    case 'update_required':
      return 'update_required';
    case 'revoked':
      return 'error';
    case null:
    case 'connecting':
      return 'connecting';
    case 'offline':
    case 'stopped':
      return 'offline';
    case 'online':
      if (failing) return 'error';
      return active ? 'syncing' : 'online';
  }
}

export interface SyncIndicatorText {
  label: string;
  detail: string;
}

export function syncIndicatorText(indicator: SyncIndicator): SyncIndicatorText {
  switch (indicator) {
    case 'online':
      return { label: 'Up to date', detail: 'Connected. Changes sync as you make them.' };
    case 'syncing':
      return { label: 'Syncing…', detail: 'Exchanging changes with the server.' };
    case 'connecting':
      return { label: 'Connecting…', detail: 'Reaching the server.' };
    case 'offline':
      return {
        label: 'Offline',
        detail: 'You can keep working. Changes are saved on this computer and sync when the server is back.',
      };
    case 'error':
      return {
        label: 'Sync problem',
        detail: 'The server is reachable but changes are not going through. Enclave keeps retrying.',
      };
    case 'update_required':
      return {
        label: 'Update required',
        detail:
          'The server needs a newer version of Enclave. Update the app to sync again; your changes are kept.',
      };
  }
}
