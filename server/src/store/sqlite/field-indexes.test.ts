import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkspaceSchema } from '@enclave/shared';
import { templates } from '../../workspaces/templates';
import { workspaceMigrations } from './migrations';
import { migrate, openEncrypted, type Db } from './open';
import { SqliteWorkspaceStore } from './workspace-store';

/**
 * Field indexes are per entity type: partial indexes over one type's rows, which the record
 * queries use because they name the type as a literal. A write then updates its own type's
 * indexes only, and a file from before keeps working, its full-table indexes replaced.
 */

const open: Db[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workspaceDb(): Db {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-indexes-'));
  dirs.push(dir);
  const db = openEncrypted(join(dir, 'w.db'), randomBytes(32), { cacheKiB: 1024 });
  open.push(db);
  migrate(db, workspaceMigrations);
  return db;
}

const event = (action: string) => ({
  id: randomUUID(),
  time: new Date().toISOString(),
  actor: { kind: 'system' as const, id: 'test', label: 'Test' },
  action,
  target: { kind: 'workspace' as const, entityType: null, id: null },
  before: null,
  after: null,
  details: null,
  ip: null,
  userAgent: null,
  requestId: null,
});

async function putSchema(ws: SqliteWorkspaceStore, schema: WorkspaceSchema): Promise<void> {
  await ws.commit([{ event: event('schema.update'), mutations: [{ kind: 'schema.put', schema }] }]);
}

function fieldIndexes(db: Db): Record<string, string> {
  const rows = db
    .prepare<[], { name: string; sql: string }>(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND (name LIKE 'fp%' OR name LIKE 'fx%')",
    )
    .all();
  return Object.fromEntries(rows.map((r) => [r.name, r.sql]));
}

function plan(db: Db, sql: string): string {
  return db
    .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all()
    .map((r) => r.detail)
    .join('; ');
}

describe('field indexes', () => {
  it('are partial, one entity type each, and the record queries use them', async () => {
    const db = workspaceDb();
    const ws = new SqliteWorkspaceStore(randomUUID(), db);
    await putSchema(ws, templates.standard);

    const indexes = fieldIndexes(db);
    const indexed = templates.standard.entityTypes.flatMap((e) =>
      e.fields.filter((f) => f.indexed).map((f) => `fp_${e.key}__${f.key}`),
    );
    expect(Object.keys(indexes).sort()).toEqual(indexed.sort());
    expect(indexes.fp_client__name).toMatch(/WHERE type = 'client'$/);
    expect(indexes.fp_invoice__status).toMatch(/WHERE type = 'invoice'$/);

    // The query listRecords builds for a sort and a range filter on an indexed field.
    expect(
      plan(
        db,
        "SELECT * FROM records WHERE type = 'client' AND deleted_at IS NULL ORDER BY json_extract(data, '$.name') ASC, id ASC LIMIT 50",
      ),
    ).toContain('USING INDEX fp_client__name');
    expect(
      plan(
        db,
        "SELECT * FROM records WHERE type = 'invoice' AND deleted_at IS NULL AND json_extract(data, '$.number') >= 'INV-1' AND json_extract(data, '$.number') < 'INV-2' ORDER BY json_extract(data, '$.number') ASC, id ASC LIMIT 5",
      ),
    ).toContain('USING INDEX fp_invoice__number');

    // Through the store: the listing is the one the plan above describes.
    const now = new Date().toISOString();
    for (const name of ['Initech', 'Globex', 'Acme']) {
      await ws.commit([
        {
          event: event('record.create'),
          mutations: [
            {
              kind: 'record.put',
              record: {
                id: randomUUID(),
                type: 'client',
                data: { name, status: 'active' },
                rev: 1,
                createdAt: now,
                updatedAt: now,
                deletedAt: null,
              },
              expectedRev: null,
            },
          ],
        },
      ]);
    }
    const listed = await ws.listRecords(
      { type: 'client', sort: 'name', order: 'asc', limit: 10, after: null },
      new Map([['name', 'text']]),
      [],
    );
    expect(listed.map((r) => r.data.name)).toEqual(['Acme', 'Globex', 'Initech']);
  });

  it('never serve a statement for one type with another type’s index, after the schema changes under it', async () => {
    const db = workspaceDb();
    const ws = new SqliteWorkspaceStore(randomUUID(), db);
    const now = new Date().toISOString();
    const put = (type: string, name: string) =>
      ws.commit([
        {
          event: event('record.create'),
          mutations: [
            {
              kind: 'record.put',
              record: {
                id: randomUUID(),
                type,
                data: { name },
                rev: 1,
                createdAt: now,
                updatedAt: now,
                deletedAt: null,
              },
              expectedRev: null,
            },
          ],
        },
      ]);
    for (const name of ['A', 'B', 'C']) await put('client', name);
    await put('ticket', 'T');
    expect(await ws.countLiveRecords('client')).toBe(3);
    // The partial indexes come after the statements were prepared, and SQLite re-prepares them.
    await putSchema(ws, templates.standard);
    expect(await ws.countLiveRecords('client')).toBe(3);
    expect(await ws.countLiveRecords('ticket')).toBe(1);
    expect(await ws.countLiveRecords('invoice')).toBe(0);
  });

  it('follow the schema: a field no longer indexed, or a type removed, loses its index', async () => {
    const db = workspaceDb();
    const ws = new SqliteWorkspaceStore(randomUUID(), db);
    await putSchema(ws, templates.standard);
    const withoutInvoices: WorkspaceSchema = {
      version: templates.standard.version + 1,
      entityTypes: templates.standard.entityTypes
        .filter((e) => e.key !== 'invoice')
        .map((e) =>
          e.key === 'client'
            ? { ...e, fields: e.fields.map((f) => (f.key === 'email' ? { ...f, indexed: false } : f)) }
            : e,
        ),
    };
    await putSchema(ws, withoutInvoices);

    const names = Object.keys(fieldIndexes(db));
    expect(names.filter((n) => n.startsWith('fp_invoice__'))).toEqual([]);
    expect(names).not.toContain('fp_client__email');
    expect(names).toContain('fp_client__name');
  });

  it('a file of an earlier version has its full-table indexes made partial when it opens', async () => {
    const db = workspaceDb();
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(JSON.stringify(templates.standard));
    db.exec(`CREATE INDEX "fx_client__name" ON records(type, json_extract(data, '$.name'), id)`);
    db.exec(`CREATE INDEX "fx_invoice__number" ON records(type, json_extract(data, '$.number'), id)`);

    new SqliteWorkspaceStore(randomUUID(), db);
    const indexes = fieldIndexes(db);
    expect(Object.keys(indexes).filter((n) => n.startsWith('fx_'))).toEqual([]);
    expect(indexes.fp_client__name).toMatch(/WHERE type = 'client'$/);
    expect(indexes.fp_invoice__number).toMatch(/WHERE type = 'invoice'$/);
  });
});
