import {
  findEntityType,
  issuesOf,
  recordDataSchema,
  type EntityTypeDef,
  type OperationOf,
  type WorkspaceRecord,
} from '@enclave/shared';
import { can, canRecord, type RecordAbility } from '../policy/policy';
import { conflict, forbidden, invalid, notFound } from './errors';
import type { Handler, HandlerEnv, HandlerOutcome } from './context';

type Snapshot = Omit<WorkspaceRecord, 'seq'>;

function entityOf(env: HandlerEnv, key: string): EntityTypeDef {
  const entity = findEntityType(env.schema, key);
  if (!entity)
    throw invalid(`Unknown entity type "${key}"`, [{ path: 'entityType', message: 'unknown entity type' }]);
  return entity;
}

function requireRecordRight(env: HandlerEnv, ability: RecordAbility, entityType: string): void {
  if (!canRecord(env.perms, ability, entityType)) {
    throw forbidden(`You may not ${ability} ${entityType} records`);
  }
}

async function validateReferences(env: HandlerEnv, entity: EntityTypeDef, data: Record<string, unknown>) {
  for (const field of entity.fields) {
    const value = data[field.key];
    if (field.type !== 'reference' || typeof value !== 'string') continue;
    const target = await env.getRecord(value);
    // A record the caller may not read is, to them, no record: refusing it alike reveals nothing.
    const visible = target !== null && canRecord(env.perms, 'read', target.type);
    if (!target || !visible || target.deletedAt !== null || target.type !== field.refType) {
      throw invalid('A reference points to no such record', [
        { path: `data.${field.key}`, message: `must be the id of a ${field.refType ?? ''} record` },
      ]);
    }
  }
}

function parseData(entity: EntityTypeDef, data: unknown, mode: 'full' | 'partial'): Record<string, unknown> {
  const parsed = recordDataSchema(entity, mode).safeParse(data);
  if (!parsed.success) {
    throw invalid(
      'The record does not match its entity type',
      issuesOf(parsed.error).map((i) => ({ ...i, path: i.path ? `data.${i.path}` : 'data' })),
    );
  }
  return parsed.data;
}

function withoutNulls(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== null));
}

/**
 * A record's state without the store's `seq`. Records read from the store carry it, and a state
 * built as `{ ...current, ... }` would keep it: an update's audited `after` would show the seq of
 * the version it replaced.
 */
function stateOf(record: Snapshot): Snapshot {
  const { seq: _seq, ...state } = record as Snapshot & { seq?: number };
  return state;
}

function recordChange(
  action: string,
  before: Snapshot | null,
  after: Snapshot,
  expectedRev: number | null,
  details: Record<string, unknown> | null = null,
): HandlerOutcome {
  const state = stateOf(after);
  return {
    change: {
      action,
      target: { kind: 'record', entityType: after.type, id: after.id },
      before: before && stateOf(before),
      after: state,
      details,
      mutations: [{ kind: 'record.put', record: state, expectedRev }],
    },
  };
}

async function existing(env: HandlerEnv, id: string): Promise<Snapshot> {
  const record = await env.getRecord(id);
  // A record of a type the caller cannot read is reported as absent: its existence is not theirs to learn.
  if (!record || !canRecord(env.perms, 'read', record.type)) throw notFound('Record');
  return record;
}

/**
 * An entity type can be removed while deleted records of it remain; such a record may stay
 * deleted, but coming back to life would make a live record that no schema describes.
 */
function requireTypeForLive(env: HandlerEnv, record: Snapshot): void {
  if (!findEntityType(env.schema, record.type)) {
    throw conflict(`The entity type "${record.type}" no longer exists; add it back first`);
  }
}

function checkRev(record: Snapshot, expected: number | undefined): void {
  if (expected !== undefined && expected !== record.rev) {
    throw conflict('The record has changed since you read it', { currentRev: record.rev });
  }
}

