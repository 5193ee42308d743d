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
 * Turns a form back into record data, converting what people type (amounts, numbers) into the
 * stored values, without checking the data against the schema. Empty inputs leave the field out:
 * absent is how an optional field is empty. A checkbox nobody ticked stays absent on a record that
 * never had the field, so saving an old record does not invent a change. `errors` holds what could
 * not be converted at all.
 */
export function formData(
  entity: EntityTypeDef,
  values: FormValues,
  original: Record<string, unknown> = {},
): { data: Record<string, unknown>; errors: FieldErrors } {
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
  return { data, errors };
}

/**
 * `formData`, then validated with the workspace schema's own validator
 * (`recordDataSchema(entity, 'full')`, the one the server runs).
 */
export function readForm(
  entity: EntityTypeDef,
  values: FormValues,
  original: Record<string, unknown> = {},
): FormRead {
  const { data, errors } = formData(entity, values, original);
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
  if (value === undefined || issue.code === 'custom') return REQUIRED;
  const kind = issue.code === 'too_big' || issue.code === 'too_small' ? issue.code : 'invalid';
  return problemMessage(field, kind, issue.code === 'too_big' ? { maximum: issue.maximum } : {});
}

const REQUIRED = 'This field is required.';

function problemMessage(
  field: FieldDef,
  kind: 'too_big' | 'too_small' | 'invalid',
  limit: { maximum?: number | bigint },
): string {
  if (kind === 'too_big' && field.type !== 'money' && field.type !== 'number') {
    return limit.maximum === undefined
      ? 'This is too long.'
      : `Use at most ${String(limit.maximum)} characters.`;
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
      return kind === 'too_big' || kind === 'too_small'
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

/** One issue of a server refusal in the one error shape (`details` of `validation_failed`). */
export interface ServerIssue {
  path: string;
  message: string;
}

/**
 * The server's refusal of record data, as errors next to the fields they concern: the server
 * reports record fields at `data.<field>`. Its words name the rule that failed (for people
 * reading the API); the form says, in the field's terms, what to do. A reference the server could
 * not find keeps the server's reason, since only the server knows why (deleted, or not visible).
 * Issues about no field of the form come back in `other`.
 */
export function serverFieldErrors(
  entity: EntityTypeDef,
  issues: readonly ServerIssue[],
  sent: Record<string, unknown>,
): { errors: FieldErrors; other: ServerIssue[] } {
  const errors: FieldErrors = {};
  const other: ServerIssue[] = [];
  for (const issue of issues) {
    const match = /^data\.([^.]+)/.exec(issue.path);
    const field = match ? entity.fields.find((f) => f.key === match[1]) : undefined;
    if (!field) {
      other.push(issue);
      continue;
    }
    const value = sent[field.key];
    let message: string;
    if (value === undefined || value === null || /^required\b/i.test(issue.message)) message = REQUIRED;
    else if (field.type === 'reference')
      message = 'That record is not there any more, or you may not see it. Choose another.';
    else if (/too big/i.test(issue.message)) message = problemMessage(field, 'too_big', {});
    else if (/too small/i.test(issue.message)) message = problemMessage(field, 'too_small', {});
    else message = problemMessage(field, 'invalid', {});
    errors[field.key] ??= message;
  }
  return { errors, other };
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
