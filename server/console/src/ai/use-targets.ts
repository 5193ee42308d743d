import { useCallback, useMemo, useState } from 'react';
import { findEntityType, type WorkspaceSchema } from '@enclave/shared';
import { recordTitle, type TargetInfo } from '@enclave/ui';
import { call } from '../api/client';

/** At most this many records are read at once: a page of proposals may name fifty. */
const PARALLEL = 4;

type Known =
  | { state: 'loading' }
  | { state: 'found'; type: string; data: Record<string, unknown> }
  | { state: 'missing' };

/** Records by id, each read once, a few at a time. */
class TargetCache {
  private readonly known = new Map<string, Known>();
  private readonly queue: string[] = [];
  private running = 0;

  constructor(
    private readonly workspaceId: string,
    private readonly changed: () => void,
  ) {}

  read(id: string): Known | undefined {
    return this.known.get(id);
  }

  want(ids: readonly (string | null | undefined)[]): void {
    for (const id of ids) {
      if (!id || this.known.has(id)) continue;
      this.known.set(id, { state: 'loading' });
      this.queue.push(id);
    }
    this.pump();
  }

  private pump(): void {
    while (this.running < PARALLEL) {
      const id = this.queue.shift();
      if (id === undefined) return;
      this.running += 1;
      call('getRecord', { params: { workspaceId: this.workspaceId, recordId: id } })
        .then(
          (record) => this.known.set(id, { state: 'found', type: record.type, data: record.data }),
          () => this.known.set(id, { state: 'missing' }),
        )
        .finally(() => {
          this.running -= 1;
          this.changed();
          this.pump();
        });
    }
  }
}

export interface Targets {
  /** Counts the records read so far: it changes when one arrives. */
  version: number;
  /** Asks for these records (once each). */
  want: (ids: readonly (string | null | undefined)[]) => void;
  /** The type and title of a record read, or undefined while unknown. */
  target: (id: string) => TargetInfo | undefined;
  /** Whether a record is still being read. */
  loading: (id: string) => boolean;
}

/**
 * The type and title of the records the AI's operations act on: an operation names a record by id
 * only, and an edit needs its type's fields. A record that is gone or not readable stays unknown,
 * and the page shows its id. The functions change when a record arrives, so the page re-renders.
 */
export function useRecordTargets(workspaceId: string, schema: WorkspaceSchema | undefined): Targets {
  const [version, setVersion] = useState(0);
  const [cache] = useState(() => new TargetCache(workspaceId, () => setVersion((v) => v + 1)));
  const want = useCallback((ids: readonly (string | null | undefined)[]) => cache.want(ids), [cache]);
  return useMemo(
    () => ({
      version,
      want,
      target: (id) => {
        const item = cache.read(id);
        if (item?.state !== 'found') return undefined;
        // The title is the schema's title field, read when shown: the schema may come after the record.
        const entity = schema ? findEntityType(schema, item.type) : undefined;
        return { type: item.type, title: recordTitle(entity, item.data) };
      },
      loading: (id) => cache.read(id)?.state === 'loading',
    }),
    [cache, want, schema, version],
  );
}
