import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntityTypeDef, FieldDef, FieldType, recordDataSchema } from './workspace-schema';

/**
 * Property tests of the workspace schema: every record the engine accepts or refuses goes
 * through `recordDataSchema`, so its behaviour is checked over generated entity types rather than
 * the few the templates hold.
 */

const RUNS = { numRuns: 200 };

const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const label = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,19}$/);

const enumOptions = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z ]{0,11}$/), { minLength: 1, maxLength: 6 });
const currency = fc.stringMatching(/^[A-Z]{3}$/);
const fieldBase = fc.record(
  {
    label,
    required: fc.boolean(),
    indexed: fc.boolean(),
    sensitivity: fc.constantFrom('normal', 'pii', 'secret'),
  },
  { requiredKeys: ['label'] },
);

/** A field definition of the given type, as a client would send it (defaults left out at random). */
function fieldOf(type: FieldType, fieldKey: string): fc.Arbitrary<Record<string, unknown>> {
  const extra: fc.Arbitrary<Record<string, unknown>> =
    type === 'enum'
      ? enumOptions.map((options) => ({ options }))
      : type === 'reference'
        ? key.map((refType) => ({ refType }))
        : type === 'money'
          ? currency.map((code) => ({ currency: code }))
          : fc.constant({});
  return fc.tuple(fieldBase, extra).map(([base, more]) => ({ key: fieldKey, type, ...base, ...more }));
}

/** A valid entity type: unique field keys, a title field among them, type-specific settings present. */
const entityInput = fc
  .uniqueArray(key, { minLength: 1, maxLength: 8 })
  .chain((keys) =>
    fc.tuple(
      fc.tuple(...keys.map((k) => fc.constantFrom(...FieldType.options).chain((type) => fieldOf(type, k)))),
      fc.constantFrom(...keys),
      key,
      label,
    ),
  )
  .map(([fields, titleField, entityKey, entityLabel]) => ({
    key: entityKey,
    label: entityLabel,
    pluralLabel: `${entityLabel}s`,
    titleField,
    fields,
  }));

const entity = entityInput.map((input) => EntityTypeDef.parse(input));

const isoDate = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

// Built once: constructing a regex-driven arbitrary is costly, and validValue runs per generated entity.
const valid = {
  text: fc.string({ unit: 'binary', maxLength: 30 }),
  longText: fc.string({ unit: 'binary', maxLength: 80 }),
  number: fc.double({ noNaN: true, noDefaultInfinity: true }),
  money: fc.maxSafeInteger(),
  date: isoDate,
  email: fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9]+([._+-][A-Za-z0-9]+)*$/),
      fc.stringMatching(/^[a-z0-9]{1,12}(\.[a-z0-9]{1,12})?\.[a-z]{2,6}$/),
    )
    .filter(([local]) => local.length <= 64)
    .map(([local, domain]) => `${local}@${domain}`),
  phone: fc.stringMatching(/^\+?[0-9][0-9 ().-]{2,31}$/),
  reference: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  boolean: fc.boolean(),
} satisfies Record<Exclude<FieldType, 'enum'>, fc.Arbitrary<unknown>>;

const isBlank = (s: string) => s.trim().length === 0;

/** Values the field accepts: a required text field also needs something other than white space. */
function validValue(field: FieldDef): fc.Arbitrary<unknown> {
  if (field.type === 'enum') return fc.constantFrom(...(field.options ?? []));
  if (field.required && (field.type === 'text' || field.type === 'longText')) {
    return valid[field.type].filter((s) => !isBlank(s));
  }
  return valid[field.type];
}

const STRING_TYPES = new Set<FieldType>(['text', 'longText', 'date', 'enum', 'email', 'phone', 'reference']);

