import { useMemo } from 'react';
import type { EntityTypeDef } from '@enclave/shared';
import { applyChanges, type RecordChange, type SaveRefusal } from '@enclave/ui';
import type { WorkspaceSession } from '../workspace/session';

export interface RecordWrites {
  create: (change: RecordChange, onCreated: (id: string) => void) => Promise<SaveRefusal | undefined>;
  update: (id: string, change: RecordChange, onSaved: () => void) => Promise<SaveRefusal | undefined>;
  remove: (id: string, onRemoved: () => void) => Promise<void>;
  describeFailure: (failure: unknown, action: 'delete' | 'restore') => string;
}

/**
 * What the shared record form and detail do to the replica here, offline or not: the write goes
 * to the local database and syncs when it can. An edit applies only the fields the form changed
 * on top of the record as it is when saved, so a change that synced in meanwhile to another field
 * is kept.
 */
export function useRecordWrites(session: WorkspaceSession, entity: EntityTypeDef): RecordWrites {
  return useMemo(
    () => ({
      create: async (change, onCreated) => {
        try {
          const id = crypto.randomUUID();
          await session.db.records.insert({ id, type: entity.key, data: change.data });
          onCreated(id);
          return undefined;
        } catch (error) {
          console.error('Saving the record failed', error);
          return { formError: 'The change could not be saved on this computer. Try again.' };
        }
      },
      update: async (id, change, onSaved) => {
        try {
          const doc = await session.db.records.findOne(id).exec();
          if (!doc) {
            return {
              formError: 'This record was deleted while you were editing it. Your changes were not saved.',
            };
          }
          if (change.changed.length > 0) {
            await doc.incrementalModify((current) => ({
              ...current,
              data: applyChanges(current.data, change.data, change.changed),
            }));
          }
          onSaved();
          return undefined;
        } catch (error) {
          console.error('Saving the record failed', error);
          return { formError: 'The change could not be saved on this computer. Try again.' };
        }
      },
      remove: async (id, onRemoved) => {
        const doc = await session.db.records.findOne(id).exec();
        await doc?.incrementalRemove();
        onRemoved();
      },
      describeFailure: (failure) => {
        console.error('Deleting the record failed', failure);
        return 'The record could not be deleted on this computer. Try again.';
      },
    }),
    [session, entity],
  );
}
