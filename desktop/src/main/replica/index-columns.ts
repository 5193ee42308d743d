import {
  getIndexMeta,
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
 * The column holds a compact form of RxDB's indexable string for the document (the fields in
 * index order, each padded to a fixed width — see `compactKeyPart`), ordered exactly as RxDB
 * orders the padded strings, so that a range of the index is a range of the column, with the
 * bounds RxDB's query planner computes. SQL column and index names are positional (`k0`, `k1`,
 * …) and never derived from field names.
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

/*
 * RxDB pads each string field of an index to its `maxLength` with spaces, so that keys compare
 * field by field: an id of 36 characters takes 64, a type of 6 takes 40. A key holds each string
 * part without its padding and with an end mark instead, in an alphabet whose byte order is the
 * order of the padded strings (which compare as if every string went on in spaces forever):
 *
 * - END (0x02) stands for "spaces from here on";
 * - a character below the space, U+0000–U+001F, sorts below END: 0x01 then 0x10 + its code;
 * - a space that only more spaces and then such a character follow also sorts below END (the
 *   padded string is below "all spaces" there): 0x01 0x30;
 * - any other space is 0x20, above END, and every other character is itself (`encodeIndexKey`),
 *   above the space.
 *
 * Tokens start with 0x01, 0x02 or a byte of 0x20 and up, so no part's key is a prefix of another
 * and parts concatenate as the padded fields do. Numbers and booleans are fixed width already and
 * stay as RxDB writes them.
 */
const END = '\u0002';
const LOW_ESCAPE = '\u0001';
const SPACE_BEFORE_LOW = `${LOW_ESCAPE}0`;
/** Whether the value holds a code unit with a token of its own: the space or one below it. */
function needsTokens(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) <= 0x20) return true;
  return false;
}

/**
 * The compact form of a string field's part (see above), from the part as RxDB pads it or from
 * the field's value: trailing spaces are padding either way.
 */
export function compactKeyPart(padded: string): string {
  let end = padded.length;
  while (end > 0 && padded.charCodeAt(end - 1) === 0x20) end--;
  const value = padded.slice(0, end);
  if (!needsTokens(value)) return value + END;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit > 0x20) {
      out += value.charAt(i);
    } else if (unit < 0x20) {
      out += LOW_ESCAPE + String.fromCharCode(0x10 + unit);
    } else {
      // A space: what follows the run decides (the value ends in a character other than a space).
      let next = i + 1;
      while (value.charCodeAt(next) === 0x20) next++;
      out += value.charCodeAt(next) < 0x20 ? SPACE_BEFORE_LOW : ' ';
    }
  }
  return out + END;
}

/** The key of an index's parts, each as RxDB writes it for its field: strings made compact. */
function keyOfParts(parts: readonly string[], isString: readonly boolean[]): Buffer {
  let key = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    key += isString[i] === true ? compactKeyPart(part) : part;
  }
  return encodeIndexKey(key);
}

/**
 * A field's part of a document's key. A string goes in as its value, unpadded (RxDB's padding
 * would only be taken off again); a missing one is the empty string, as RxDB has it.
 */
function keyPartOf<RxDocType>(field: ReturnType<typeof getIndexMeta<RxDocType>>[number]) {
  if (field.schemaPart.type !== 'string') return field.getIndexStringPart;
  const valueOf = field.getValue;
  return (doc: RxDocumentData<RxDocType>): string => {
    const value: unknown = valueOf(doc);
    return compactKeyPart(typeof value === 'string' ? value : '');
  };
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
    const parts = getIndexMeta(schema, fields).map(keyPartOf);
    return {
      fields,
      column: `k${position}`,
      keyOf: (doc) => {
        let key = '';
        for (const part of parts) key += part(doc);
        return encodeIndexKey(key);
      },
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

/**
 * The column range of a query plan: RxDB's own bound strings, field by field, in the columns'
 * compact form.
 */
export function keyRangeOf<RxDocType>(
  schema: RxJsonSchema<RxDocumentData<RxDocType>>,
  plan: RxQueryPlan,
): KeyRange {
  const fields = plan.index;
  const isString = fields.map((field) => getSchemaByObjectPath(schema, field).type === 'string');
  const bound = (boundOf: typeof getStartIndexStringFromLowerBound, values: RxQueryPlan['startKeys']) =>
    keyOfParts(
      fields.map((field, i) => boundOf(schema, [field], [values[i]])),
      isString,
    );
  return {
    lower: bound(getStartIndexStringFromLowerBound, plan.startKeys),
    upper: bound(getStartIndexStringFromUpperBound, plan.endKeys),
    inclusiveLower: plan.inclusiveStart,
    inclusiveUpper: plan.inclusiveEnd,
  };
}
