import type { EntityTypeDef } from '@enclave/shared';
import { recordTitle } from '@enclave/ui';
import type { ConflictDocType } from '../workspace/database';

export interface ConflictCopy {
  /** e.g. Your change to “Acme Ltd” was replaced by the server’s version. */
  headline: string;
  /** Why, when the server refused the change rather than merely had a newer version. */
  reason: string | null;
}

/** What a notice says about a conflict, in the terms of the person who made the change. */
export function conflictCopy(conflict: ConflictDocType, entity: EntityTypeDef | undefined): ConflictCopy {
  const data =
    conflict.localDeleted || Object.keys(conflict.localData).length > 0
      ? conflict.localData
      : conflict.serverData;
  const title = `“${recordTitle(entity, data)}”`;
  const refused = conflict.reasonCode !== undefined;
  let headline: string;
  if (conflict.serverDeleted && !conflict.localDeleted) {
    headline = refused
      ? `Your change to ${title} was not accepted by the server.`
      : `${title} was deleted on the server, so your change was not kept.`;
  } else if (conflict.localDeleted) {
    headline = `Your deletion of ${title} was replaced by the server’s version.`;
  } else {
    headline = `Your change to ${title} was replaced by the server’s version.`;
  }
  return { headline, reason: reasonText(conflict) };
}

function reasonText(conflict: ConflictDocType): string | null {
  switch (conflict.reasonCode) {
    case undefined:
      return null;
    case 'forbidden':
      return 'You do not have permission to make this change.';
    case 'validation_failed':
      return `It does not fit the workspace’s fields: ${conflict.reasonMessage ?? 'the server refused it'}.`;
    case 'not_found':
      return 'The record no longer exists for you on the server.';
    default:
      return conflict.reasonMessage ?? 'The server refused it.';
  }
}
