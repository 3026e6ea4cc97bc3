// JSON Schema (as zod's toJSONSchema writes it for the contract) → readable Markdown: a table of input
// fields with their types, rules and descriptions, and a compact type block for outputs. Only the
// keywords zod emits are handled; anything else is named as "any JSON" rather than guessed at.

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  $ref?: string;
}

/** zod states int() as the safe-integer range; saying so on every field is noise. */
const SAFE = Number.MAX_SAFE_INTEGER;

const alternatives = (s: JsonSchema): JsonSchema[] | undefined => s.anyOf ?? s.oneOf;

const isObject = (s: JsonSchema): boolean => s.type === 'object' || s.properties !== undefined;

/** Properties of an object schema, or of every alternative's when they are all objects (a tagged union). */
function isPlainObject(s: JsonSchema): boolean {
  return isObject(s) && s.properties !== undefined && Object.keys(s.properties).length > 0;
}

/** A type on one line: `string`, `integer[]`, `"a" | "b"`, `{ id: number, text: string }`. */
export function inlineType(s: JsonSchema): string {
  if (s.$ref !== undefined) return 'any JSON (recursive)';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const alts = alternatives(s);
  if (alts) return alts.map((a) => inlineType(a)).join(' \\| ');
  if (s.allOf) return s.allOf.map((a) => inlineType(a)).join(' & ');
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  switch (s.type) {
    case 'array':
      if (s.prefixItems) return `[${s.prefixItems.map(inlineType).join(', ')}]`;
      return s.items ? `${wrapIfUnion(inlineType(s.items))}[]` : 'array';
    case 'object':
      return objectInline(s);
    case 'null':
      return 'null';
    case undefined:
      return isObject(s) ? objectInline(s) : 'any JSON';
    default:
      return s.type;
  }
}

function wrapIfUnion(t: string): string {
  return t.includes(' \\| ') ? `(${t})` : t;
}

function objectInline(s: JsonSchema): string {
  const props = Object.entries(s.properties ?? {});
  if (props.length === 0) {
    if (typeof s.additionalProperties === 'object') return `{ [key: string]: ${inlineType(s.additionalProperties)} }`;
    return s.additionalProperties === false ? '{}' : '{ [key: string]: any JSON }';
  }
  const req = new Set(s.required ?? []);
  return `{ ${props.map(([k, v]) => `${k}${req.has(k) ? '' : '?'}: ${inlineType(v)}`).join(', ')} }`;
}

/** The rules a value must keep, in words: bounds, lengths, patterns. */
export function rules(s: JsonSchema): string {
  const out: string[] = [];
  const lo = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined && s.minimum > -SAFE ? `≥ ${s.minimum}` : undefined;
  const hi = s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : s.maximum !== undefined && s.maximum < SAFE ? `≤ ${s.maximum}` : undefined;
  if (lo?.startsWith('≥') && hi?.startsWith('≤')) out.push(`${s.minimum} … ${s.maximum}`);
  else out.push(...[lo, hi].filter((b): b is string => b !== undefined));
  const span = (min: number | undefined, max: number | undefined, unit: string) => {
    if (min !== undefined && max !== undefined) out.push(`${min} … ${max} ${unit}`);
    else if (min !== undefined) out.push(`≥ ${min} ${unit}`);
    else if (max !== undefined) out.push(`≤ ${max} ${unit}`);
  };
  if (s.minLength === 1 && s.maxLength === undefined) out.push('not empty');
  else span(s.minLength, s.maxLength, 'chars');
  if (s.minItems === 1 && s.maxItems === undefined) out.push('at least one');
  else span(s.minItems, s.maxItems, 'items');
  if (s.pattern !== undefined) out.push(`matches \`${s.pattern}\``);
  if (s.format !== undefined) out.push(`format ${s.format}`);
  if (s.type === 'array' && s.items && !isPlainObject(s.items)) {
    const inner = rules(s.items);
    if (inner) out.push(`each ${inner}`);
  }
  return out.join(', ');
}

export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  defaultValue?: unknown;
  rules: string;
  description: string;
}

/**
 * One row per field, nested objects flattened to dot paths (`generate.maxNewTokens`) and objects in
 * arrays to `[]` paths (`interventions[].hook`): the same paths an `invalid_input` error's `field` names.
 */
