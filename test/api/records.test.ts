import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent, EntityTypeDef, ErrorBody, RecordPage, WorkspaceRecord } from '@enclave/shared';
import {
  addMember,
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import { expectError } from '../../server/src/test-support/expect-error';
import type { TestClient, TestResponse } from '../../server/src/test-support/test-client';

interface AuditPage {
  items: AuditEvent[];
}

interface Undone {
  record: WorkspaceRecord;
  event: AuditEvent;
}

/** An entity type with one field of each sortable kind, so lists can be checked against a model. */
const task: EntityTypeDef = {
  key: 'task',
  label: 'Task',
  pluralLabel: 'Tasks',
  titleField: 'title',
  fields: [
    { key: 'title', label: 'Title', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
    {
      key: 'status',
      label: 'Status',
      type: 'enum',
      required: true,
      indexed: true,
      sensitivity: 'normal',
      options: ['todo', 'doing', 'done'],
    },
    {
      key: 'points',
      label: 'Points',
      type: 'number',
      required: false,
      indexed: false,
      sensitivity: 'normal',
    },
    {
      key: 'budget',
      label: 'Budget',
      type: 'money',
      currency: 'EUR',
      required: false,
      indexed: false,
      sensitivity: 'normal',
    },
    {
      key: 'billable',
      label: 'Billable',
      type: 'boolean',
      required: false,
      indexed: false,
      sensitivity: 'normal',
    },
    { key: 'due', label: 'Due', type: 'date', required: false, indexed: false, sensitivity: 'normal' },
    {
      key: 'notes',
      label: 'Notes',
      type: 'longText',
      required: false,
      indexed: false,
      sensitivity: 'normal',
    },
  ],
};

type SortValue = string | number | boolean | null;

function sortValueOf(record: WorkspaceRecord, sort: string): SortValue {
  if (sort === 'createdAt') return record.createdAt;
  if (sort === 'updatedAt') return record.updatedAt;
  return (record.data[sort] as SortValue | undefined) ?? null;
}

/**
 * The order the API promises: by value, absent values first, ties broken by id (by code point);
 * descending is the exact reverse, so a page boundary inside a run of equal values is well defined.
 */
function expectedOrder(records: readonly WorkspaceRecord[], sort: string, order: 'asc' | 'desc'): string[] {
  const sorted = [...records].sort((x, y) => {
    const a = sortValueOf(x, sort);
    const b = sortValueOf(y, sort);
    if (a !== b) {
      if (a === null) return -1;
      if (b === null) return 1;
      return a < b ? -1 : 1;
    }
    return x.id < y.id ? -1 : 1;
  });
  const ids = sorted.map((r) => r.id);
  return order === 'asc' ? ids : ids.reverse();
}

describe('records over the API', () => {
  let t: TestServer;
  let owner: TestClient;
  let ws: string;
  let base: string;

  const create = async (type: string, data: Record<string, unknown>, id?: string) => {
    const res = await owner.post<WorkspaceRecord>(`${base}/records`, {
      type,
      data,
      ...(id === undefined ? {} : { id }),
    });
    expect(res.status, res.text).toBe(201);
    return res.body;
  };
  const get = (id: string) => owner.get<WorkspaceRecord>(`${base}/records/${id}`);
  const eventsOf = async (recordId: string) =>
    (await owner.get<AuditPage>(`${base}/audit?recordId=${recordId}`)).body.items;

  beforeAll(async () => {
    t = await startTestServer();
    owner = await createUser(t);
    ws = await createWorkspace(owner, 'Records Ltd');
    base = `/api/v1/workspaces/${ws}`;
  });
  afterAll(() => t.close());

  describe('one record', () => {
    it('creates, reads, changes, deletes softly and restores, one revision per change', async () => {
      const created = await create('client', { name: 'Globex', status: 'lead', email: 'ops@globex.example' });
      expect(created).toMatchObject({
        type: 'client',
        data: { name: 'Globex', status: 'lead', email: 'ops@globex.example' },
        rev: 1,
        deletedAt: null,
      });
      expect(created.updatedAt).toBe(created.createdAt);
      expect((await get(created.id)).body).toEqual(created);

      const patched = await owner.patch<WorkspaceRecord>(`${base}/records/${created.id}`, {
        data: { status: 'active', phone: '+44 20 7946 0000' },
      });
      expect(patched.status).toBe(200);
      // A patch changes the named fields and keeps the others.
      expect(patched.body.data).toEqual({
        name: 'Globex',
        status: 'active',
        email: 'ops@globex.example',
        phone: '+44 20 7946 0000',
      });
      expect(patched.body.rev).toBe(2);
      expect(patched.body.seq).toBeGreaterThan(created.seq);
      expect(patched.body.createdAt).toBe(created.createdAt);

      const deleted = await owner.delete<WorkspaceRecord>(`${base}/records/${created.id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body.rev).toBe(3);
      expect(deleted.body.deletedAt).not.toBeNull();
      // Soft: the record is still there to read, marked deleted, with its data.
      const afterDelete = await get(created.id);
      expect(afterDelete.status).toBe(200);
      expect(afterDelete.body).toEqual(deleted.body);
      expect(afterDelete.body.data).toEqual(patched.body.data);

      const listed = await owner.get<RecordPage>(`${base}/records?type=client&limit=500`);
      expect(listed.body.items.map((r) => r.id)).not.toContain(created.id);
      const withDeleted = await owner.get<RecordPage>(
        `${base}/records?type=client&limit=500&includeDeleted=true`,
      );
      expect(withDeleted.body.items.find((r) => r.id === created.id)).toEqual(deleted.body);

      // A deleted record cannot be changed or deleted again until it is restored.
      expectError(
        await owner.patch(`${base}/records/${created.id}`, { data: { name: 'Zombie' } }),
        409,
        'conflict',
      );
      expectError(await owner.delete(`${base}/records/${created.id}`), 409, 'conflict');

      const restored = await owner.post<WorkspaceRecord>(`${base}/records/${created.id}/restore`);
      expect(restored.status).toBe(200);
      expect(restored.body).toMatchObject({ rev: 4, deletedAt: null, data: patched.body.data });
      expectError(await owner.post(`${base}/records/${created.id}/restore`), 409, 'conflict');
      const relisted = await owner.get<RecordPage>(`${base}/records?type=client&limit=500`);
      expect(relisted.body.items.map((r) => r.id)).toContain(created.id);

      const actions = (await eventsOf(created.id)).map((e) => e.action);
      expect(actions).toEqual(['record.restore', 'record.delete', 'record.update', 'record.create']);
    });

    it('refuses a patch made against a stale revision and changes nothing', async () => {
      const created = await create('client', { name: 'Initech', status: 'lead' });
      const first = await owner.patch<WorkspaceRecord>(`${base}/records/${created.id}`, {
        data: { status: 'active' },
        rev: 1,
      });
      expect(first.status).toBe(200);
      expect(first.body.rev).toBe(2);

      // A second writer still holding revision 1 is told, not silently overwritten.
      const stale = await owner.patch(`${base}/records/${created.id}`, {
        data: { status: 'inactive' },
        rev: 1,
      });
      expectError(stale, 409, 'conflict');
      expect((await get(created.id)).body).toEqual(first.body);

      const current = await owner.patch<WorkspaceRecord>(`${base}/records/${created.id}`, {
        data: { status: 'inactive' },
        rev: 2,
      });
      expect(current.status).toBe(200);
      expect(current.body).toMatchObject({ rev: 3, data: { status: 'inactive' } });
    });

    it('clears an optional field with null, but not a required one', async () => {
      const created = await create('client', {
        name: 'Umbrella',
        status: 'active',
        email: 'hello@umbrella.example',
        notes: 'Met at the fair',
      });
      const cleared = await owner.patch<WorkspaceRecord>(`${base}/records/${created.id}`, {
        data: { email: null },
      });
      expect(cleared.status).toBe(200);
      expect(cleared.body.data).toEqual({ name: 'Umbrella', status: 'active', notes: 'Met at the fair' });
      expect(cleared.body.rev).toBe(2);

      for (const field of ['name', 'status']) {
        const res = await owner.patch(`${base}/records/${created.id}`, {
          data: { [field]: null, notes: 'x' },
        });
        expectError(res, 400, 'validation_failed');
        expect((res.body as ErrorBody).error.details).toEqual(
          expect.arrayContaining([expect.objectContaining({ path: `data.${field}` })]),
        );
      }
      // Nothing of the refused patches was applied, not even their valid part.
      expect((await get(created.id)).body).toEqual(cleared.body);
    });

    it('writes nothing, not even an audit event, for a patch that changes nothing', async () => {
      const created = await create('client', { name: 'Hooli', status: 'lead', phone: '+1 555 0100' });
      const before = await eventsOf(created.id);
      expect(before).toHaveLength(1);

      const same = await owner.patch<WorkspaceRecord>(`${base}/records/${created.id}`, {
        data: { name: 'Hooli', status: 'lead' },
        rev: 1,
      });
      expect(same.status).toBe(200);
      expect(same.body).toEqual(created);
      // Clearing a field that is already absent is no change either.
      const clearAbsent = await owner.patch<WorkspaceRecord>(`${base}/records/${created.id}`, {
        data: { email: null },
      });
      expect(clearAbsent.body).toEqual(created);

      expect(await eventsOf(created.id)).toEqual(before);
      expect((await get(created.id)).body).toEqual(created);
    });

    it('keeps an id chosen by the client, and refuses a taken one whatever its type or state', async () => {
      const chosen = await create('client', { name: 'Client With Id', status: 'lead' }, 'client_Chosen-01');
      expect(chosen.id).toBe('client_Chosen-01');
      expect((await get('client_Chosen-01')).body).toEqual(chosen);

      const dupSameType = await owner.post(`${base}/records`, {
        type: 'client',
        id: 'client_Chosen-01',
        data: { name: 'Impostor', status: 'lead' },
      });
      expectError(dupSameType, 409, 'conflict');
      const dupOtherType = await owner.post(`${base}/records`, {
        type: 'ticket',
        id: 'client_Chosen-01',
        data: { subject: 'Impostor', priority: 'low', status: 'open' },
      });
      expectError(dupOtherType, 409, 'conflict');

      // A deleted record still owns its id: reusing it would overwrite what a restore brings back.
      await owner.delete(`${base}/records/client_Chosen-01`);
      const dupDeleted = await owner.post(`${base}/records`, {
        type: 'client',
        id: 'client_Chosen-01',
        data: { name: 'Impostor', status: 'lead' },
      });
      expectError(dupDeleted, 409, 'conflict');
      expect((await get('client_Chosen-01')).body.data).toEqual(chosen.data);

      // Without an id, the server picks distinct ones.
      const a = await create('client', { name: 'A', status: 'lead' });
      const b = await create('client', { name: 'B', status: 'lead' });
      expect(a.id).not.toBe(b.id);
    });

    it('accepts a reference only to a live record of the referenced type', async () => {
      const client = await create('client', { name: 'Referenced', status: 'active' });
      const ticket = await create('ticket', { subject: 'Not a client', priority: 'low', status: 'open' });
      const gone = await create('client', { name: 'Gone', status: 'lead' });
      await owner.delete(`${base}/records/${gone.id}`);
      const invoice = (clientId: string) => ({
        type: 'invoice',
        data: { number: 'INV-1', client: clientId, amount: 1000, issued_on: '2025-01-31', status: 'draft' },
      });

      for (const target of ['no-such-record', ticket.id, gone.id]) {
        const res = await owner.post(`${base}/records`, invoice(target));
        expectError(res, 400, 'validation_failed');
        expect((res.body as ErrorBody).error.details).toEqual([
          expect.objectContaining({ path: 'data.client' }),
        ]);
      }
      const ok = await owner.post<WorkspaceRecord>(`${base}/records`, invoice(client.id));
      expect(ok.status).toBe(201);
      expect(ok.body.data.client).toBe(client.id);

      // The same holds for a patch, and for an optional reference, which null clears.
      const patchToTicket = await owner.patch(`${base}/records/${ok.body.id}`, {
        data: { client: ticket.id },
      });
      expectError(patchToTicket, 400, 'validation_failed');
      const linked = await owner.patch<WorkspaceRecord>(`${base}/records/${ticket.id}`, {
        data: { client: client.id },
      });
      expect(linked.body.data.client).toBe(client.id);
      expectError(
        await owner.patch(`${base}/records/${ticket.id}`, { data: { client: ok.body.id } }),
        400,
        'validation_failed',
      );
      const unlinked = await owner.patch<WorkspaceRecord>(`${base}/records/${ticket.id}`, {
        data: { client: null },
      });
      expect(unlinked.body.data).not.toHaveProperty('client');
      expect((await get(ok.body.id)).body.data.client).toBe(client.id);
    });
  });

  describe('lists', () => {
    let listWs: string;
    let listBase: string;
    /** The model: every task as the server last returned it. */
    const tasks = new Map<string, WorkspaceRecord>();
    const live = () => [...tasks.values()].filter((r) => r.deletedAt === null);

    const ids = async (query: string) => {
      const res = await owner.get<RecordPage>(`${listBase}/records?type=task&limit=500&${query}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.nextCursor).toBeNull();
      return res.body.items.map((r) => r.id);
    };
    const sorted = (list: string[]) => [...list].sort();
    const matching = (predicate: (data: Record<string, unknown>) => boolean) =>
      sorted(
        live()
          .filter((r) => predicate(r.data))
          .map((r) => r.id),
      );

    async function pageThrough(query: string, limit: number): Promise<string[]> {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 100; pages++) {
        const after: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const res: TestResponse<RecordPage> = await owner.get<RecordPage>(
          `${listBase}/records?type=task&limit=${limit}&${query}${after}`,
        );
        expect(res.status, res.text).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(limit);
        seen.push(...res.body.items.map((r) => r.id));
        cursor = res.body.nextCursor;
        if (cursor === null) return seen;
        expect(res.body.items).toHaveLength(limit);
      }
      throw new Error('pagination did not end');
    }

    beforeAll(async () => {
      listWs = await createWorkspace(owner, 'Lists Ltd');
      listBase = `/api/v1/workspaces/${listWs}`;
      const put = await owner.put(`${listBase}/schema/entity-types/task`, task);
      expect(put.status, put.text).toBe(200);

      const titles = ['Alpha report', 'beta review', 'Gamma plan', 'alphabet soup', 'Delta'];
      for (let i = 0; i < 25; i++) {
        const data: Record<string, unknown> = {
          // Five titles for 25 records: sorting by title is mostly ties, broken by id.
          title: titles[i % 5],
          status: ['todo', 'doing', 'done'][i % 3],
        };
        if (i % 6 !== 5) data.points = [3, 1, 2.5, 3, 8][i % 5];
        if (i % 4 !== 0) data.budget = (i % 3) * 10_000 + 500;
        if (i % 5 !== 0) data.billable = i % 2 === 0;
        if (i % 7 !== 0) data.due = `2025-0${(i % 9) + 1}-15`;
        if (i % 8 === 3) data.notes = 'Mentions the NEEDLE in passing';
        // Ids in another order than creation, so that id tie-breaks and time order differ.
        const id = `task-${String((i * 7) % 25).padStart(2, '0')}`;
        const res = await owner.post<WorkspaceRecord>(`${listBase}/records`, { type: 'task', id, data });
        expect(res.status, res.text).toBe(201);
        tasks.set(id, res.body);
      }
      // Later changes to a few records, so that updatedAt order differs from createdAt order.
      for (const id of ['task-03', 'task-17', 'task-00']) {
        const res = await owner.patch<WorkspaceRecord>(`${listBase}/records/${id}`, {
          data: { status: 'doing' },
        });
        tasks.set(id, res.body);
      }
      for (const id of ['task-05', 'task-12']) {
        const res = await owner.delete<WorkspaceRecord>(`${listBase}/records/${id}`);
        tasks.set(id, res.body);
      }
      // A record of another type is never listed with tasks.
      await owner.post(`${listBase}/records`, {
        type: 'client',
        data: { name: 'Alpha client', status: 'lead' },
      });
    });

    it('lists one type, live records only unless deleted ones are asked for', async () => {
      expect(sorted(await ids(''))).toEqual(sorted(live().map((r) => r.id)));
      expect(sorted(await ids('includeDeleted=true'))).toEqual(sorted([...tasks.keys()]));
      expect(sorted(await ids('includeDeleted=false'))).toEqual(sorted(live().map((r) => r.id)));
      const deleted = (
        await owner.get<RecordPage>(`${listBase}/records?type=task&limit=500&includeDeleted=true`)
      ).body.items
        .filter((r) => r.deletedAt !== null)
        .map((r) => r.id);
      expect(sorted(deleted)).toEqual(['task-05', 'task-12']);
    });

    it.each([
      ['status:eq:doing', (d: Record<string, unknown>) => d.status === 'doing'],
      ['status:ne:doing', (d: Record<string, unknown>) => d.status !== 'doing'],
      ['points:lt:3', (d: Record<string, unknown>) => typeof d.points === 'number' && d.points < 3],
      ['points:gte:3', (d: Record<string, unknown>) => typeof d.points === 'number' && d.points >= 3],
      ['points:eq:2.5', (d: Record<string, unknown>) => d.points === 2.5],
      ['budget:lt:10500', (d: Record<string, unknown>) => typeof d.budget === 'number' && d.budget < 10_500],
      [
        'budget:gte:10500',
        (d: Record<string, unknown>) => typeof d.budget === 'number' && d.budget >= 10_500,
      ],
      ['budget:gt:10500', (d: Record<string, unknown>) => typeof d.budget === 'number' && d.budget > 10_500],
      [
        'due:lte:2025-03-15',
        (d: Record<string, unknown>) => typeof d.due === 'string' && d.due <= '2025-03-15',
      ],
      [
        'title:contains:ALPHA',
        (d: Record<string, unknown>) =>
          typeof d.title === 'string' && d.title.toLowerCase().includes('alpha'),
      ],
      ['billable:eq:true', (d: Record<string, unknown>) => d.billable === true],
      ['billable:eq:false', (d: Record<string, unknown>) => d.billable === false],
    ])('filters %s, comparing as the field’s type', async (filter, predicate) => {
      const expected = matching(predicate);
      // A filter that matched everything or nothing would prove little.
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(live().length);
      expect(sorted(await ids(`filter=${encodeURIComponent(filter)}`))).toEqual(expected);
    });

    it('combines several filters with AND', async () => {
      const expected = matching(
        (d) => d.status !== 'done' && typeof d.points === 'number' && d.points >= 2.5 && d.billable === true,
      );
      expect(expected.length).toBeGreaterThan(0);
      const query = ['status:ne:done', 'points:gte:2.5', 'billable:eq:true']
        .map((f) => `filter=${encodeURIComponent(f)}`)
        .join('&');
      expect(sorted(await ids(query))).toEqual(expected);
    });

    it('searches text fields case-insensitively with q, alone or with filters', async () => {
      const byNotes = matching((d) => typeof d.notes === 'string');
      expect(byNotes.length).toBeGreaterThan(0);
      expect(sorted(await ids('q=needle'))).toEqual(byNotes);
      expect(sorted(await ids('q=BETA%20REV'))).toEqual(matching((d) => d.title === 'beta review'));
      expect(sorted(await ids(`q=alpha&filter=${encodeURIComponent('status:eq:todo')}`))).toEqual(
        matching((d) => String(d.title).toLowerCase().includes('alpha') && d.status === 'todo'),
      );
      expect(await ids('q=nothing-like-this')).toEqual([]);
    });

    it('refuses filters and sorts on unknown fields, and values not of the field’s type', async () => {
      for (const query of [
        `filter=${encodeURIComponent('nope:eq:1')}`,
        `filter=${encodeURIComponent('points:gt:many')}`,
        `filter=${encodeURIComponent('billable:eq:yes')}`,
        `filter=${encodeURIComponent('points>3')}`,
        'sort=nope',
      ]) {
        expectError(await owner.get(`${listBase}/records?type=task&${query}`), 400, 'validation_failed');
      }
    });

    it.each([
      ['points', 'asc'],
      ['points', 'desc'],
      ['budget', 'asc'],
      ['budget', 'desc'],
      ['billable', 'asc'],
      ['billable', 'desc'],
      ['title', 'asc'],
      ['title', 'desc'],
      ['due', 'desc'],
      ['createdAt', 'asc'],
      ['createdAt', 'desc'],
      ['updatedAt', 'asc'],
      ['updatedAt', 'desc'],
    ] as const)(
      'sorts by %s %s, and pages of 4 visit every record once in that order',
      async (sort, order) => {
        const expected = expectedOrder(live(), sort, order);
        expect(await ids(`sort=${sort}&order=${order}`)).toEqual(expected);
        const paged = await pageThrough(`sort=${sort}&order=${order}`, 4);
        expect(paged).toEqual(expected);
      },
    );

    it('sorts by updatedAt, newest first, by default', async () => {
      expect(await ids('')).toEqual(expectedOrder(live(), 'updatedAt', 'desc'));
    });

    it('pages through filtered lists and lists with deleted records too', async () => {
      const filtered = expectedOrder(
        live().filter((r) => r.data.status !== 'todo'),
        'points',
        'asc',
      );
      expect(
        await pageThrough(`sort=points&order=asc&filter=${encodeURIComponent('status:ne:todo')}`, 4),
      ).toEqual(filtered);
      expect(await pageThrough('sort=due&order=asc&includeDeleted=true', 4)).toEqual(
        expectedOrder([...tasks.values()], 'due', 'asc'),
      );
    });

    it('refuses a cursor made for another sort, or one that was tampered with', async () => {
      const first = await owner.get<RecordPage>(
        `${listBase}/records?type=task&limit=4&sort=points&order=asc`,
      );
      const cursor = first.body.nextCursor;
      expect(cursor).not.toBeNull();
      const c = encodeURIComponent(cursor ?? '');
      expectError(
        await owner.get(`${listBase}/records?type=task&limit=4&sort=title&order=asc&cursor=${c}`),
        400,
        'bad_request',
      );
      expectError(
        await owner.get(`${listBase}/records?type=task&limit=4&sort=points&order=desc&cursor=${c}`),
        400,
        'bad_request',
      );
      expectError(
        await owner.get(`${listBase}/records?type=task&limit=4&sort=points&order=asc&cursor=not-a-cursor`),
        400,
        'bad_request',
      );
    });
  });

  describe('undo from the audit log', () => {
    const undo = (eventId: string) => owner.post<Undone>(`${base}/audit/${eventId}/undo`);
    const lastEvent = async (recordId: string, action: string) => {
      const event = (await eventsOf(recordId)).find((e) => e.action === action);
      if (!event) throw new Error(`no ${action} event for ${recordId}`);
      return event;
    };

    it('undoes a create by deleting the record, as an audited revert', async () => {
      const created = await create('client', { name: 'Undo Create', status: 'lead' });
      const event = await lastEvent(created.id, 'record.create');
      const res = await undo(event.id);
      expect(res.status, res.text).toBe(200);
      expect(res.body.record).toMatchObject({ id: created.id, rev: 2, data: created.data });
      expect(res.body.record.deletedAt).not.toBeNull();
      expect(res.body.event).toMatchObject({
        action: 'record.revert',
        target: { kind: 'record', entityType: 'client', id: created.id },
        details: { revertedEventId: event.id },
        before: { rev: 1, deletedAt: null },
        after: { rev: 2 },
      });
      expect((await get(created.id)).body).toEqual(res.body.record);
      expect((await eventsOf(created.id)).map((e) => e.action)).toEqual(['record.revert', 'record.create']);
    });

    it('undoes an update by bringing back the previous data', async () => {
      const created = await create('client', { name: 'Undo Update', status: 'lead', notes: 'first' });
      await owner.patch(`${base}/records/${created.id}`, {
        data: { status: 'active', notes: null, email: 'new@undo.example' },
      });
      const event = await lastEvent(created.id, 'record.update');
      const res = await undo(event.id);
      expect(res.status, res.text).toBe(200);
      expect(res.body.record).toMatchObject({ rev: 3, deletedAt: null, data: created.data });
      expect((await get(created.id)).body.data).toEqual({
        name: 'Undo Update',
        status: 'lead',
        notes: 'first',
      });
      const revert = await lastEvent(created.id, 'record.revert');
      expect(revert.id).toBe(res.body.event.id);
      expect(revert.details).toEqual({ revertedEventId: event.id });
      expect(revert.before).toMatchObject({ data: { status: 'active', email: 'new@undo.example' } });
      expect(revert.after).toMatchObject({ data: created.data });
    });

    it('undoes a delete by restoring the record', async () => {
      const created = await create('client', { name: 'Undo Delete', status: 'inactive' });
      await owner.delete(`${base}/records/${created.id}`);
      const event = await lastEvent(created.id, 'record.delete');
      const res = await undo(event.id);
      expect(res.status, res.text).toBe(200);
      expect(res.body.record).toMatchObject({ rev: 3, deletedAt: null, data: created.data });
      const listed = await owner.get<RecordPage>(`${base}/records?type=client&limit=500`);
      expect(listed.body.items.map((r) => r.id)).toContain(created.id);
      expect(res.body.event.action).toBe('record.revert');
    });

    it('refuses to undo an event whose record has changed since, and changes nothing', async () => {
      const created = await create('client', { name: 'Moved On', status: 'lead' });
      await owner.patch(`${base}/records/${created.id}`, { data: { status: 'active' } });
      const firstUpdate = await lastEvent(created.id, 'record.update');
      const latest = await owner.patch<WorkspaceRecord>(`${base}/records/${created.id}`, {
        data: { status: 'inactive' },
      });
      const eventsBefore = await eventsOf(created.id);

      expectError(await undo(firstUpdate.id), 409, 'conflict');
      const createEvent = await lastEvent(created.id, 'record.create');
      expectError(await undo(createEvent.id), 409, 'conflict');
      expect((await get(created.id)).body).toEqual(latest.body);
      expect(await eventsOf(created.id)).toEqual(eventsBefore);
    });

    it('undoes record events only, and only for those who may', async () => {
      const all = await owner.get<AuditPage>(`${base}/audit?action=workspace.create`);
      const workspaceEvent = all.body.items[0];
      expect(workspaceEvent).toBeDefined();
      expectError(await undo(workspaceEvent?.id ?? ''), 404, 'not_found');

      // A member without access to the audit log may undo their own changes, not someone else's.
      const member = await createUser(t);
      await addMember(owner, ws, member, ['member']);
      const ownersRecord = await create('client', { name: 'Owner Made', status: 'lead' });
      const ownersEvent = await lastEvent(ownersRecord.id, 'record.create');
      expectError(await member.post(`${base}/audit/${ownersEvent.id}/undo`), 403, 'forbidden');
      expect((await get(ownersRecord.id)).body.deletedAt).toBeNull();

      const mine = await member.post<WorkspaceRecord>(`${base}/records`, {
        type: 'client',
        data: { name: 'Member Made', status: 'lead' },
      });
      const mineEvent = await lastEvent(mine.body.id, 'record.create');
      const undone = await member.post<Undone>(`${base}/audit/${mineEvent.id}/undo`);
      expect(undone.status, undone.text).toBe(200);
      expect(undone.body.event.actor.id).toBe(member.userId);

      const verify = await owner.get<{ ok: boolean }>(`${base}/audit/verify`);
      expect(verify.body.ok).toBe(true);
    });
  });
});
