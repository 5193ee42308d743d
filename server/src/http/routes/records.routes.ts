import { Router } from 'express';
import { findEntityType, routes, type RecordPage, type WorkspaceRecord } from '@enclave/shared';
import { z } from 'zod';
import { AppError, forbidden, invalid, notFound } from '../../engine/errors';
import { parseJson } from '../../json/parse-json';
import { canRecord } from '../../policy/policy';
import type { AppDeps } from '../deps';
import { bind } from '../route';
import { workspaceAccess } from '../workspace-access';

const Cursor = z.object({
  // Booleans are carried as 0/1 (see sortValue), as the store compares them.
  v: z.union([z.string(), z.number(), z.null()]),
  id: z.string(),
  s: z.string(),
  o: z.string(),
});

function encodeCursor(value: unknown, id: string, sort: string, order: string): string {
  return Buffer.from(JSON.stringify({ v: value ?? null, id, s: sort, o: order })).toString('base64url');
}

function sortValue(record: WorkspaceRecord, sort: string): unknown {
  if (sort === 'createdAt') return record.createdAt;
  if (sort === 'updatedAt') return record.updatedAt;
  const v = record.data[sort];
  // JSON booleans compare as 0/1 in the store.
  return typeof v === 'boolean' ? Number(v) : (v ?? null);
}

const TEXT_TYPES = new Set(['text', 'longText', 'email', 'phone', 'enum']);

export function recordRoutes(deps: AppDeps): Router {
  const router = Router();
  const { engine } = deps;

  bind(router, routes.listRecords, async (call): Promise<RecordPage> => {
    const { ws, perms } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const q = call.query;
    const entity = findEntityType(await ws.getSchema(), q.type);
    if (!entity) throw invalid(`Unknown entity type "${q.type}"`);
    if (!canRecord(perms, 'read', entity.key)) throw forbidden(`You may not read ${entity.key} records`);
    const fieldTypes = new Map(entity.fields.map((f) => [f.key, f.type]));
    const filters = q.filter === undefined ? [] : Array.isArray(q.filter) ? q.filter : [q.filter];
    for (const f of [
      ...filters.map((x) => x.field),
      ...(q.sort === 'createdAt' || q.sort === 'updatedAt' ? [] : [q.sort]),
    ]) {
      if (!fieldTypes.has(f))
        throw invalid(`Unknown field "${f}" for ${entity.key}`, [
          { path: 'query', message: `unknown field ${f}` },
        ]);
    }
    let after: { value: unknown; id: string } | null = null;
    if (q.cursor) {
      let decoded: unknown;
      try {
        decoded = parseJson(Buffer.from(q.cursor, 'base64url').toString('utf8'));
      } catch {
        decoded = null;
      }
      const parsed = Cursor.safeParse(decoded);
      if (!parsed.success || parsed.data.s !== q.sort || parsed.data.o !== q.order) {
        throw new AppError('bad_request', 'The cursor is not valid for this query');
      }
      after = { value: parsed.data.v, id: parsed.data.id };
    }
    const textFields = entity.fields.filter((f) => TEXT_TYPES.has(f.type)).map((f) => f.key);
    let items: WorkspaceRecord[];
    try {
      items = await ws.listRecords({ ...q, limit: q.limit + 1, after }, fieldTypes, textFields);
    } catch (error) {
      if (error instanceof RangeError) throw invalid(error.message);
      throw error;
    }
    const more = items.length > q.limit;
    if (more) items = items.slice(0, q.limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: more && last ? encodeCursor(sortValue(last, q.sort), last.id, q.sort, q.order) : null,
    };
  });

  bind(router, routes.getRecord, async (call) => {
    const { ws, perms } = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const record = await ws.getRecord(call.params.recordId);
    if (!record || !canRecord(perms, 'read', record.type)) throw notFound('Record');
    return record;
  });

  bind(router, routes.createRecord, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const { record } = await engine.execute(access.ctx, {
      type: 'record.create',
      entityType: call.body.type,
      data: call.body.data,
      ...(call.body.id === undefined ? {} : { id: call.body.id }),
    });
    return record;
  });

  bind(router, routes.patchRecord, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const { record } = await engine.execute(access.ctx, {
      type: 'record.update',
      id: call.params.recordId,
      data: call.body.data,
      ...(call.body.rev === undefined ? {} : { expectedRev: call.body.rev }),
    });
    return record;
  });

  bind(router, routes.deleteRecord, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const { record } = await engine.execute(access.ctx, { type: 'record.delete', id: call.params.recordId });
    return record;
  });

  bind(router, routes.restoreRecord, async (call) => {
    const access = await workspaceAccess(deps, call.auth, call.params.workspaceId, call.meta);
    const { record } = await engine.execute(access.ctx, { type: 'record.restore', id: call.params.recordId });
    return record;
  });

  return router;
}
