import { AppError } from '../../engine/errors';

/** What a SQLite failure says about the storage under it, when it says anything. */
export type StorageFault = 'full' | 'damaged';

/**
 * SQLite reports a full disk as SQLITE_FULL (and, when the shared-memory index cannot grow, as
 * SQLITE_IOERR_SHMSIZE); a file that is truncated, overwritten, or fails SQLCipher's per-page
 * authentication reads as SQLITE_CORRUPT or SQLITE_NOTADB.
 */
export function storageFaultOf(error: unknown): StorageFault | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE') return 'full';
  if (
    code.startsWith('SQLITE_CORRUPT') ||
    code === 'SQLITE_NOTADB' ||
    code === 'SQLITE_IOERR_SHORT_READ' ||
    code === 'SQLITE_CANTOPEN'
  )
    return 'damaged';
  return null;
}

export const storageFull = () =>
  new AppError(
    'storage_full',
    "The server's disk is full, so nothing was changed; an administrator must free space, then try again",
  );

export const workspaceUnavailable = () =>
  new AppError(
    'workspace_unavailable',
    "This workspace is unavailable: its database file is missing or damaged. An administrator must restore it; the server's log and `npm run cli -- audit:verify` name it",
  );

/**
 * Wraps every method of `target` so that a storage failure leaves it as the caller-facing error
 * `translate` makes of it. The embedded store's methods answer synchronously underneath their
 * promises, so both a throw and a rejection are caught.
 */
export function withStorageFaults<T extends object>(target: T, translate: (error: unknown) => unknown): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(object, args);
        } catch (error) {
          throw translate(error);
        }
        return result instanceof Promise
          ? result.catch((error: unknown) => {
              throw translate(error);
            })
          : result;
      };
    },
  });
}
