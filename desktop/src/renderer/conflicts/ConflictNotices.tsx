import { useMemo, useState } from 'react';
import { map } from 'rxjs';
import { useObservable } from '../ui/observable-hooks';
import { useWorkspace } from '../workspace/workspace-context';
import { conflictCopy } from './conflict-copy';
import { Icon } from '@enclave/ui';

const SHOWN = 3;

/**
 * Non-modal notices for local changes the server replaced: work carries on around them. Each
 * offers to restore the person's version (as a new edit on top of the current record) or to
 * dismiss it; they stay until one or the other, also across restarts (they live in the replica).
 */
export function ConflictNotices({ onOpenRecord }: { onOpenRecord: (type: string, id: string) => void }) {
  const { session, self } = useWorkspace();
  const conflicts = useObservable(
    useMemo(
      () => session.db.conflicts.find().$.pipe(map((docs) => [...docs].sort((a, b) => b.at - a.at))),
      [session],
    ),
  );
  const [busy, setBusy] = useState<string | null>(null);
  /** The notice whose action just failed. */
  const [failed, setFailed] = useState<string | null>(null);
  if (!conflicts || conflicts.length === 0) return null;

  const act = async (id: string, action: 'restore' | 'dismiss') => {
    setBusy(id);
    setFailed(null);
    try {
      if (action === 'restore') await session.conflicts.restore(id);
      else await session.conflicts.dismiss(id);
    } catch (error) {
      console.error('Handling a conflict failed', error);
      setFailed(id);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="notices" aria-label="Sync notices">
      {conflicts.slice(0, SHOWN).map((conflict) => {
        const entity = self.schema.entityTypes.find((e) => e.key === conflict.type);
        const copy = conflictCopy(conflict, entity);
        return (
          <div
            key={conflict.id}
            className="notice-card"
            role="status"
            data-testid="conflict-notice"
            data-record-id={conflict.id}
          >
            <Icon name="undo" />
            <div className="notice-body">
              <p className="notice-headline">{copy.headline}</p>
              {copy.reason && <p className="notice-reason">{copy.reason}</p>}
              {failed === conflict.id && (
                <p className="field-error" role="alert">
                  That did not work. Try again.
                </p>
              )}
              <div className="notice-actions">
                <button
                  type="button"
                  className="button small primary"
                  data-testid="conflict-restore"
                  disabled={busy !== null}
                  onClick={() => void act(conflict.id, 'restore')}
                >
                  Restore my version
                </button>
                <button
                  type="button"
                  className="button small"
                  data-testid="conflict-dismiss"
                  disabled={busy !== null}
                  onClick={() => void act(conflict.id, 'dismiss')}
                >
                  Dismiss
                </button>
                {entity && (
                  <button
                    type="button"
                    className="link-button small"
                    onClick={() => onOpenRecord(conflict.type, conflict.id)}
                  >
                    Open
                  </button>
                )}
              </div>
            </div>
          </div>
        );
      })}
      {conflicts.length > SHOWN && <p className="notice-more">and {conflicts.length - SHOWN} more</p>}
    </section>
  );
}
