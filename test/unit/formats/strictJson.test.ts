import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactNonNegativeInteger, JsonNumber, JsonValue, parseStrictJson, StrictJsonError } from '../../../src/engine/formats/strictJson';

/** Back to what JSON.parse would build, for comparison. */
function toPlain(v: JsonValue): unknown {
  if (v instanceof JsonNumber) return Number(v.text);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) Object.defineProperty(o, k, { value: toPlain(x), enumerable: true, writable: true, configurable: true });
    return o;
  }
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}

describe('parseStrictJson', () => {
  it('agrees with JSON.parse on any valid JSON without duplicate keys', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (text) => {
        expect(toPlain(parseStrictJson(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('rejects what JSON.parse rejects', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        let native = true;
        try {
          JSON.parse(text);
        } catch {
          native = false;
        }
        let strict = true;
        try {
          parseStrictJson(text);
        } catch (err) {
          expect(err).toBeInstanceOf(StrictJsonError);
          strict = false;
        }
        // JSON.parse accepts lone surrogates and so do we; the only difference allowed is none.
        expect(strict).toBe(native);
      }),
      { numRuns: 2000, seed: 8 },
    );
  });

  it('rejects duplicate keys, including escaped spellings, at any depth', () => {
    expect(() => parseStrictJson('{"a":1,"a":2}')).toThrowError(/duplicate key "a"/);
    expect(() => parseStrictJson('{"x":{"ab":1,"a\\u0062":2}}')).toThrowError(/duplicate key "ab"/);
    expect(() => parseStrictJson('[{"k":1},{"k":2}]')).not.toThrow();
  });

  it('keeps __proto__ as a plain key', () => {
    const v = parseStrictJson('{"__proto__":{"polluted":true}}') as Map<string, JsonValue>;
    expect(v.get('__proto__')).toBeInstanceOf(Map);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('caps nesting depth', () => {
    expect(() => parseStrictJson('['.repeat(65) + ']'.repeat(65))).toThrowError(/nesting deeper than 64/);
    expect(() => parseStrictJson('['.repeat(64) + ']'.repeat(64))).not.toThrow();
  });

  it('reads integers exactly or not at all', () => {
    const n = (t: string): number | undefined => exactNonNegativeInteger(new JsonNumber(t));
    expect(n('0')).toBe(0);
    expect(n('9007199254740991')).toBe(9007199254740991);
    expect(n('9007199254740992')).toBeUndefined();
    expect(n('18446744073709551615')).toBeUndefined();
    expect(n('1.0')).toBeUndefined();
    expect(n('1e3')).toBeUndefined();
    expect(n('-1')).toBeUndefined();
    expect(exactNonNegativeInteger('5')).toBeUndefined();
  });
});
