import { describe, expect, it } from 'vitest';
import type { EntityTypeDef } from '@enclave/shared';
import type { RecordRow } from './fields';
import {
  applyListQuery,
  DEFAULT_LIST_QUERY,
  filterableFields,
  sortChoices,
  sortOptions,
  type ListQuery,
} from './list-view';

const client: EntityTypeDef = {
  key: 'client',
  label: 'Client',
  pluralLabel: 'Clients',
  titleField: 'name',
  fields: [
    { key: 'name', label: 'Name', type: 'text', required: true, indexed: true, sensitivity: 'normal' },
    { key: 'email', label: 'Email', type: 'email', required: false, indexed: true, sensitivity: 'pii' },
    {
      key: 'status',
      label: 'Status',
      type: 'enum',
      required: true,
      indexed: true,
      sensitivity: 'normal',
      options: ['lead', 'active', 'inactive'],
    },
    { key: 'rank', label: 'Rank', type: 'number', required: false, indexed: true, sensitivity: 'normal' },
    { key: 'vip', label: 'VIP', type: 'boolean', required: false, indexed: false, sensitivity: 'normal' },
    { key: 'notes', label: 'Notes', type: 'longText', required: false, indexed: false, sensitivity: 'pii' },
    { key: 'tax_id', label: 'Tax id', type: 'text', required: false, indexed: true, sensitivity: 'secret' },
  ],
};

const row = (id: string, data: Record<string, unknown>, updatedAt?: string): RecordRow => ({
  id,
  type: 'client',
  data,
  ...(updatedAt ? { updatedAt } : {}),
});

const rows: RecordRow[] = [
  row(
    '1',
    { name: 'Acme Ltd', status: 'active', rank: 10, notes: 'Based in London' },
    '2024-03-01T00:00:00Z',
  ),
  row('2', { name: 'beta GmbH', status: 'lead', rank: 2, vip: true }, '2024-01-01T00:00:00Z'),
  row('3', { name: 'Client 10', status: 'inactive', email: 'ops@gamma.example', tax_id: 'SECRET-42' }),
  row('4', { name: 'Client 9', status: 'active', rank: 2 }, '2024-02-01T00:00:00Z'),
];

const ids = (query: Partial<ListQuery>) =>
  applyListQuery(rows, client, { ...DEFAULT_LIST_QUERY, ...query }).map((r) => r.id);

describe('applyListQuery', () => {
  it('sorts by title case-insensitively and with numbers in numeric order', () => {
    expect(ids({})).toEqual(['1', '2', '4', '3']);
    expect(ids({ direction: 'desc' })).toEqual(['3', '4', '2', '1']);
  });

  it('searches the title and text fields, case-insensitively, every word anywhere', () => {
    expect(ids({ search: 'ACME' })).toEqual(['1']);
    expect(ids({ search: 'london acme' })).toEqual(['1']);
    expect(ids({ search: 'gamma.example' })).toEqual(['3']);
    expect(ids({ search: 'client' })).toEqual(['4', '3']);
    expect(ids({ search: 'acme paris' })).toEqual([]);
  });

  it('never matches on secret fields', () => {
    expect(ids({ search: 'secret-42' })).toEqual([]);
  });

  it('filters on enum values and booleans (absent reads as no)', () => {
    expect(ids({ filters: { status: 'active' } })).toEqual(['1', '4']);
    expect(ids({ filters: { status: 'active', vip: '' } })).toEqual(['1', '4']);
    expect(ids({ filters: { vip: 'true' } })).toEqual(['2']);
    expect(ids({ filters: { vip: 'false' } })).toEqual(['1', '4', '3']);
    expect(ids({ filters: { status: 'active' }, search: 'client' })).toEqual(['4']);
  });

  it('sorts numbers numerically with absent values first, ties by id', () => {
    expect(ids({ sort: 'field:rank' })).toEqual(['3', '2', '4', '1']);
    expect(ids({ sort: 'field:rank', direction: 'desc' })).toEqual(['1', '2', '4', '3']);
  });

  it('puts records not yet synced (no server time) first when newest first', () => {
    expect(ids({ sort: 'updated', direction: 'desc' })).toEqual(['3', '1', '4', '2']);
  });

  it('sorts references by the referenced record’s title', () => {
    const invoice: EntityTypeDef = {
      key: 'invoice',
      label: 'Invoice',
      pluralLabel: 'Invoices',
      titleField: 'number',
      fields: [
        {
          key: 'number',
          label: 'Number',
          type: 'text',
          required: true,
          indexed: true,
          sensitivity: 'normal',
        },
        {
          key: 'client',
          label: 'Client',
          type: 'reference',
          refType: 'client',
          required: true,
          indexed: true,
          sensitivity: 'normal',
        },
      ],
    };
    const invoices = [
      { id: 'i1', type: 'invoice', data: { number: 'A', client: 'c-z' } },
      { id: 'i2', type: 'invoice', data: { number: 'B', client: 'c-a' } },
    ];
    const titles = (_type: string, id: string) => ({ 'c-z': 'Aardvark', 'c-a': 'Zebra' })[id];
    const sorted = applyListQuery(invoices, invoice, { ...DEFAULT_LIST_QUERY, sort: 'field:client' }, titles);
    expect(sorted.map((r) => r.id)).toEqual(['i1', 'i2']);
  });

  it('notices a changed record: the search cache follows the data object', () => {
    const changing = [row('x', { name: 'Old name', status: 'lead' })];
    const query = { ...DEFAULT_LIST_QUERY, search: 'new' };
    expect(applyListQuery(changing, client, query)).toHaveLength(0);
    changing[0] = row('x', { name: 'New name', status: 'lead' });
    expect(applyListQuery(changing, client, query)).toHaveLength(1);
  });
});

describe('sortChoices and filterableFields', () => {
  it('offers title, last updated and the indexed fields that are not secret', () => {
    expect(sortChoices(client).map((c) => c.key)).toEqual([
      'title',
      'updated',
      'field:email',
      'field:status',
      'field:rank',
    ]);
  });

  it('filters by enums and booleans', () => {
    expect(filterableFields(client).map((f) => f.key)).toEqual(['status', 'vip']);
  });
});

describe('sortOptions', () => {
  it('words each direction for its kind of value', () => {
    const options = sortOptions(client);
    expect(options.map((o) => o.value).slice(0, 4)).toEqual([
      'title|asc',
      'title|desc',
      'updated|desc',
      'updated|asc',
    ]);
    expect(options.find((o) => o.value === 'updated|desc')?.label).toBe('Last updated, newest first');
    expect(options.find((o) => o.value === 'field:rank|desc')?.label).toBe('Rank, highest first');
    expect(options.find((o) => o.value === 'title|asc')).toMatchObject({
      label: 'Name, A–Z',
      sort: 'title',
      direction: 'asc',
    });
  });
});
