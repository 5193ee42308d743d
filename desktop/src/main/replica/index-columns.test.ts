import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactKeyPart, encodeIndexKey } from './index-columns';

/** SQLite compares the key columns byte by byte; RxDB's bounds assume JavaScript's string order. */

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const jsOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('encodeIndexKey', () => {
  it('orders bytes as JavaScript orders strings (UTF-16 code units), lone surrogates included', () => {
    const unit = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 6 }),
      // Code units, not characters: lone surrogates and U+FFFF, RxDB's "any string" bound.
      fc
        .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 })
        .map((units) => String.fromCharCode(...units)),
    );
    fc.assert(
      fc.property(unit, unit, (a, b) => {
        expect(sign(Buffer.compare(encodeIndexKey(a), encodeIndexKey(b)))).toBe(jsOrder(a, b));
      }),
      { numRuns: 2_000 },
    );
  });

  it('puts astral characters below the U+FFFF upper bound, unlike plain UTF-8', () => {
    const astral = '😀';
    const bound = '\uffff';
    expect(astral < bound).toBe(true);
    expect(Buffer.compare(Buffer.from(astral), Buffer.from(bound))).toBe(1);
    expect(Buffer.compare(encodeIndexKey(astral), encodeIndexKey(bound))).toBe(-1);
  });

  it('is plain UTF-8 for strings without surrogates', () => {
    expect(encodeIndexKey('Zoë \u0000 ﬀ')).toEqual(Buffer.from('Zoë \u0000 ﬀ', 'utf8'));
  });
});

describe('compactKeyPart', () => {
  // Code units that need care (the space, characters below it, the key alphabet's own bytes,
  // surrogates, U+FFFF) among ordinary ones.
  const unit = fc.oneof(
    fc.constantFrom(
      ' ',
      ' ',
      '\u0000',
      '\u0001',
      '\u0002',
      '\t',
      '\u001f',
      '!',
      '0',
      'a',
      'é',
      '\ud83d',
      '\ude00',
      '\uffff',
    ),
    fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  );
  /** A string field of `width` as RxDB writes it into an indexable string: padded with spaces. */
  const field = (width: number) =>
    fc
      .oneof(
        fc.array(unit, { maxLength: width }).map((units) => units.join('')),
        // RxDB's bounds for "anything" at this width.
        fc.constant('\uffff'.repeat(width)),
        fc.constant('\u0000'.repeat(width)),
      )
      .map((value) => value.padEnd(width, ' '));
  const keyOf = (parts: readonly string[]) => encodeIndexKey(parts.map(compactKeyPart).join(''));

  it('orders keys as RxDB orders the padded strings, field by field', () => {
    const widths = fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 });
    const pairOfKeys = widths.chain((ws) => fc.tuple(fc.tuple(...ws.map(field)), fc.tuple(...ws.map(field))));
    fc.assert(
      fc.property(pairOfKeys, ([a, b]) => {
        expect(sign(Buffer.compare(keyOf(a), keyOf(b)))).toBe(jsOrder(a.join(''), b.join('')));
      }),
      { numRuns: 20_000 },
    );
  });

  it('keeps the cases a plain end mark gets wrong: a space before a control character', () => {
    // "a \t" padded is below "a" padded (the tab sorts below the space "a" goes on with).
    expect(jsOrder('a \t'.padEnd(4), 'a'.padEnd(4))).toBe(-1);
    expect(sign(Buffer.compare(keyOf(['a \t'.padEnd(4)]), keyOf(['a'.padEnd(4)])))).toBe(-1);
    expect(sign(Buffer.compare(keyOf(['a b'.padEnd(4)]), keyOf(['a'.padEnd(4)])))).toBe(1);
  });

  it('drops the padding: a 36-character id of a 64-wide field takes 37 bytes', () => {
    const id = '0192f1e2-7c4b-7a3d-9e8f-123456789abc';
    expect(keyOf([id.padEnd(64, ' ')])).toHaveLength(37);
    expect(keyOf([' '.repeat(40)])).toEqual(Buffer.from([0x02]));
  });
});
