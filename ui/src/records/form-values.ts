import { recordDataSchema, type EntityTypeDef, type FieldDef } from '@enclave/shared';
import type { z } from 'zod';
import { plainText } from './fields';
import { moneyInputValue, parseMoney } from './money';

/** What a form holds while it is being edited: text as typed, checkboxes as booleans. */
export type FormValues = Record<string, string | boolean>;
export type FieldErrors = Record<string, string>;

export type FormRead =
  { ok: true; data: Record<string, unknown> } | { ok: false; errors: FieldErrors; formError: string | null };

/** The form of a record's data (or of a new record when `data` is empty). */
export function formValuesOf(entity: EntityTypeDef, data: Record<string, unknown> = {}): FormValues {
  const values: FormValues = {};
  for (const field of entity.fields) {
    const value = data[field.key];
    if (field.type === 'boolean') values[field.key] = value === true;
    else if (field.type === 'money' && typeof value === 'number') {
      values[field.key] = moneyInputValue(value, field.currency ?? 'EUR');
    } else if (value === undefined || value === null) values[field.key] = '';
    else values[field.key] = plainText(value);
  }
  return values;
}

/**
 * Turns a form back into record data and validates it with the workspace schema's own validator
 * (`recordDataSchema(entity, 'full')`, the one the server runs). Empty inputs leave the field out:
 * absent is how an optional field is empty. A checkbox nobody ticked stays absent on a record that
 * never had the field, so saving an old record does not invent a change.
 */
export function readForm(
  entity: EntityTypeDef,
  values: FormValues,
  original: Record<string, unknown> = {},
): FormRead {
  const data: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const field of entity.fields) {
    const raw = values[field.key];
    if (field.type === 'boolean') {
      if (raw === true || original[field.key] !== undefined) data[field.key] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    if (text.trim() === '') continue;
    if (field.type === 'money') {
      const parsed = parseMoney(text, field.currency ?? 'EUR');
      if (parsed.ok) data[field.key] = parsed.minor;
      else errors[field.key] = parsed.message;
    } else if (field.type === 'number') {
      const parsed = parseNumber(text);
      if (parsed === null) errors[field.key] = 'Enter a number, like 12 or 3.5.';
      else data[field.key] = parsed;
    } else if (field.type === 'longText') {
      data[field.key] = text;
    } else {
      data[field.key] = text.trim();
    }
  }

  const parsed = recordDataSchema(entity, 'full').safeParse(data);
  let formError: string | null = null;
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      const field = typeof key === 'string' ? entity.fields.find((f) => f.key === key) : undefined;
      if (!field) {
        formError = 'This record does not match the workspace’s fields. Reload the workspace and try again.';
        continue;
      }
      errors[field.key] ??= issueMessage(field, issue, data[field.key]);
    }
  }
  if (Object.keys(errors).length > 0 || formError !== null) return { ok: false, errors, formError };
  return { ok: true, data };
}

/** Accepts `3.5` and `3,5`, and nothing that is only partly a number (`Number('')` is 0, `parseFloat('3x')` is 3). */
export function parseNumber(text: string): number | null {
  const normalised = text
    .trim()
    .replace(/\s/g, '')
    .replace(/^(-?\d*),(\d+)$/, '$1.$2');
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(normalised)) return null;
  const value = Number(normalised);
  return Number.isFinite(value) ? value : null;
}

/** A validation issue in words for the field it is about; never the raw zod text. */
export function issueMessage(field: FieldDef, issue: z.core.$ZodIssue, value: unknown): string {
  if (value === undefined || issue.code === 'custom') return 'This field is required.';
  if (issue.code === 'too_big' && field.type !== 'money' && field.type !== 'number') {
    return `Use at most ${String(issue.maximum)} characters.`;
  }
  switch (field.type) {
    case 'email':
      return 'Enter an email address, like name@example.com.';
    case 'phone':
      return 'Enter a phone number, like +44 20 7946 0958.';
    case 'date':
      return 'Enter a date.';
    case 'enum':
      return 'Choose one of the options.';
    case 'reference':
      return 'Choose a record from the list.';
    case 'money':
      return issue.code === 'too_big' || issue.code === 'too_small'
        ? 'That amount is too large.'
        : 'Enter an amount, like 1250.00.';
    case 'number':
      return 'Enter a number, like 12 or 3.5.';
    case 'boolean':
      return 'Tick or clear the box.';
    default:
      return 'Check this value.';
  }
}

/**
 * The record's current data with the form's changes on top: fields the form emptied go, fields it
 * set take the new value, and every other field stays as synced (even if it changed meanwhile).
 */
export function applyChanges(
  current: Record<string, unknown>,
  next: Record<string, unknown>,
  changed: readonly string[],
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(current)) if (!changed.includes(key)) data[key] = value;
  for (const key of changed) if (next[key] !== undefined) data[key] = next[key];
  return data;
}

/** Fields whose value differs between two data objects (what a save would change). */
export function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}
