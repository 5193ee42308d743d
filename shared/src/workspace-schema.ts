import { z } from 'zod';
import { Key, RecordId } from './ids';
import { nameText, refuseUnsafeCharacters } from './names';

export const FieldType = z.enum([
  'text',
  'longText',
  'number',
  'money',
  'date',
  'enum',
  'email',
  'phone',
  'reference',
  'boolean',
]);
export type FieldType = z.infer<typeof FieldType>;

export const Sensitivity = z.enum(['normal', 'pii', 'secret']);
export type Sensitivity = z.infer<typeof Sensitivity>;

const Label = nameText(80);

export const FieldDef = z
  .strictObject({
    key: Key,
    label: Label,
    type: FieldType,
    required: z.boolean().default(false),
    indexed: z.boolean().default(false),
    sensitivity: Sensitivity.default('normal'),
    /** enum: the allowed values. */
    options: z
      .array(z.string().min(1).max(80).superRefine(refuseUnsafeCharacters))
      .min(1)
      .max(100)
      .optional(),
    /** reference: the entity type the value points to. */
    refType: Key.optional(),
    /** money: ISO 4217 code; values are integers in minor units (cents). */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
  })
  .superRefine((field, ctx) => {
    if (field.type === 'enum' && !field.options) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'an enum field needs options' });
    }
    if (field.type !== 'enum' && field.options) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'only enum fields take options' });
    }
    if (field.type === 'reference' && !field.refType) {
      ctx.addIssue({ code: 'custom', path: ['refType'], message: 'a reference field needs refType' });
    }
    if (field.type === 'money' && !field.currency) {
      ctx.addIssue({ code: 'custom', path: ['currency'], message: 'a money field needs a currency' });
    }
    if (field.options && new Set(field.options).size !== field.options.length) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'enum options must be unique' });
    }
  });
export type FieldDef = z.infer<typeof FieldDef>;

export const EntityTypeDef = z
  .strictObject({
    key: Key,
    label: Label,
    pluralLabel: Label,
    /** The field shown as a record's title in lists. */
    titleField: Key,
    fields: z.array(FieldDef).min(1).max(100),
  })
  .superRefine((entity, ctx) => {
    const keys = entity.fields.map((f) => f.key);
    if (new Set(keys).size !== keys.length) {
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'field keys must be unique' });
    }
    if (!keys.includes(entity.titleField)) {
      ctx.addIssue({
        code: 'custom',
        path: ['titleField'],
        message: 'titleField must name one of the fields',
      });
    }
  });
export type EntityTypeDef = z.infer<typeof EntityTypeDef>;

export const WorkspaceSchema = z.object({
  version: z.number().int().nonnegative(),
  entityTypes: z.array(EntityTypeDef).max(50),
});
export type WorkspaceSchema = z.infer<typeof WorkspaceSchema>;

const TEXT_MAX = 1_000;
const LONG_TEXT_MAX = 100_000;

/** The zod schema of one field's value (never null: absence is handled by the caller). */
export function fieldValueSchema(field: FieldDef): z.ZodType {
  switch (field.type) {
    case 'text':
      return z.string().max(TEXT_MAX);
    case 'longText':
      return z.string().max(LONG_TEXT_MAX);
    case 'number':
      return z.number();
    case 'money':
      return z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
    case 'date':
      return z.iso.date();
    case 'enum':
      return z.enum(field.options as [string, ...string[]]);
    case 'email':
      return z.email().max(254);
    case 'phone':
      return z.string().regex(/^\+?[0-9][0-9 ().-]{2,31}$/, 'must be a phone number');
    case 'reference':
      return RecordId;
    case 'boolean':
      return z.boolean();
  }
}

/**
 * Builds the validator of a record's data for an entity type. `partial` validates a patch: fields
 * may be absent, but a required field may not be cleared. Unknown fields are always refused.
 */
export function recordDataSchema(
  entity: EntityTypeDef,
  mode: 'full' | 'partial',
): z.ZodType<Record<string, unknown>> {
  let cached = validators.get(entity);
  if (!cached) {
    cached = {
      full: buildRecordDataSchema(entity, 'full'),
      partial: buildRecordDataSchema(entity, 'partial'),
    };
    validators.set(entity, cached);
  }
  return cached[mode];
}

/**
 * Validators are built once per entity type definition: zod compiles an object schema on its
 * first parse, so a schema made afresh for every record would pay that cost every time.
 */
const validators = new WeakMap<
  EntityTypeDef,
  Record<'full' | 'partial', z.ZodType<Record<string, unknown>>>
>();

function buildRecordDataSchema(
  entity: EntityTypeDef,
  mode: 'full' | 'partial',
): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const field of entity.fields) {
    const value =
      field.required && (field.type === 'text' || field.type === 'longText')
        ? (fieldValueSchema(field) as z.ZodString).refine(
            (s) => s.trim().length > 0,
            'required: must not be blank',
          )
        : fieldValueSchema(field);
    if (field.required) {
      shape[field.key] = mode === 'full' ? value : value.optional();
    } else {
      shape[field.key] = value.nullable().optional();
    }
  }
  return z.strictObject(shape);
}

export function findEntityType(schema: WorkspaceSchema, key: string): EntityTypeDef | undefined {
  return schema.entityTypes.find((e) => e.key === key);
}
