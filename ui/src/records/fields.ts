import type { EntityTypeDef, FieldDef } from '@enclave/shared';
import { formatMoney } from './money';

/**
 * A record as a screen shows it: the wire fields the desktop's replica keeps (a record created
 * offline has no server times yet), and the server's whole record in the console.
 */
export interface RecordRow {
  id: string;
  type: string;
  data: Record<string, unknown>;
  rev?: number;
  createdAt?: string;
  updatedAt?: string;
  /** Set on a deleted record the console shows (the replica drops deleted records). */
  deletedAt?: string | null;
}

/** Any stored value as text: strings as they are, anything else as JSON (never "[object Object]"). */
export function plainText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** Looks up the title of a referenced record, if this device has it. */
export type TitleLookup = (type: string, id: string) => string | undefined;

export function fieldOf(entity: EntityTypeDef, key: string): FieldDef | undefined {
  return entity.fields.find((field) => field.key === key);
}

/** The record's name in lists, notices and pickers. */
export function recordTitle(entity: EntityTypeDef | undefined, data: Record<string, unknown>): string {
  const value = entity ? data[entity.titleField] : undefined;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number') return String(value);
  return entity ? `Untitled ${entity.label.toLowerCase()}` : 'Untitled record';
}

const TEXTUAL = new Set<FieldDef['type']>(['text', 'longText', 'email', 'phone']);

/** What search looks at: the title and the text fields, never a secret one. */
export function searchableFields(entity: EntityTypeDef): FieldDef[] {
  return entity.fields.filter(
    (field) => field.sensitivity !== 'secret' && (field.key === entity.titleField || TEXTUAL.has(field.type)),
  );
}

/**
 * The few columns a list shows beside the title: indexed fields first (they are the ones people
 * sort and filter by), no long text and nothing secret.
 */
export function summaryFields(entity: EntityTypeDef, max = 3): FieldDef[] {
  const candidates = entity.fields.filter(
    (field) => field.key !== entity.titleField && field.sensitivity !== 'secret' && field.type !== 'longText',
  );
  const ranked = [...candidates.filter((f) => f.indexed), ...candidates.filter((f) => !f.indexed)];
  return ranked.slice(0, max);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

/** A value as text for reading (lists, details, activity). Secrets are the caller's to mask. */
export function displayValue(field: FieldDef, value: unknown, titles?: TitleLookup): string {
  if (value === undefined || value === null || value === '') return '';
  switch (field.type) {
    case 'money':
      return typeof value === 'number' ? formatMoney(value, field.currency ?? 'EUR') : plainText(value);
    case 'number':
      return typeof value === 'number' ? value.toLocaleString() : plainText(value);
    case 'boolean':
      return value === true ? 'Yes' : 'No';
    case 'date': {
      // Dates are calendar days: read in UTC so that no time zone moves them by one.
      const parsed = typeof value === 'string' ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
      return Number.isNaN(parsed) ? plainText(value) : dateFormat.format(parsed);
    }
    case 'enum':
      return typeof value === 'string' ? humanise(value) : plainText(value);
    case 'reference': {
      if (typeof value !== 'string') return plainText(value);
      return (field.refType && titles?.(field.refType, value)) ?? 'Unknown record';
    }
    default:
      return plainText(value);
  }
}

/** `in_progress` → `In progress`: enum options are keys; people read words. */
export function humanise(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
