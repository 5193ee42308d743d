import { useMemo, useState } from 'react';
import type { AiLinks } from '@enclave/ui';
import type { WorkspaceSession } from '../workspace/session';
import { desktopAiLinks } from './ai-links';

export interface AiNavigation {
  onOpenRecord: (type: string, id: string) => void;
  onOpenProposal: (id: string) => void;
}

/**
 * The AI's links for a view: a record opens in its list (its type read from the replica when the
 * link does not say it), a proposal in the queue. `missing` names a linked record that is not on
 * this device — deleted since, or one the AI made up — so the view can say so.
 */
export function useAiLinks(
  session: WorkspaceSession,
  { onOpenRecord, onOpenProposal }: AiNavigation,
): { links: AiLinks; missing: string | null } {
  const [missing, setMissing] = useState<string | null>(null);
  const links = useMemo(
    () =>
      desktopAiLinks((destination) => {
        setMissing(null);
        if (destination.kind === 'proposal') {
          onOpenProposal(destination.id);
          return;
        }
        const { id } = destination;
        void session.db.records
          .findOne(id)
          .exec()
          .then(
            (doc) => (doc ? onOpenRecord(doc.type, id) : setMissing(id)),
            () => setMissing(id),
          );
      }),
    [session, onOpenRecord, onOpenProposal],
  );
  return { links, missing };
}
