import { networkError, type SyncError } from './errors';

interface Entry<T> {
  resolve(value: T): void;
  reject(error: SyncError): void;
  timer: NodeJS.Timeout;
}

/** Requests sent and not yet answered, by id; each one rejects by itself after its timeout. */
export class PendingRequests<T> {
  private readonly entries = new Map<string, Entry<T>>();

  add(id: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reject(id, networkError('The server did not answer in time'));
      }, timeoutMs);
      this.entries.set(id, { resolve, reject, timer });
    });
  }

  /** False for an id that is not pending (it timed out, or was never ours). */
  resolve(id: string, value: T): boolean {
    const entry = this.take(id);
    entry?.resolve(value);
    return entry !== undefined;
  }

  reject(id: string, error: SyncError): boolean {
    const entry = this.take(id);
    entry?.reject(error);
    return entry !== undefined;
  }

  rejectAll(error: SyncError): void {
    for (const id of [...this.entries.keys()]) this.reject(id, error);
  }

  get size(): number {
    return this.entries.size;
  }

  private take(id: string): Entry<T> | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    clearTimeout(entry.timer);
    this.entries.delete(id);
    return entry;
  }
}
