import { describe, expect, it } from 'vitest';
import { JsonInputError, MAX_JSON_DEPTH, parseJson } from './parse-json';

function reasonOf(text: string): string | null {
  try {
    parseJson(text);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(JsonInputError);
    return (error as JsonInputError).reason;
  }
}

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('parseJson', () => {
  it('parses standard JSON as JSON.parse does', () => {
    const value = { a: [1, 'two', { three: null, four: true }], 'b\u00e9': -1.5e3 };
    expect(parseJson(JSON.stringify(value))).toEqual(value);
    expect(parseJson('  "text"  ')).toBe('text');
  });

  it('accepts nesting up to the limit and refuses one level more, objects and arrays alike', () => {
    expect(reasonOf(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(reasonOf(nested(MAX_JSON_DEPTH + 1))).toBe('depth');
    const objects = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(reasonOf(objects)).toBe('depth');
    expect(() => parseJson(nested(MAX_JSON_DEPTH + 1))).toThrow(/at most 64 levels deep/);
  });

  it('refuses nesting far past any stack (a million levels) without overflowing', () => {
    expect(reasonOf(nested(1_000_000))).toBe('depth');
    expect(reasonOf('['.repeat(1_000_000))).toBe('depth');
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ note: `${'['.repeat(500)}\\"{{{${'"'.repeat(3)}` });
    expect(reasonOf(text)).toBeNull();
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it('refuses a "__proto__" key at any depth, however it is spelt in the text', () => {
    expect(reasonOf('{"__proto__":{"admin":true}}')).toBe('proto');
    expect(reasonOf('{"data":{"list":[{"__proto__":1}]}}')).toBe('proto');
    expect(reasonOf('{"\\u005f_proto__":{}}')).toBe('proto');
    expect(() => parseJson('{"__proto__":{}}')).toThrow('"__proto__" is not allowed as a key');
    // As a value, or as part of a longer key, it is just text.
    expect(parseJson('{"note":"__proto__","__proto__x":1}')).toEqual({ note: '__proto__', __proto__x: 1 });
  });

  it('refuses malformed JSON with a message that repeats nothing of the text', () => {
    for (const text of ['', '{', '{"a":1,}', "{'a':1}", 'NaN', '{"a":1}}', '\u0000']) {
      expect(reasonOf(text), JSON.stringify(text)).toBe('syntax');
    }
    expect(() => parseJson('{"secret-value":')).toThrow(/^not valid JSON$/);
  });
});
