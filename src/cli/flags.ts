// Command-line flags derived from a command's zod input: a field `dSae` is `--d-sae`, its help text
// is the field's `.describe()`, and its value is read and checked against the field's own schema, so
// a new command gets its flags for free. Fields the derivation cannot read (nested objects, unions)
// must be given a parse rule, built by the command from its own flags ("hand"), or left out ("omit").
import type { z } from 'zod';
import { commands, type CommandInput, type CommandName } from '../shared/contract';
import { FeaturescopeError } from '../shared/errors';
import type { Host } from '../host/host';
import type { FlagHelp, FlagSet, ParseArgsOptions } from './flag-set';

/** How one field is spelled and read on the command line, where the derivation alone does not fit. */
export interface FieldRule {
  /** Replaces the derived spelling (for an ID|NAME flag that means more than the field). */
  flag?: string;
  /** Older spellings, still accepted. */
  aliases?: string[];
  /** Placeholder shown in --help. */
  value?: string;
  /** Help text where the schema has none, or the flag means more than the field (given the schema's text). */
  describe?: string | ((fromSchema: string | undefined) => string);
  /** Replaces the "(required)" / "(default …)" note of --help, where a flag matters in one mode only. */
  note?: string;
  /** The command line's default, where it differs from the contract's. */
  default?: unknown;
  /** Text → value, for fields the derivation cannot read (unions, relative paths); the result is still checked. */
  parse?: (text: string) => unknown;
  /** Text → value through the host (names of SAEs and models); checked by the host. */
  resolve?: (text: string, host: Host) => Promise<unknown>;
  /** The value when the flag is absent, looked up through the host (the bundled model). */
  whenAbsent?: (host: Host) => Promise<unknown>;
}

type InputKey<C extends CommandName> = keyof CommandInput<C> & string;

export interface DeriveSpec<K extends string, H extends K> {
  fields?: { [F in K]?: FieldRule };
  /** Fields the command builds itself from flags of its own. */
  hand?: readonly H[];
  /** Fields not offered on the command line. */
  omit?: readonly K[];
}

export interface DerivedFlags<T> extends FlagSet {
  /** The fields read from the flags: checked before the host starts, names resolved after. */
  read(values: Record<string, unknown>, host: () => Promise<Host>): Promise<T>;
}

/** The flags of a contract command; `read` gives its input but for the `hand` fields. */
export function flagsFor<C extends CommandName, H extends InputKey<C> = never>(command: C, spec: DeriveSpec<InputKey<C>, H> = {}): DerivedFlags<Omit<CommandInput<C>, H>> {
  const derived = deriveFlags(commands[command].input, spec, command);
  // Each value was checked against its field's schema (or is resolved by a rule the command chose).
  return derived as DerivedFlags<Omit<CommandInput<C>, H>>;
}

type Kind = 'integer' | 'number' | 'string' | 'boolean' | 'enum';

interface Field {
  key: string;
  schema: z.ZodType;
  rule: FieldRule;
  names: string[];
  kind: Kind | undefined;
  array: boolean;
  /** The unwrapped scalar schema (the element's, for arrays). */
  scalar: z.ZodType | undefined;
  required: boolean;
  defaultValue: unknown;
  /** A boolean that is on by default: its flag is --no-NAME. */
  negated: boolean;
}

