import type { z } from 'zod';
import type { EntityTypeDef, FieldDef, FieldType, Sensitivity } from '@enclave/shared';
import type { ApiError } from '../api/client';

/**
 * An entity type as the schema editor holds it while it is being changed: text as typed, and
 * fields with an id of their own, so that a field keeps its errors and its place as title field
 * while its key is edited or it is moved.
 */
export interface FieldDraft {
  id: string;
  key: string;
  label: string;
  type: FieldType;
  required: boolean;
  indexed: boolean;
  sensitivity: Sensitivity;
  /** enum: one option per line. */
  options: string;
  refType: string;
  currency: string;
}

export interface TypeDraft {
  key: string;
  label: string;
  pluralLabel: string;
  /** The id of the field that is the title, or null. */
  titleFieldId: string | null;
  fields: FieldDraft[];
}

export type TypeProp = 'key' | 'label' | 'pluralLabel' | 'titleField' | 'fields';
export type FieldProp = keyof Omit<FieldDraft, 'id'>;

let nextId = 0;
function newId(): string {
  nextId += 1;
  return `f${String(nextId)}`;
}

export function newField(): FieldDraft {
  return {
    id: newId(),
    key: '',
    label: '',
    type: 'text',
    required: false,
    indexed: false,
    sensitivity: 'normal',
    options: '',
    refType: '',
    currency: '',
  };
}

export function draftOf(def: EntityTypeDef | null): TypeDraft {
  if (!def) {
    const first = newField();
    return { key: '', label: '', pluralLabel: '', titleFieldId: first.id, fields: [first] };
  }
  const fields = def.fields.map((f): FieldDraft => ({
    id: newId(),
    key: f.key,
    label: f.label,
    type: f.type,
    required: f.required,
    indexed: f.indexed,
    sensitivity: f.sensitivity,
    options: (f.options ?? []).join('\n'),
    refType: f.refType ?? '',
    currency: f.currency ?? '',
  }));
  const title = fields.find((f) => f.key === def.titleField);
  return {
    key: def.key,
    label: def.label,
    pluralLabel: def.pluralLabel,
    titleFieldId: title?.id ?? null,
    fields,
  };
}

/**
 * The body the server is sent. Nothing is checked here: the server's own validation says what is
 * wrong, and the editor shows its words next to the field they concern.
 */
export function bodyOf(draft: TypeDraft): z.input<typeof EntityTypeDef> {
  const title = draft.fields.find((f) => f.id === draft.titleFieldId);
  return {
    key: draft.key.trim(),
    label: draft.label,
    pluralLabel: draft.pluralLabel,
    titleField: title?.key.trim() ?? '',
    fields: draft.fields.map((f) => {
      const field: z.input<typeof FieldDef> = {
        key: f.key.trim(),
        label: f.label,
        type: f.type,
        required: f.required,
        indexed: f.indexed,
        sensitivity: f.sensitivity,
      };
      if (f.type === 'enum') {
        const options = f.options
          .split('\n')
          .map((o) => o.trim())
          .filter((o) => o !== '');
        if (options.length > 0) field.options = options;
      }
      if (f.type === 'reference' && f.refType !== '') field.refType = f.refType;
      if (f.type === 'money' && f.currency.trim() !== '') field.currency = f.currency.trim().toUpperCase();
      return field;
    }),
  };
}

/** The server's issues, placed: on the type's own inputs, on one field's input, or nowhere in particular. */
export interface PlacedIssues {
  type: Partial<Record<TypeProp, string>>;
  /** By field id, then by the field's property. */
  fields: Record<string, Partial<Record<FieldProp | 'field', string>>>;
  other: string[];
  count: number;
}

export const NO_ISSUES: PlacedIssues = { type: {}, fields: {}, other: [], count: 0 };

const TYPE_PROPS: readonly string[] = ['key', 'label', 'pluralLabel', 'titleField', 'fields'];
const FIELD_PROPS: readonly string[] = [
  'key',
  'label',
  'type',
  'required',
  'indexed',
  'sensitivity',
  'options',
  'refType',
  'currency',
];

/**
 * Places a refusal's issues on the draft that was sent. Paths come as the server found them:
 * `body.fields.2.key` from the request's validation, `params.key` for the type's key (it is in the
 * address too), and `fields.<field key>.refType` from the schema's own checks, which name the
 * field by its key.
 */
export function placeIssues(error: ApiError, sent: TypeDraft): PlacedIssues {
  const placed: PlacedIssues = { type: {}, fields: {}, other: [], count: 0 };
  for (const issue of error.issues) {
    placed.count += 1;
    const segments = issue.path.replace(/^(body|params|entityType)\./, '').split('.');
    const [head, index, prop] = segments;
    if (head === 'fields' && index !== undefined) {
      const field = /^\d+$/.test(index)
        ? sent.fields[Number(index)]
        : sent.fields.find((f) => f.key.trim() === index);
      if (field) {
        const where = prop !== undefined && FIELD_PROPS.includes(prop) ? (prop as FieldProp) : 'field';
        (placed.fields[field.id] ??= {})[where] ??= issue.message;
        continue;
      }
    }
    if (head !== undefined && segments.length === 1 && TYPE_PROPS.includes(head)) {
      placed.type[head as TypeProp] ??= issue.message;
      continue;
    }
    placed.other.push(issue.message);
  }
  return placed;
}
