import { useCallback, useEffect, useMemo, useState } from 'react';
import type { EntityTypeDef, WorkspaceRecord } from '@enclave/shared';
import { recordTitle, type ReferenceSource, type TitleLookup } from '@enclave/ui';
import { call } from '../api/client';

/** What shows for a referenced record while its title is being asked for. */
const PENDING = '…';
/** At most this many title look-ups at once: a page of 50 invoices may name 50 clients. */
const PARALLEL = 4;

/**
 * Titles by `type:id`. A record that is gone, of another type, or not readable by the member is
 * `null`, and reads as "Unknown record", as a reference to nothing does.
 */
class TitleCache {
  private readonly known = new Map<string, string | null>();
  private readonly queue: { type: string; id: string }[] = [];
  private running = 0;
  private entities: readonly EntityTypeDef[] = [];

  constructor(
    private readonly workspaceId: string,
    private readonly changed: () => void,
  ) {}

  /** The schema's entity types, for the title field of each (the schema may change while open). */
  setEntities(entities: readonly EntityTypeDef[]): void {
    this.entities = entities;
  }

  entity(type: string): EntityTypeDef | undefined {
    return this.entities.find((e) => e.key === type);
  }

  titleOf(record: WorkspaceRecord): string {
    return recordTitle(this.entity(record.type), record.data);
  }

  read(type: string, id: string): string | undefined {
    return this.known.get(`${type}:${id}`) ?? undefined;
  }

  remember(records: readonly WorkspaceRecord[]): void {
    let changed = false;
    for (const record of records) {
      const key = `${record.type}:${record.id}`;
      const title = record.deletedAt === null ? this.titleOf(record) : null;
      if (this.known.get(key) !== title) {
        this.known.set(key, title);
        changed = true;
      }
    }
    if (changed) this.changed();
  }

  want(refs: readonly { type: string; id: string }[]): void {
    for (const ref of refs) {
      const key = `${ref.type}:${ref.id}`;
      if (this.known.has(key)) continue;
      this.known.set(key, PENDING);
      this.queue.push(ref);
    }
    this.pump();
  }

  private pump(): void {
    while (this.running < PARALLEL) {
      const next = this.queue.shift();
      if (!next) return;
      this.running += 1;
      const key = `${next.type}:${next.id}`;
      call('getRecord', { params: { workspaceId: this.workspaceId, recordId: next.id } })
        .then(
          (record) =>
            this.known.set(
              key,
              record.type === next.type && record.deletedAt === null ? this.titleOf(record) : null,
            ),
          () => this.known.set(key, null),
        )
        .finally(() => {
          this.running -= 1;
          this.changed();
          this.pump();
        });
    }
  }
}

export interface Titles {
  /** Titles of the records seen so far; changes identity when one arrives, so lists re-render. */
  lookup: TitleLookup;
  /** Remembers the titles of records the page already has (a list page, a search's answer). */
  remember: (records: readonly WorkspaceRecord[]) => void;
  /** Asks the server for the titles of these referenced records, once each. */
  want: (refs: readonly { type: string; id: string }[]) => void;
  /** Reference pickers search the server, titles ordered A–Z. */
  references: ReferenceSource;
}

/**
 * Titles of referenced records, for the list's reference columns, the detail and the pickers:
 * the console has no replica, so it learns titles from what it loads and asks for the others one
 * record at a time.
 */
export function useTitles(workspaceId: string, entities: readonly EntityTypeDef[]): Titles {
  const [version, setVersion] = useState(0);
  const [cache] = useState(() => new TitleCache(workspaceId, () => setVersion((v) => v + 1)));
  useEffect(() => {
    cache.setEntities(entities);
  }, [cache, entities]);

  // A new function when a title arrives: memoised lists and details see the change.
  const lookup = useCallback<TitleLookup>(
    (type, id) => (version >= 0 ? cache.read(type, id) : undefined),
    [cache, version],
  );
  const remember = useCallback((records: readonly WorkspaceRecord[]) => cache.remember(records), [cache]);
  const want = useCallback((refs: readonly { type: string; id: string }[]) => cache.want(refs), [cache]);

  const references = useMemo<ReferenceSource>(
    () => ({
      // Read at render time: the picker's parent re-renders when a title arrives.
      title: (type, id) => cache.read(type, id),
      searchDelayMs: 200,
      search: async (refType, text, limit) => {
        const target = cache.entity(refType);
        const page = await call('listRecords', {
          params: { workspaceId },
          query: {
            type: refType,
            q: text || undefined,
            sort: target?.titleField ?? 'updatedAt',
            order: 'asc',
            limit,
          },
        });
        cache.remember(page.items);
        return page.items.map((record) => ({ id: record.id, title: cache.titleOf(record) }));
      },
    }),
    [cache, workspaceId],
  );

  return { lookup, remember, want, references };
}
