import type { EntityTypeDef, FieldDef } from '@enclave/shared';
import { recordTitle, searchableFields, type RecordRow, type TitleLookup } from './fields';

/** `title`, `updated`, or `field:<key>` for an indexed field. */
export type SortKey = 'title' | 'updated' | `field:${string}`;
export type SortDirection = 'asc' | 'desc';

export interface ListQuery {
  search: string;
  sort: SortKey;
  direction: SortDirection;
  /** Field key → wanted value (`true`/`false` for booleans); '' or absent means any. */
  filters: Record<string, string>;
}

export const DEFAULT_LIST_QUERY: ListQuery = { search: '', sort: 'title', direction: 'asc', filters: {} };

export interface SortChoice {
  key: SortKey;
  label: string;
}

/** Title, last change, then every indexed field that is not secret (sorting would leak its order). */
export function sortChoices(entity: EntityTypeDef): SortChoice[] {
  const choices: SortChoice[] = [
    { key: 'title', label: entity.fields.find((f) => f.key === entity.titleField)?.label ?? 'Title' },
    { key: 'updated', label: 'Last updated' },
  ];
  for (const field of entity.fields) {
    if (!field.indexed || field.key === entity.titleField || field.sensitivity === 'secret') continue;
    choices.push({ key: `field:${field.key}`, label: field.label });
  }
  return choices;
}

/** Fields a list can be filtered by: the ones with a short, fixed set of values. */
export function filterableFields(entity: EntityTypeDef): FieldDef[] {
  return entity.fields.filter(
    (field) => (field.type === 'enum' || field.type === 'boolean') && field.sensitivity !== 'secret',
  );
}

/**
 * Lower-cased search text of a record, cached per data object: a record's data object is
 * replaced, never changed, when the record changes, so the cache cannot go stale.
 */
const searchTextCache = new WeakMap<object, string>();

function searchTextOf(entity: EntityTypeDef, fields: FieldDef[], data: Record<string, unknown>): string {
  let text = searchTextCache.get(data);
  if (text === undefined) {
    const parts = [recordTitle(entity, data)];
    for (const field of fields) {
      const value = data[field.key];
      if (typeof value === 'string') parts.push(value);
    }
    text = parts.join('\n').toLocaleLowerCase();
    searchTextCache.set(data, text);
  }
  return text;
}

/** Every word must appear somewhere, in any order: "acme lond" finds "ACME Ltd, London". */
export function searchTerms(search: string): string[] {
  return search.toLocaleLowerCase().split(/\s+/).filter(Boolean);
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

type SortValue = string | number | boolean | undefined;

function sortValueOf(entity: EntityTypeDef, sort: SortKey, row: RecordRow, titles?: TitleLookup): SortValue {
  if (sort === 'title') return recordTitle(entity, row.data);
  // A record created here and not yet synced has no server time: it is the newest there is.
  if (sort === 'updated') return row.updatedAt ?? '\uffff';
  const key = sort.slice('field:'.length);
  const field = entity.fields.find((f) => f.key === key);
  const value = row.data[key];
  if (field?.type === 'reference' && typeof value === 'string' && field.refType) {
    return titles?.(field.refType, value) ?? value;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return undefined;
}

/** Absent values first when ascending (as the server orders them), then by type-appropriate order. */
function compareValues(a: SortValue, b: SortValue): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return collator.compare(String(a), String(b));
}

/** The rows a list shows: filtered, searched and sorted; ties keep a stable order by id. */
export function applyListQuery<T extends RecordRow>(
  rows: readonly T[],
  entity: EntityTypeDef,
  query: ListQuery,
  titles?: TitleLookup,
): T[] {
  const terms = searchTerms(query.search);
  const fields = searchableFields(entity);
  const filters = Object.entries(query.filters).filter(([, value]) => value !== '');
  const filterFields = new Map(entity.fields.map((f) => [f.key, f]));

  const kept = rows.filter((row) => {
    for (const [key, wanted] of filters) {
      const value = row.data[key];
      if (filterFields.get(key)?.type === 'boolean') {
        if ((value === true) !== (wanted === 'true')) return false;
      } else if (value !== wanted) return false;
    }
    if (terms.length === 0) return true;
    const text = searchTextOf(entity, fields, row.data);
    return terms.every((term) => text.includes(term));
  });

  // Sort keys computed once per row, not once per comparison.
  const keyed = kept.map((row) => ({ row, value: sortValueOf(entity, query.sort, row, titles) }));
  const sign = query.direction === 'asc' ? 1 : -1;
  keyed.sort((a, b) => sign * compareValues(a.value, b.value) || (a.row.id < b.row.id ? -1 : 1));
  return keyed.map((entry) => entry.row);
}

export interface SortOption {
  /** `<sort>|<direction>`, the value of the sort menu. */
  value: string;
  label: string;
  sort: SortKey;
  direction: SortDirection;
}

/** Both directions of every sort choice, worded for the kind of value ("newest first", "Z–A"). */
export function sortOptions(entity: EntityTypeDef): SortOption[] {
  return sortChoices(entity).flatMap((choice) => {
    const field = choice.key.startsWith('field:')
      ? entity.fields.find((f) => `field:${f.key}` === choice.key)
      : undefined;
    let words: [asc: string, desc: string] = ['A–Z', 'Z–A'];
    if (choice.key === 'updated' || field?.type === 'date') words = ['oldest first', 'newest first'];
    else if (field?.type === 'number' || field?.type === 'money') words = ['lowest first', 'highest first'];
    else if (field?.type === 'boolean') words = ['no first', 'yes first'];
    const both = (['asc', 'desc'] as const).map((direction, i) => ({
      value: `${choice.key}|${direction}`,
      label: `${choice.label}, ${words[i] ?? ''}`,
      sort: choice.key,
      direction,
    }));
    // Time reads newest first by default.
    return choice.key === 'updated' ? both.reverse() : both;
  });
}
