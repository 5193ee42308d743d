import { describe, expect, it } from 'vitest';
import type { AuditEvent, WorkspaceSchema } from '@enclave/shared';
import { auditActionChoices, changesOf, summarise } from './activity-diff';

const schema: WorkspaceSchema = {
  version: 1,
  entityTypes: [
    {
      key: 'client',
      label: 'Client',
      pluralLabel: 'Clients',
      titleField: 'name',
      fields: [
        { key: 'name', label: 'Name', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
        {
          key: 'status',
          label: 'Status',
          type: 'enum',
          required: true,
          indexed: true,
          sensitivity: 'normal',
          options: ['lead', 'active'],
        },
        {
          key: 'fee',
          label: 'Fee',
          type: 'money',
          currency: 'EUR',
          required: false,
          indexed: false,
          sensitivity: 'normal',
        },
        {
          key: 'tax_id',
          label: 'Tax id',
          type: 'text',
          required: false,
          indexed: false,
          sensitivity: 'secret',
        },
      ],
    },
  ],
};

function event(partial: Partial<AuditEvent>): AuditEvent {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    seq: 7,
    time: '2024-05-01T10:00:00.000Z',
    actor: { kind: 'user', id: 'u1', label: 'Ada Lovelace' },
    action: 'record.update',
    target: { kind: 'record', entityType: 'client', id: 'c1' },
    before: null,
    after: null,
    ip: null,
    userAgent: null,
    requestId: null,
    details: null,
    prevHash: '',
    hash: '',
    ...partial,
  };
}

const snapshot = (data: Record<string, unknown>, rev = 1) => ({
  id: 'c1',
  type: 'client',
  data,
  rev,
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
  deletedAt: null,
});

describe('changesOf', () => {
  it('lists the changed fields of a record, in schema order, formatted and labelled', () => {
    const changes = changesOf(
      event({
        before: snapshot({ name: 'Acme', status: 'lead', fee: 1000, legacy: 'x' }),
        after: snapshot({ name: 'Acme', status: 'active', fee: 125050, tax_id: 'DE123' }, 2),
      }),
      schema,
    );
    const fee = changes.find((c) => c.key === 'fee');
    expect(fee?.before).toMatch(/10\.00/);
    expect(fee?.after).toMatch(/1,250\.50/);
    expect(changes.map((c) => (c.key === 'fee' ? { ...c, before: '', after: '' } : c))).toEqual([
      { key: 'status', label: 'Status', before: 'Lead', after: 'Active', secret: false },
      { key: 'fee', label: 'Fee', before: '', after: '', secret: false },
      { key: 'tax_id', label: 'Tax id', before: '', after: 'DE123', secret: true },
      { key: 'legacy', label: 'Legacy', before: 'x', after: '', secret: false },
    ]);
  });

  it('shows every field of a created record as new', () => {
    const changes = changesOf(
      event({ action: 'record.create', after: snapshot({ name: 'Beta', status: 'lead' }) }),
      schema,
    );
    expect(changes.map((c) => [c.key, c.before, c.after])).toEqual([
      ['name', '', 'Beta'],
      ['status', '', 'Lead'],
    ]);
  });

  it('finds no field change in a deletion (only bookkeeping moved)', () => {
    const before = snapshot({ name: 'Acme', status: 'lead' });
    const after = { ...snapshot({ name: 'Acme', status: 'lead' }, 2), deletedAt: '2024-05-01T10:00:00.000Z' };
    expect(changesOf(event({ action: 'record.delete', before, after }), schema)).toEqual([]);
  });

  it('compares the top-level values of other events, skipping bookkeeping', () => {
    const changes = changesOf(
      event({
        action: 'device.rename',
        target: { kind: 'device', entityType: null, id: 'd1' },
        before: { id: 'd1', name: 'Old laptop', updatedAt: 'a' },
        after: { id: 'd1', name: 'New laptop', updatedAt: 'b' },
      }),
      schema,
    );
    expect(changes).toEqual([
      { key: 'name', label: 'Name', before: 'Old laptop', after: 'New laptop', secret: false },
    ]);
  });
});

describe('summarise', () => {
  it('names the record by its title and the action by a verb', () => {
    const summary = summarise(event({ after: snapshot({ name: 'Acme Ltd', status: 'lead' }) }), schema);
    expect(summary).toEqual({ verb: 'edited', target: 'Client “Acme Ltd”' });
  });

  it('falls back to the before state for a record without an after state', () => {
    const summary = summarise(
      event({ action: 'record.delete', before: snapshot({ name: 'Gone Inc' }), after: null }),
      schema,
    );
    expect(summary).toEqual({ verb: 'deleted', target: 'Client “Gone Inc”' });
  });

  it('describes known and unknown non-record actions', () => {
    expect(
      summarise(
        event({
          action: 'device.pair',
          target: { kind: 'device', entityType: null, id: 'd' },
          after: { name: 'Mac' },
        }),
        schema,
      ),
    ).toEqual({ verb: 'paired a device', target: '“Mac”' });
    expect(
      summarise(
        event({
          action: 'audit.exported',
          target: { kind: 'workspace', entityType: null, id: 'w' },
          details: { format: 'csv', filter: {} },
        }),
        schema,
      ),
    ).toEqual({ verb: 'exported the audit log', target: null });
    expect(
      summarise(
        event({ action: 'role.create', target: { kind: 'role', entityType: null, id: 'r' } }),
        schema,
      ),
    ).toEqual({ verb: 'created a role', target: null });
    expect(
      summarise(
        event({ action: 'widget.polish', target: { kind: 'workspace', entityType: null, id: 'w' } }),
        schema,
      ),
    ).toEqual({ verb: 'polish widget', target: null });
  });

  it('names the invited address, and not a joining member twice', () => {
    const member = { kind: 'member' as const, entityType: null, id: 'u2' };
    expect(
      summarise(
        event({
          action: 'member.invite',
          target: member,
          after: { email: 'bo@example.com', roles: ['member'] },
        }),
        schema,
      ),
    ).toEqual({ verb: 'invited a member', target: '“bo@example.com”' });
    expect(
      summarise(
        event({
          action: 'member.join',
          target: member,
          after: { userId: 'u2', name: 'Bo', email: 'bo@example.com' },
        }),
        schema,
      ),
    ).toEqual({ verb: 'joined the workspace', target: null });
  });

  it('names a record type by its label in schema events', () => {
    expect(
      summarise(
        event({
          action: 'schema.createEntityType',
          target: { kind: 'schema', entityType: 'matter', id: 'matter' },
          after: { key: 'matter', label: 'Matter', fields: [] },
        }),
        schema,
      ),
    ).toEqual({ verb: 'added a record type', target: '“Matter”' });
  });
});

describe('auditActionChoices', () => {
  it('offers every action the log words, once, grouped by what it is about', () => {
    const groups = auditActionChoices();
    expect(groups.map((g) => g.label)).toEqual([
      'Records',
      'Members',
      'Devices',
      'Roles',
      'Schema',
      'Workspace',
      'Audit log',
    ]);
    const all = groups.flatMap((g) => g.actions);
    expect(new Set(all.map((c) => c.action)).size).toBe(all.length);
    expect(all).toContainEqual({ action: 'record.update', label: 'Edited a record' });
    expect(all).toContainEqual({ action: 'record.revert', label: 'Undid a change to a record' });
    expect(all).toContainEqual({ action: 'device.pair', label: 'Paired a device' });
    expect(all).toContainEqual({
      action: 'device.wipe_confirmed',
      label: 'A device confirmed it deleted its local copy',
    });
  });
});