/** camelCase → kebab-case: dSae → d-sae, l1Coefficient → l1-coefficient, topN → top-n. */
export function kebab(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

export function deriveFlags(schema: z.ZodObject, spec: DeriveSpec<string, string>, where: string): DerivedFlags<Record<string, unknown>> {
  for (const key of [...Object.keys(spec.fields ?? {}), ...(spec.hand ?? []), ...(spec.omit ?? [])]) {
    if (!(key in schema.shape)) throw new Error(`${where}: a flag rule names "${key}", which is not a field of its input.`);
  }
  const skip = new Set<string>([...(spec.hand ?? []), ...(spec.omit ?? [])]);
  const fields: Field[] = [];
  for (const [key, fieldSchema] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (skip.has(key)) continue;
    fields.push(describeField(key, fieldSchema, spec.fields?.[key] ?? {}, where));
  }
  const options: ParseArgsOptions = {};
  const help: FlagHelp[] = [];
  for (const f of fields) {
    for (const name of f.names) options[name] = f.kind === 'boolean' ? { type: 'boolean' } : f.array ? { type: 'string', multiple: true } : { type: 'string' };
    help.push({ names: f.names, ...(f.kind === 'boolean' ? {} : { value: placeholder(f) }), description: helpText(f) });
  }
  return {
    options,
    help,
    async read(values, getHost) {
      const input: Record<string, unknown> = {};
      const later: Array<(host: Host) => Promise<void>> = [];
      for (const f of fields) {
        const given = givenSpelling(f, values);
        if (given === undefined) {
          if (f.rule.default !== undefined) input[f.key] = f.rule.default;
          else if (f.rule.whenAbsent) {
            const whenAbsent = f.rule.whenAbsent;
            later.push(async (host) => void (input[f.key] = await whenAbsent(host)));
          } else if (f.required) throw new FeaturescopeError('invalid_input', `--${f.names[0]} is required.`, f.names[0]);
          continue;
        }
        const [flag, raw] = given;
        if (f.kind === 'boolean') input[f.key] = f.negated ? raw !== true : raw === true;
        else if (f.rule.resolve) {
          const resolveText = f.rule.resolve;
          later.push(async (host) => void (input[f.key] = await resolveText(raw as string, host)));
        } else input[f.key] = readValue(f, flag, raw);
      }
      if (later.length > 0) {
        const host = await getHost();
        for (const step of later) await step(host);
      }
      return input;
    },
  };
}

function describeField(key: string, schema: z.ZodType, rule: FieldRule, where: string): Field {
  let inner = schema;
  let defaultValue: unknown;
  let optional = false;
  for (;;) {
    const def = inner._zod.def as { type: string; innerType?: z.ZodType; defaultValue?: unknown };
    if (def.type === 'default') defaultValue = def.defaultValue;
    if (def.type === 'optional' || def.type === 'nullable') optional = true;
    if (!def.innerType || !['optional', 'nullable', 'default', 'prefault', 'readonly'].includes(def.type)) break;
    inner = def.innerType;
  }
  const innerDef = inner._zod.def as { type: string; element?: z.ZodType };
  const array = innerDef.type === 'array';
  const scalar = array ? innerDef.element! : inner;
  const kind = kindOf(scalar);
  if (kind === undefined && !rule.parse && !rule.resolve) {
    throw new Error(`${where}: field "${key}" is ${array ? `a list of ${scalar._zod.def.type}` : `a ${inner._zod.def.type}`}, which has no flag of its own; give it a parse rule, build it by hand, or leave it out.`);
  }
  if (array && kind === 'boolean') throw new Error(`${where}: field "${key}" is a list of booleans, which has no flag of its own.`);
  const negated = kind === 'boolean' && !array && defaultValue === true;
  const primary = rule.flag ?? (negated ? `no-${kebab(key)}` : kebab(key));
  const hasDefault = defaultValue !== undefined || rule.default !== undefined || rule.whenAbsent !== undefined;
  return {
    key,
    schema,
    rule,
    names: [primary, ...(rule.aliases ?? [])],
    kind,
    array,
    scalar,
    required: !optional && !hasDefault && !(array && schema.safeParse([]).success),
    defaultValue: rule.default ?? defaultValue,
    negated,
  };
}

function kindOf(schema: z.ZodType): Kind | undefined {
  const def = schema._zod.def as { type: string; checks?: Array<{ _zod: { def: { check: string; format?: string } } }> };
  switch (def.type) {
    case 'number':
      return (def.checks ?? []).some((c) => c._zod.def.check === 'number_format' && c._zod.def.format === 'safeint') ? 'integer' : 'number';
    case 'string':
    case 'boolean':
    case 'enum':
      return def.type;
    default:
      return undefined;
  }
}

/** Which spelling the user gave, and its value; the same option under two spellings is refused (lists add up). */
function givenSpelling(f: Field, values: Record<string, unknown>): [string, unknown] | undefined {
  const given = f.names.filter((n) => values[n] !== undefined);
  if (given.length === 0) return undefined;
  if (given.length > 1 && !f.array) {
    throw new FeaturescopeError('invalid_input', `${given.map((n) => `--${n}`).join(' and ')} are the same option; give it once.`, f.names[0]);
  }
  if (f.array) return [given[0]!, given.flatMap((n) => values[n] as string[])];
  return [given[0]!, values[given[0]!]];
}

function readValue(f: Field, flag: string, raw: unknown): unknown {
  if (!f.array) {
    const value = readScalar(f, flag, raw as string);
    check(f.schema, value, flag, raw as string, f);
    return value;
  }
  // Numbers may also come comma-separated (--layers 0,1,2); text never is split (it may hold commas).
  const texts = (raw as string[]).flatMap((t) => (f.kind === 'integer' || f.kind === 'number' ? t.split(',') : [t]));
  const list = texts.map((t) => {
    const value = readScalar(f, flag, t);
    if (!f.rule.parse) check(f.scalar!, value, flag, t, f);
    return value;
  });
  check(f.schema, list, flag, texts.join(','), f);
  return list;
}

function readScalar(f: Field, flag: string, text: string): unknown {
  if (f.rule.parse) return f.rule.parse(text);
  if (f.kind === 'integer' || f.kind === 'number') {
    const n = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(n)) throw badValue(flag, `must be ${numberRule(f.scalar!, f.kind)}`, text);
    return n;
  }
  return text;
}