export const createRecord: Handler<OperationOf<'record.create'>> = async (op, env) => {
  const entity = entityOf(env, op.entityType);
  requireRecordRight(env, 'write', entity.key);
  // Absent and null mean the same for an optional field; only values are stored.
  const data = withoutNulls(parseData(entity, op.data, 'full'));
  // A fresh UUID cannot collide; a client's id is checked here for a clear error (the store's
  // primary key is the final guard either way).
  const id = op.id ?? env.newId();
  if (op.id !== undefined && (await env.getRecord(id)))
    throw conflict('A record with this id already exists');
  await validateReferences(env, entity, data);
  const after: Snapshot = {
    id,
    type: entity.key,
    data,
    rev: 1,
    createdAt: env.now,
    updatedAt: env.now,
    deletedAt: null,
  };
  return recordChange('record.create', null, after, null);
};

export const updateRecord: Handler<OperationOf<'record.update'>> = async (op, env) => {
  const current = await existing(env, op.id);
  requireRecordRight(env, 'write', current.type);
  if (current.deletedAt !== null) throw conflict('The record is deleted; restore it first');
  checkRev(current, op.expectedRev);
  const entity = entityOf(env, current.type);
  const patch = parseData(entity, op.data, 'partial');
  // null clears an optional field (required ones cannot be null: the schema refused that above).
  const data = withoutNulls({ ...current.data, ...patch });
  const missing = entity.fields.filter((f) => f.required && data[f.key] === undefined);
  if (missing.length > 0) {
    throw invalid(
      'Required fields are missing',
      missing.map((f) => ({ path: `data.${f.key}`, message: 'required' })),
    );
  }
  await validateReferences(env, entity, patch);
  if (JSON.stringify(data) === JSON.stringify(current.data))
    return { change: null, result: { record: current } };
  const after: Snapshot = { ...current, data, rev: current.rev + 1, updatedAt: env.now };
  return recordChange('record.update', current, after, current.rev);
};

export const deleteRecord: Handler<OperationOf<'record.delete'>> = async (op, env) => {
  const current = await existing(env, op.id);
  requireRecordRight(env, 'delete', current.type);
  checkRev(current, op.expectedRev);
  if (current.deletedAt !== null) throw conflict('The record is already deleted');
  const after: Snapshot = { ...current, rev: current.rev + 1, updatedAt: env.now, deletedAt: env.now };
  return recordChange('record.delete', current, after, current.rev);
};

export const restoreRecord: Handler<OperationOf<'record.restore'>> = async (op, env) => {
  const current = await existing(env, op.id);
  requireRecordRight(env, 'delete', current.type);
  if (current.deletedAt === null) throw conflict('The record is not deleted');
  requireTypeForLive(env, current);
  const after: Snapshot = { ...current, rev: current.rev + 1, updatedAt: env.now, deletedAt: null };
  return recordChange('record.restore', current, after, current.rev);
};

/** Undo: puts a record back as it was before an audit event, if nothing has changed it since. */
export const revertRecord: Handler<OperationOf<'record.revert'>> = async (op, env) => {
  const event = await env.store.getAuditEvent(op.eventId);
  if (!event || event.target.kind !== 'record' || event.target.id === null) throw notFound('Record event');
  if (!can(env.perms, 'audit.read') && event.actor.id !== env.ctx.actor.id) {
    throw forbidden('You may undo only your own changes');
  }
  const current = await existing(env, event.target.id);
  const after = event.after as Snapshot;
  if (current.rev !== after.rev) {
    throw conflict('The record has changed since this event; undo the later changes first', {
      currentRev: current.rev,
    });
  }
  const before = event.before as Snapshot | null;
  const restoredDeleted = before === null || before.deletedAt !== null;
  requireRecordRight(env, restoredDeleted || current.deletedAt !== null ? 'delete' : 'write', current.type);
  if (!restoredDeleted) requireTypeForLive(env, current);
  const next: Snapshot = {
    ...current,
    data: before ? before.data : current.data,
    rev: current.rev + 1,
    updatedAt: env.now,
    deletedAt: restoredDeleted ? env.now : null,
  };
  return recordChange('record.revert', current, next, current.rev, { revertedEventId: event.id });
};