export function fieldRows(s: JsonSchema, prefix = '', parentRequired = true): FieldRow[] {
  const rows: FieldRow[] = [];
  const req = new Set(s.required ?? []);
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const required = parentRequired && req.has(name);
    const forms = objectForms(prop);
    if (forms) {
      // A union of objects (a corpus kind, an intervention target): its forms' fields, each marked with its form.
      rows.push({ path, type: `one of ${forms.schemas.length} forms${forms.inArray ? ', in an array' : ''}`, required, defaultValue: prop.default, rules: rules(prop), description: prop.description ?? '' });
      forms.schemas.forEach((form, i) => {
        for (const row of fieldRows(form, forms.inArray ? `${path}[]` : path, true)) rows.push({ ...row, description: `form ${i + 1}${row.description ? `: ${row.description}` : ''}` });
      });
      continue;
    }
    const nested = nestedObject(prop);
    rows.push({
      path,
      type: nested ? (nested.inArray ? 'object[]' : 'object') : inlineType(prop),
      required,
      defaultValue: prop.default,
      rules: rules(prop),
      description: prop.description ?? '',
    });
    if (nested) rows.push(...fieldRows(nested.schema, nested.inArray ? `${path}[]` : path, true));
  }
  return rows;
}

/** The forms of a union whose every alternative is an object with fields (or an array of such a union). */
function objectForms(s: JsonSchema): { schemas: JsonSchema[]; inArray: boolean } | null {
  const direct = alternatives(s);
  if (direct?.every(isPlainObject)) return { schemas: direct, inArray: false };
  const inItems = s.type === 'array' && s.items ? alternatives(s.items) : undefined;
  if (inItems?.every(isPlainObject)) return { schemas: inItems, inArray: true };
  return null;
}

/** An object (or array of objects) worth flattening into rows of its own. */
function nestedObject(s: JsonSchema): { schema: JsonSchema; inArray: boolean } | null {
  if (isPlainObject(s) && !alternatives(s)) return { schema: s, inArray: false };
  if (s.type === 'array' && s.items && isPlainObject(s.items) && !alternatives(s.items)) return { schema: s.items, inArray: true };
  return null;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** inlineType already escapes its union bars for tables. */
const typeCell = (text: string) => text.replace(/\n/g, ' ');

export function fieldTable(s: JsonSchema): string {
  const rows = fieldRows(s);
  if (rows.length === 0) return s.additionalProperties === false ? '_No fields: send `{}`._\n' : `_Any object: ${inlineType(s)}._\n`;
  const lines = ['| field | type | required | rules | description |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const required = r.required ? 'yes' : r.defaultValue !== undefined ? `no (default \`${JSON.stringify(r.defaultValue)}\`)` : 'no';
    lines.push(`| \`${r.path}\` | ${typeCell(r.type)} | ${required} | ${cell(r.rules)} | ${cell(r.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Objects of scalars this short stay on one line in a type block. */
const INLINE_WIDTH = 72;

/** A multi-line type for outputs, objects indented one field a line (short flat ones on one line). */
export function typeBlock(s: JsonSchema, indent = ''): string {
  const inner = `${indent}  `;
  const alts = alternatives(s);
  if (alts) return alts.map((a) => typeBlock(a, indent)).join(' | ');
  if (isPlainObject(s)) {
    const flat = inlineType(s).replace(/ \\\| /g, ' | ');
    if (!Object.values(s.properties!).some((v) => nestsObject(v)) && flat.length <= INLINE_WIDTH) return flat;
    const req = new Set(s.required ?? []);
    const lines = Object.entries(s.properties!).map(([k, v]) => {
      const note = v.description ? `  // ${v.description}` : '';
      return `${inner}${k}${req.has(k) ? '' : '?'}: ${typeBlock(v, inner)}${note}`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  if (s.type === 'array' && s.items && nestsObject(s.items)) return `Array<${typeBlock(s.items, indent)}>`;
  if (Array.isArray(s.type) && s.type.includes('null')) return `${s.type.filter((t) => t !== 'null').join(' | ')} | null`;
  return inlineType(s).replace(/ \\\| /g, ' | ');
}

/** Whether a schema holds an object with named fields anywhere inside. */
function nestsObject(s: JsonSchema): boolean {
  if (isPlainObject(s)) return true;
  if (alternatives(s)?.some(nestsObject)) return true;
  return s.type === 'array' && s.items !== undefined && nestsObject(s.items);
}