const otherKinds = {
  structured: [
    fc.array(fc.jsonValue(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
  ],
  string: [fc.string({ maxLength: 20 }), fc.constantFrom('1', '0', 'true', '2024-01-01')],
  number: [fc.double(), fc.integer()],
  boolean: [fc.boolean()],
};

/** JSON values of another kind than the field's: a string for a number, a number for a string, and so on. */
function otherKindValue(field: FieldDef): fc.Arbitrary<unknown> {
  const kinds: fc.Arbitrary<unknown>[] = [...otherKinds.structured];
  if (!STRING_TYPES.has(field.type)) kinds.push(...otherKinds.string);
  if (field.type !== 'number' && field.type !== 'money') kinds.push(...otherKinds.number);
  if (field.type !== 'boolean') kinds.push(...otherKinds.boolean);
  return fc.oneof(...kinds);
}

/** Values of the field's own JSON kind that it must still refuse (none for long text and booleans). */
const sameKindWrong: Partial<Record<FieldType, fc.Arbitrary<unknown>>> = {
  text: fc.string({ minLength: 1001, maxLength: 1100 }),
  number: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  money: fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
    fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2),
  ),
  date: fc.oneof(
    fc.constantFrom(
      '2023-02-29',
      '2024-13-01',
      '2024-04-31',
      '24-01-01',
      '2024-1-1',
      '2024-01-01T00:00:00Z',
      '',
    ),
    isoDate.map((d) => `${d} `),
  ),
  email: fc.oneof(
    fc.stringMatching(/^[a-z]{1,10}$/),
    fc.constantFrom('@example.com', 'ada@', 'ada@@example.com', 'ada example@example.com', 'ada@example'),
  ),
  phone: fc.oneof(
    fc.stringMatching(/^[A-Za-z]{3,10}$/),
    fc.constantFrom('12', '+', '555-CALL-NOW', '1'.repeat(40)),
  ),
  reference: fc.oneof(
    fc.constant(''),
    fc.stringMatching(/^[A-Za-z0-9_-]{65,80}$/),
    fc.stringMatching(/^[a-z]{0,5}[/ .:?#][a-z]{0,5}$/),
  ),
};

function wrongValueOfSameKind(field: FieldDef): fc.Arbitrary<unknown> | null {
  if (field.type === 'enum') {
    const options = field.options ?? [];
    return fc.string({ maxLength: 12 }).filter((s) => !options.includes(s));
  }
  return sameKindWrong[field.type] ?? null;
}

/** A record with every required field and a random choice of the optional ones (some cleared with null). */
function validRecord(def: EntityTypeDef): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      ...def.fields.map((field) =>
        field.required
          ? validValue(field).map((value) => [field.key, value] as const)
          : fc
              .option(fc.option(validValue(field), { nil: null }), { nil: undefined })
              .map((value) => [field.key, value] as const),
      ),
    )
    .map((entries) => Object.fromEntries(entries.filter(([, value]) => value !== undefined)));
}

const entityWithRecord = entity.chain((def) => validRecord(def).map((record) => ({ def, record })));

/** An entity type, a valid record of it, and one field of it. */
const entityRecordField = entityWithRecord.chain(({ def, record }) =>
  fc.constantFrom(...def.fields).map((field) => ({ def, record, field })),
);

const accepts = (def: EntityTypeDef, mode: 'full' | 'partial', data: unknown) =>
  recordDataSchema(def, mode).safeParse(data).success;

