import {
  getIndexableStringMonad,
  getPrimaryFieldOfPrimaryKey,
  getSchemaByObjectPath,
  getStartIndexStringFromLowerBound,
  getStartIndexStringFromUpperBound,
  type RxDocumentData,
  type RxJsonSchema,
  type RxQueryPlan,
} from 'rxdb';

/**
 * One RxDB index, stored as a column of the collection's table.
 *
 * The column holds RxDB's own indexable string for the document (`getIndexableStringMonad`:
 * fixed-width, padded fields concatenated in index order), so that a range of the index is a
 * range of the column, with the bounds RxDB's query planner computes. SQL column and index names
 * are positional (`k0`, `k1`, …) and never derived from field names.
 */
export interface IndexColumn<RxDocType> {
  /** The RxDB index: field paths, in order. */
  readonly fields: readonly string[];
  /** The SQL column, `k<n>`. */
  readonly column: string;
  readonly keyOf: (doc: RxDocumentData<RxDocType>) => Buffer;
}

/** A column range, both bounds encoded like the column. */
export interface KeyRange {
  readonly lower: Buffer;
  readonly upper: Buffer;
  readonly inclusiveLower: boolean;
  readonly inclusiveUpper: boolean;
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Encodes an indexable string so that SQLite's byte-wise BLOB comparison orders keys exactly as
 * JavaScript's `<` orders the strings (by UTF-16 code unit), which is the order RxDB's bounds
 * and its memory storage assume.
 *
 * Plain UTF-8 gets this right except for surrogates: a character above U+FFFF is a surrogate pair
 * (0xD800–0xDFFF) in UTF-16, below U+E000–U+FFFF, but a 4-byte sequence in UTF-8, above them —
 * and RxDB's upper bound for "any string" is a run of U+FFFF. So strings with surrogates are
 * encoded code unit by code unit, each as its 1–3 byte UTF-8 form (CESU-8 style), which keeps the
 * code unit order; strings without (nearly all keys) take the native encoder, whose output is
 * identical for them.
 */
export function encodeIndexKey(key: string): Buffer {
  if (!SURROGATE.test(key)) return Buffer.from(key, 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    if (unit < 0x80) {
      bytes.push(unit);
    } else if (unit < 0x800) {
      bytes.push(0xc0 | (unit >> 6), 0x80 | (unit & 0x3f));
    } else {
      bytes.push(0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f));
    }
  }
  return Buffer.from(bytes);
}

const indexId = (fields: readonly string[]): string => JSON.stringify(fields);

/** The index the changes feed pages through: `[_meta.lwt, primary]`. */
export function changesIndexOf<RxDocType>(schema: RxJsonSchema<RxDocumentData<RxDocType>>): string[] {
  return ['_meta.lwt', getPrimaryFieldOfPrimaryKey(schema.primaryKey)];
}

function normalizedIndexes<RxDocType>(schema: RxJsonSchema<RxDocumentData<RxDocType>>): string[][] {
  const seen = new Set<string>();
  const indexes: string[][] = [];
  for (const index of schema.indexes ?? []) {
    const fields = typeof index === 'string' ? [index] : [...index];
    if (seen.has(indexId(fields))) continue;
    seen.add(indexId(fields));
    indexes.push(fields);
  }
  // RxDB's `fillWithDefaultSettings` gives every schema this index (and `[_deleted, primary]` or
  // the user's indexes); it is added here only for a schema that somehow lacks it, since
  // getChangedDocumentsSince depends on it.
  const changes = changesIndexOf(schema);
  if (!seen.has(indexId(changes))) indexes.push(changes);
  return indexes;
}

/** The index columns of a collection's table, in column order. */
export function indexColumnsOf<RxDocType>(
  schema: RxJsonSchema<RxDocumentData<RxDocType>>,
): IndexColumn<RxDocType>[] {
  return normalizedIndexes(schema).map((fields, position) => {
    const indexableString = getIndexableStringMonad(schema, fields);
    return {
      fields,
      column: `k${position}`,
      keyOf: (doc) => encodeIndexKey(indexableString(doc)),
    };
  });
}

/**
 * What the index strings depend on: the index fields and, for each, the schema facts RxDB's
 * indexable string is built from (type, string width, number range and precision). A table whose
 * stored layout differs from its schema's has stale keys and must be rebuilt.
 */
export function indexLayoutOf<RxDocType>(schema: RxJsonSchema<RxDocumentData<RxDocType>>): string {
  return JSON.stringify(
    normalizedIndexes(schema).map((fields) =>
      fields.map((field) => {
        const part = getSchemaByObjectPath(schema, field);
        return [field, part.type, part.maxLength, part.minimum, part.maximum, part.multipleOf];
      }),
    ),
  );
}

/** Finds the column of the query plan's index; undefined if the table has no such index. */
export function columnOfIndex<RxDocType>(
  columns: readonly IndexColumn<RxDocType>[],
  fields: readonly string[],
): IndexColumn<RxDocType> | undefined {
  const wanted = indexId(fields);
  return columns.find((column) => indexId(column.fields) === wanted);
}

/** The column range of a query plan, from RxDB's own bound strings. */
export function keyRangeOf<RxDocType>(
  schema: RxJsonSchema<RxDocumentData<RxDocType>>,
  plan: RxQueryPlan,
): KeyRange {
  return {
    lower: encodeIndexKey(getStartIndexStringFromLowerBound(schema, plan.index, plan.startKeys)),
    upper: encodeIndexKey(getStartIndexStringFromUpperBound(schema, plan.index, plan.endKeys)),
    inclusiveLower: plan.inclusiveStart,
    inclusiveUpper: plan.inclusiveEnd,
  };
}