/** Check a value against its schema; a failure names the flag and says the rule as a person would. */
function check(schema: z.ZodType, value: unknown, flag: string, text: string, f: Field): void {
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  const issue = parsed.error.issues[0]!;
  if (f.kind === 'integer' || f.kind === 'number') {
    // A bound of the list itself (how many) is not a bound of each number.
    if (!(f.array && issue.path.length === 0)) throw badValue(flag, `must be ${numberRule(f.scalar!, f.kind)}`, text);
  }
  throw badValue(flag, ruleInWords(issue), text);
}

function badValue(flag: string, rule: string, text: string): FeaturescopeError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return new FeaturescopeError('invalid_input', `--${flag} ${rule}, got "${shown}".`, flag);
}

function ruleInWords(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `must be given at least ${issue.minimum} time${Number(issue.minimum) === 1 ? '' : 's'}`;
      return `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `can be given at most ${issue.maximum} times`;
      return `must be at most ${issue.maximum}`;
    case 'invalid_union': {
      // Say why the likeliest branch refused it, not that no branch matched.
      const reason = issue.errors.flat().find((i) => i.code !== 'invalid_type');
      return reason ? ruleInWords(reason) : 'is invalid';
    }
    case 'invalid_format':
    case 'custom':
      return issue.message.startsWith('must') ? issue.message : `must be ${issue.message}`;
    default:
      return `is invalid: ${issue.message}`;
  }
}

/** A number schema's bounds in words: "an integer from 1 to 64", "a number greater than 0 and at most 1". */
export function numberRule(schema: z.ZodType, kind: 'integer' | 'number'): string {
  let low: { value: number; inclusive: boolean } | undefined;
  let high: { value: number; inclusive: boolean } | undefined;
  const checks = ((schema._zod.def as { checks?: Array<{ _zod: { def: { check: string; value?: number; inclusive?: boolean } } }> }).checks ?? []).map((c) => c._zod.def);
  for (const c of checks) {
    if (c.check === 'greater_than' && (low === undefined || c.value! > low.value)) low = { value: c.value!, inclusive: c.inclusive === true };
    if (c.check === 'less_than' && (high === undefined || c.value! < high.value)) high = { value: c.value!, inclusive: c.inclusive === true };
  }
  const what = kind === 'integer' ? 'an integer' : 'a number';
  if (low?.inclusive && high?.inclusive) return `${what} from ${low.value} to ${high.value}`;
  const parts = [low && (low.inclusive ? `of at least ${low.value}` : `greater than ${low.value}`), high && (high.inclusive ? `at most ${high.value}` : `less than ${high.value}`)].filter(Boolean);
  return parts.length === 0 ? what : `${what} ${parts.join(' and ')}`;
}

function placeholder(f: Field): string {
  if (f.rule.value) return f.rule.value;
  const one = f.kind === 'integer' ? 'N' : f.kind === 'number' ? 'X' : f.kind === 'enum' ? ((f.scalar as z.ZodEnum).options as string[]).join('|') : 'TEXT';
  if (!f.array) return one;
  return f.kind === 'integer' || f.kind === 'number' ? `${one}[,${one}…]` : `${one}…`;
}

function helpText(f: Field): string {
  const fromSchema = descriptionOf(f.schema);
  const described = typeof f.rule.describe === 'function' ? f.rule.describe(fromSchema) : (f.rule.describe ?? fromSchema);
  const notes: string[] = [];
  if (f.rule.note !== undefined) notes.push(f.rule.note);
  else if (f.negated) notes.push(`on by default; --${f.names[0]} turns it off`);
  else if (f.required) notes.push('required');
  else if (f.defaultValue !== undefined && f.defaultValue !== false && f.defaultValue !== '' && !(Array.isArray(f.defaultValue) && f.defaultValue.length === 0)) notes.push(`default ${Array.isArray(f.defaultValue) ? f.defaultValue.join(',') : String(f.defaultValue)}`);
  if (f.array) notes.push('repeatable');
  return [described, notes.filter(Boolean).length > 0 ? `(${notes.filter(Boolean).join('; ')})` : ''].filter(Boolean).join(' ');
}

/** The `.describe()` text of a field, looked for on its wrappers (optional, default) and inside them. */
function descriptionOf(schema: z.ZodType): string | undefined {
  let s: z.ZodType | undefined = schema;
  while (s) {
    if (s.description) return s.description;
    s = (s._zod.def as { innerType?: z.ZodType }).innerType;
  }
  return undefined;
}
