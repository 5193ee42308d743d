import type { EntityTypeDef, FieldDef, FilterOp } from '@enclave/shared';
import { formatMoney, humanise, sortOptions } from '@enclave/ui';

/**
 * What the records page shows, all of it in the address (`?type=invoice&record=<id>&q=…`), so
 * that a view can be reloaded, shared and gone back to.
 */
export interface RecordsView {
  type: string | null;
  record: string | null;
  q: string;
  sort: string;
  order: 'asc' | 'desc';
  /** `field:op:value`, as the server takes them. */
  filters: string[];
  deleted: boolean;
}

export const MAX_FILTERS = 10;

export function viewOf(query: URLSearchParams): RecordsView {
  const order = query.get('order');
  return {
    type: query.get('type'),
    record: query.get('record'),
    q: query.get('q') ?? '',
    sort: query.get('sort') ?? 'updatedAt',
    order: order === 'asc' ? 'asc' : 'desc',
    filters: query.getAll('filter').slice(0, MAX_FILTERS),
    deleted: query.get('deleted') === 'true',
  };
}

/** The address of a view: defaults are left out, so plain links stay plain. */
export function searchOf(view: RecordsView): string {
  const query = new URLSearchParams();
  if (view.type) query.set('type', view.type);
  if (view.q) query.set('q', view.q);
  if (view.sort !== 'updatedAt' || view.order !== 'desc') {
    query.set('sort', view.sort);
    query.set('order', view.order);
  }
  for (const filter of view.filters) query.append('filter', filter);
  if (view.deleted) query.set('deleted', 'true');
  if (view.record) query.set('record', view.record);
  const text = query.toString();
  return text ? `?${text}` : '';
}

export interface SortChoice {
  /** `<sort>|<order>`, the value of the sort menu. */
  value: string;
  label: string;
  sort: string;
  order: 'asc' | 'desc';
}

/**
 * The sorts the server does, worded as the desktop words them: the title, last change, creation,
 * and every indexed field that is not secret (sorting would leak a secret's order).
 */
export function sortChoices(entity: EntityTypeDef): SortChoice[] {
  const choices = sortOptions(entity).map((option) => {
    const sort =
      option.sort === 'title'
        ? entity.titleField
        : option.sort === 'updated'
          ? 'updatedAt'
          : option.sort.slice('field:'.length);
    return { value: `${sort}|${option.direction}`, label: option.label, sort, order: option.direction };
  });
  choices.push(
    { value: 'createdAt|desc', label: 'Created, newest first', sort: 'createdAt', order: 'desc' },
    { value: 'createdAt|asc', label: 'Created, oldest first', sort: 'createdAt', order: 'asc' },
  );
  return choices;
}

/** Fields a list can be filtered by: the indexed ones (the server answers those from an index), never a secret one. */
export function filterFields(entity: EntityTypeDef): FieldDef[] {
  return entity.fields.filter((field) => field.indexed && field.sensitivity !== 'secret');
}

const TEXT_OPS: FilterOp[] = ['contains', 'eq', 'ne'];
const ORDERED_OPS: FilterOp[] = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte'];

/** The comparisons that make sense for a field's type. */
export function opsFor(field: FieldDef): FilterOp[] {
  switch (field.type) {
    case 'text':
    case 'longText':
    case 'email':
    case 'phone':
      return TEXT_OPS;
    case 'number':
    case 'money':
    case 'date':
      return ORDERED_OPS;
    case 'boolean':
      return ['eq'];
    default:
      return ['eq', 'ne'];
  }
}

export function opLabel(field: FieldDef, op: FilterOp): string {
  const dated = field.type === 'date';
  switch (op) {
    case 'contains':
      return 'contains';
    case 'eq':
      return 'is';
    case 'ne':
      return 'is not';
    case 'lt':
      return dated ? 'is before' : 'is less than';
    case 'lte':
      return dated ? 'is on or before' : 'is at most';
    case 'gt':
      return dated ? 'is after' : 'is more than';
    case 'gte':
      return dated ? 'is on or after' : 'is at least';
  }
}

export interface ParsedFilter {
  field: FieldDef;
  op: FilterOp;
  value: string;
}

/** A filter of the address, if it names a field of this type and an operator the field takes. */
export function parseFilter(entity: EntityTypeDef, raw: string): ParsedFilter | null {
  const match = /^([a-z][a-z0-9_]{0,39}):(eq|ne|lt|lte|gt|gte|contains):(.*)$/s.exec(raw);
  if (!match) return null;
  const field = entity.fields.find((f) => f.key === match[1]);
  const op = match[2] as FilterOp;
  if (!field || !opsFor(field).includes(op)) return null;
  return { field, op, value: match[3] ?? '' };
}

/** A filter in words, for its chip: "Status is Paid", "Amount is at least €100.00". */
export function filterWords(
  filter: ParsedFilter,
  title: (type: string, id: string) => string | undefined,
): string {
  const { field, op, value } = filter;
  let shown = value;
  if (field.type === 'enum') shown = humanise(value);
  else if (field.type === 'boolean') shown = value === 'true' ? 'yes' : 'no';
  else if (field.type === 'money' && Number.isSafeInteger(Number(value)))
    shown = formatMoney(Number(value), field.currency ?? 'EUR');
  else if (field.type === 'reference') shown = (field.refType && title(field.refType, value)) ?? 'a record';
  else if (op === 'contains' || field.type === 'text') shown = `“${value}”`;
  return `${field.label} ${opLabel(field, op)} ${shown}`;
}