describe('recordDataSchema', () => {
  it('refuses blank values for a required text field, accepts them for an optional one', () => {
    fc.assert(
      fc.property(fc.constantFrom('text', 'longText'), fc.stringMatching(/^\s{0,5}$/), (type, blank) => {
        const def = EntityTypeDef.parse({
          key: 'note',
          label: 'Note',
          pluralLabel: 'Notes',
          titleField: 'title',
          fields: [
            { key: 'title', label: 'Title', type, required: true },
            { key: 'extra', label: 'Extra', type },
          ],
        });
        expect(recordDataSchema(def, 'full').safeParse({ title: blank }).success).toBe(false);
        expect(recordDataSchema(def, 'partial').safeParse({ title: blank }).success).toBe(false);
        expect(recordDataSchema(def, 'full').safeParse({ title: 'x', extra: blank }).success).toBe(true);
      }),
    );
  });

  it('accepts a record whose values are of their fields’ types, and returns it unchanged', () => {
    fc.assert(
      fc.property(entityWithRecord, ({ def, record }) => {
        const full = recordDataSchema(def, 'full').safeParse(record);
        expect(full.success).toBe(true);
        expect(full.data).toEqual(record);
        expect(accepts(def, 'partial', record)).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses a value of another kind in any field, in both modes', () => {
    fc.assert(
      fc.property(
        entityRecordField.chain((x) => otherKindValue(x.field).map((value) => ({ ...x, value }))),
        ({ def, record, field, value }) => {
          const data = { ...record, [field.key]: value };
          expect(accepts(def, 'full', data)).toBe(false);
          expect(accepts(def, 'partial', data)).toBe(false);
          expect(accepts(def, 'partial', { [field.key]: value })).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('refuses a value of the right kind that the field type does not allow', () => {
    const withWrongValue = entityRecordField.chain((x) =>
      (wrongValueOfSameKind(x.field) ?? fc.constant(undefined)).map((value) => ({ ...x, value })),
    );
    fc.assert(
      fc.property(withWrongValue, ({ def, record, field, value }) => {
        // Long text and booleans have no wrong value of their own kind.
        fc.pre(value !== undefined);
        expect(accepts(def, 'full', { ...record, [field.key]: value })).toBe(false);
        expect(accepts(def, 'partial', { [field.key]: value })).toBe(false);
      }),
      RUNS,
    );
  });

  it('refuses a record missing a required field in full mode, allows it absent in partial mode', () => {
    const withRequired = entityWithRecord.filter(({ def }) => def.fields.some((f) => f.required));
    fc.assert(
      fc.property(
        withRequired.chain((x) =>
          fc.constantFrom(...x.def.fields.filter((f) => f.required)).map((field) => ({ ...x, field })),
        ),
        ({ def, record, field }) => {
          const { [field.key]: _dropped, ...rest } = record;
          expect(accepts(def, 'full', rest)).toBe(false);
          expect(accepts(def, 'partial', rest)).toBe(true);
          expect(accepts(def, 'partial', {})).toBe(true);
          // A patch may leave a required field out, but may not clear it.
          expect(accepts(def, 'full', { ...record, [field.key]: null })).toBe(false);
          expect(accepts(def, 'partial', { [field.key]: null })).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('lets an optional field be absent or null in both modes', () => {
    const withOptional = entityWithRecord.filter(({ def }) => def.fields.some((f) => !f.required));
    fc.assert(
      fc.property(
        withOptional.chain((x) =>
          fc.constantFrom(...x.def.fields.filter((f) => !f.required)).map((field) => ({ ...x, field })),
        ),
        ({ def, record, field }) => {
          const { [field.key]: _dropped, ...rest } = record;
          for (const mode of ['full', 'partial'] as const) {
            expect(accepts(def, mode, rest)).toBe(true);
            expect(accepts(def, mode, { ...rest, [field.key]: null })).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it('always refuses a field the entity type does not have', () => {
    fc.assert(
      fc.property(
        entityWithRecord.chain((x) =>
          fc
            .tuple(fc.string({ minLength: 1, maxLength: 15 }), fc.jsonValue())
            .filter(([name]) => !x.def.fields.some((f) => f.key === name))
            .map(([name, value]) => ({ ...x, name, value })),
        ),
        ({ def, record, name, value }) => {
          expect(accepts(def, 'full', { ...record, [name]: value })).toBe(false);
          expect(accepts(def, 'partial', { [name]: value })).toBe(false);
        },
      ),
      RUNS,
    );
  });
});

describe('EntityTypeDef', () => {
  it('accepts the generated entity types', () => {
    fc.assert(
      fc.property(entityInput, (input) => {
        expect(EntityTypeDef.safeParse(input).success).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses duplicate field keys', () => {
    fc.assert(
      fc.property(
        entityInput.chain((input) => fc.nat(input.fields.length - 1).map((i) => ({ input, i }))),
        ({ input, i }) => {
          const copy = { ...(input.fields[i] as Record<string, unknown>) };
          expect(EntityTypeDef.safeParse({ ...input, fields: [...input.fields, copy] }).success).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('refuses a title field that is not one of its fields', () => {
    fc.assert(
      fc.property(
        entityInput.chain((input) =>
          key
            .filter((k) => !input.fields.some((f) => f.key === k))
            .map((titleField) => ({ ...input, titleField })),
        ),
        (input) => {
          expect(EntityTypeDef.safeParse(input).success).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('refuses an enum without options and a reference without refType', () => {
    fc.assert(
      fc.property(
        entityInput,
        key,
        fc.constantFrom('enum', 'reference', 'money'),
        (input, extraKey, type) => {
          // The type-specific setting (options, refType, currency) is what is missing.
          const bare = { key: `${extraKey}_x`, label: 'Bare', type };
          const fields = [...input.fields.filter((f) => f.key !== bare.key), bare];
          expect(EntityTypeDef.safeParse({ ...input, fields }).success).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('refuses options on a field that is not an enum, and repeated options', () => {
    fc.assert(
      fc.property(
        entityInput,
        fc.constantFrom(...FieldType.options.filter((t) => t !== 'enum')),
        (input, type) => {
          const extra = {
            key: 'extra_field',
            label: 'Extra',
            type,
            options: ['a'],
            ...(type === 'reference' ? { refType: 'client' } : {}),
            ...(type === 'money' ? { currency: 'EUR' } : {}),
          };
          const fields = [...input.fields.filter((f) => f.key !== extra.key), extra];
          expect(EntityTypeDef.safeParse({ ...input, fields }).success).toBe(false);
          const repeated = { key: 'extra_field', label: 'Extra', type: 'enum', options: ['a', 'b', 'a'] };
          expect(
            EntityTypeDef.safeParse({
              ...input,
              fields: [...input.fields.filter((f) => f.key !== 'extra_field'), repeated],
            }).success,
          ).toBe(false);
        },
      ),
      RUNS,
    );
  });
});
