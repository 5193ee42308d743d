import type { ErrorBody, Operation, PushRow, RejectedRow, SyncDocument } from '@enclave/shared';
import type { OperationContext } from '../engine/context';
import type { CommandEngine, EachItem } from '../engine/engine';
import { conflict, invalid, type AppError } from '../engine/errors';
import { canRecord, type Permissions } from '../policy/policy';
import type { WorkspaceStore } from '../store/types';
import { sameContent, toSyncDocument } from './sync-documents';

export interface PushOutcome {
  conflicts: SyncDocument[];
  rejected: RejectedRow[];
}

/** Marks a row whose assumed state is not the server's: the normal conflict of the protocol. */
const stale = () => conflict('The document changed on the server');

/**
 * The operations that turn the current record into the pushed document, planned under the
 * engine's lock. A row whose assumed master state differs from the current one is a conflict; a
 * row that already matches the current state (a retry of a push that was applied) writes nothing.
 */
function planRow(row: PushRow, standing: () => Promise<void>): EachItem {
  return async ({ getRecord, perms }) => {
    await standing();
    const next = row.newDocumentState;
    const assumed = row.assumedMasterState ?? null;
    const stored = await getRecord(next.id);
    // A record the device may not read is, to it, no record.
    const current = stored && canRecord(perms, 'read', stored.type) ? stored : null;
    if (stored && !current) throw conflict('A record with this id already exists');
    if (sameContent(next, current)) return [];
    if (!sameContent(assumed, current)) throw stale();
    if (current === null) {
      // Created and deleted before it was ever pushed: nothing to write.
      if (next._deleted) return [];
      return [{ type: 'record.create', entityType: next.type, id: next.id, data: next.data }];
    }
    if (next.type !== current.type) {
      throw invalid('A record cannot change its type', [{ path: 'type', message: 'must stay the same' }]);
    }
    if (next._deleted) return [{ type: 'record.delete', id: next.id }];
    const ops: Operation[] = [];
    if (current.deletedAt !== null) ops.push({ type: 'record.restore', id: next.id });
    // The pushed document is the whole new state: fields it no longer has are cleared.
    const patch: Record<string, unknown> = { ...next.data };
    for (const key of Object.keys(current.data)) if (!(key in patch)) patch[key] = null;
    ops.push({ type: 'record.update', id: next.id, data: patch });
    return ops;
  };
}

/**
 * Applies a push: every row through the command engine (schema, the device owner's permissions,
 * audit as the device), each accepted or refused on its own. Refused rows come back with the
 * master state, so the client's copy falls back to the server's instead of retrying for ever.
 */
export async function applyPush(
  engine: CommandEngine,
  ws: WorkspaceStore,
  ctx: OperationContext,
  rows: readonly PushRow[],
  /** Throws `device_revoked` if the pushing device may no longer act. */
  checkStanding: () => Promise<unknown>,
): Promise<PushOutcome> {
  // The pushing device's standing is read again under the engine's lock, where revocations are
  // committed: a push that was let in before a revocation but reaches the writer after it writes
  // nothing (the connection learns of the revocation a moment later and closes).
  let checked: Promise<void> | undefined;
  const standing = () => (checked ??= checkStanding().then(() => undefined));
  const outcomes = await engine.executeEach(
    ctx,
    rows.map((row) => planRow(row, standing)),
  );
  const revoked = outcomes.find(
    (o): o is { ok: false; error: AppError } => !o.ok && o.error.code === 'device_revoked',
  );
  if (revoked) throw revoked.error;
  const conflicts: SyncDocument[] = [];
  const rejected: RejectedRow[] = [];
  // Read only for a refused row (a push that is all accepted, the usual one, needs none).
  let perms: Permissions | undefined;
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.ok) continue;
    perms ??= await engine.permissionsOf(ws, ctx.principal.userId);
    const row = rows[index] as PushRow;
    const stored = await ws.getRecord(row.newDocumentState.id);
    const master =
      stored && canRecord(perms, 'read', stored.type)
        ? toSyncDocument(stored)
        : // No master the device may see: a deleted stub of its own document stands in for it.
          { ...row.newDocumentState, _deleted: true };
    conflicts.push(master);
    if (outcome.error.code !== 'conflict') {
      const error: ErrorBody['error'] = { code: outcome.error.code, message: outcome.error.message };
      if (outcome.error.details !== undefined) error.details = outcome.error.details;
      rejected.push({ id: row.newDocumentState.id, error });
    }
  }
  return { conflicts, rejected };
}
