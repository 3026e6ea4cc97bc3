// A small strict JSON parser for untrusted file headers (safetensors, index.json, npz-adjacent).
//
// Why not JSON.parse: it silently keeps the last of duplicate keys (a file could show one tensor
// to a checker and another to a loader), it rounds integers above 2^53 without telling, and it
// builds plain objects. This parser rejects duplicate keys, keeps number text as written so
// callers can demand exact integers, returns objects as Maps (no prototype keys at all), and
// caps nesting depth so a hostile header cannot blow the stack.

export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | Map<string, JsonValue>;

/** Thrown for any syntax problem; callers wrap it in a FeaturescopeError naming their file. */
export class StrictJsonError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at character ${position}`);
    this.name = 'StrictJsonError';
  }
}

export interface StrictJsonOptions {
  /** Deepest allowed nesting of arrays/objects. */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 64;
// Characters a JSON string may hold unescaped: anything but '"', '\\' and controls.
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;
const NUMBER_PATTERN = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export function parseStrictJson(text: string, options: StrictJsonOptions = {}): JsonValue {
  const parser = new Parser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH);
  return parser.parseDocument();
}

class Parser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): JsonValue {
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private fail(message: string): never {
    throw new StrictJsonError(message, this.pos);
  }

  private skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  private parseValue(depth: number): JsonValue {
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject(depth + 1);
      case '[':
        return this.parseArray(depth + 1);
      case '"':
        return this.parseString();
      case 't':
        return this.parseLiteral('true', true);
      case 'f':
        return this.parseLiteral('false', false);
      case 'n':
        return this.parseLiteral('null', null);
      case undefined:
        return this.fail('unexpected end of JSON');
      default:
        return this.parseNumber();
    }
  }

  private parseLiteral<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('invalid literal');
    this.pos += word.length;
    return value;
  }

  private parseNumber(): JsonNumber {
    NUMBER_PATTERN.lastIndex = this.pos;
    const match = NUMBER_PATTERN.exec(this.text);
    if (match === null) this.fail('unexpected character');
    this.pos += match[0].length;
    return new JsonNumber(match[0]);
  }

  private parseObject(depth: number): Map<string, JsonValue> {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.pos++; // '{'
    const result = new Map<string, JsonValue>();
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const keyStart = this.pos;
      const key = this.parseString();
      if (result.has(key)) {
        this.pos = keyStart;
        this.fail(`duplicate key ${JSON.stringify(key)}`);
      }
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      result.set(key, this.parseValue(depth));
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        continue;
      }
      if (next === '}') {
        this.pos++;
        return result;
      }
      this.fail("expected ',' or '}'");
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.pos++; // '['
    const result: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      result.push(this.parseValue(depth));
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        continue;
      }
      if (next === ']') {
        this.pos++;
        return result;
      }
      this.fail("expected ',' or ']'");
    }
  }

  private parseString(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      // Fast path: a run of ordinary characters in one regex step (headers are mostly names).
      PLAIN_RUN.lastIndex = this.pos;
      PLAIN_RUN.test(t);
      const runEnd = PLAIN_RUN.lastIndex;
      out += t.slice(this.pos, runEnd);
      this.pos = runEnd;
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        return out;
      }
      if (c === 0x5c) {
        out += this.parseEscape();
        continue;
      }
      if (Number.isNaN(c)) return this.fail('unterminated string');
      return this.fail('control character inside a string');
    }
  }

  private parseEscape(): string {
    const t = this.text;
    const e = t[this.pos + 1];
    this.pos += 2;
    switch (e) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const hex = t.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
        this.pos += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        this.pos -= 2;
        return this.fail('invalid escape');
    }
  }
}

/** The exact value of a JSON number that must be a non-negative integer ≤ 2^53−1, or undefined. */
export function exactNonNegativeInteger(value: JsonValue | undefined): number | undefined {
  if (!(value instanceof JsonNumber)) return undefined;
  if (!/^(?:0|[1-9][0-9]*)$/.test(value.text)) return undefined;
  if (value.text.length > 16) return undefined; // > 2^53 certainly; avoids BigInt on long digit runs
  const n = Number(value.text);
  return Number.isSafeInteger(n) ? n : undefined;
}
