import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeIndexKey } from './index-columns';

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
