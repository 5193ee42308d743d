import { useCallback, useMemo } from 'react';
import { map } from 'rxjs';
import type { WorkspaceSchema } from '@enclave/shared';
import { recordTitle, type TargetInfo } from '@enclave/ui';
import { useObservable } from '../ui/observable-hooks';
import type { WorkspaceSession } from '../workspace/session';

/**
 * The type and title of the records the AI's operations name, from the replica: every record the
 * device's owner may read is here, so no server is asked and the titles follow live changes. A
 * record that is not in the replica (made up, or not readable) is simply unknown.
 */
export function useRecordTargets(
  session: WorkspaceSession,
  schema: WorkspaceSchema,
  ids: readonly (string | null)[],
): (id: string) => TargetInfo | undefined {
  const key = [...new Set(ids.filter((id): id is string => id !== null))].sort().join('\n');
  const source = useMemo(() => {
    const wanted = key === '' ? [] : key.split('\n');
    if (wanted.length === 0) return null;
    return session.db.records.findByIds(wanted).$.pipe(
      map((found) => {
        const targets = new Map<string, TargetInfo>();
        for (const [id, doc] of found) {
          const entity = schema.entityTypes.find((e) => e.key === doc.type);
          targets.set(id, { type: doc.type, title: recordTitle(entity, doc.data) });
        }
        return targets;
      }),
    );
  }, [session, schema, key]);
  const targets = useObservable(source);
  return useCallback((id: string) => targets?.get(id), [targets]);
}
