import type { z } from 'zod';
import { commands, isCommandName, type CommandName, type ParsedInput } from './contract';
import { FeaturescopeError } from './errors';

/**
 * Parse a command's input against its schema. A bad input throws a FeaturescopeError
 * naming the first offending field (dot path) and the rule it broke.
 */
export function parseCommandInput<C extends CommandName>(name: C, input: unknown): ParsedInput<C>;
export function parseCommandInput(name: string, input: unknown): unknown;
export function parseCommandInput(name: string, input: unknown): unknown {
  assertCommandName(name);
  const schema = commands[name].input as z.ZodType;
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  // An unknown key is reported at its own path, so the UI can point at it.
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const field = path.map(String).join('.');
  const given = valueAt(input, path) !== undefined;
  throw new FeaturescopeError('invalid_input', sentence(describeIssue(issue, field, given)), field === '' ? undefined : field);
}

/** A name from the wire is a command of the contract, or an unknown_command error (quoting at most 100 characters of it). */
export function assertCommandName(name: unknown): asserts name is CommandName {
  if (!isCommandName(name)) throw new FeaturescopeError('unknown_command', `There is no command named "${String(name).slice(0, 100)}".`);
}

/**
 * Fields people meet in forms, in words. The key stays in the message (in brackets when the words
 * do not hold it), so a command-line user knows which option to fix.
 */
const FIELD_WORDS: Record<string, string> = {
  prompt: 'the prompt',
  maxNewTokens: 'new tokens',
  topP: 'top-p',
  dSae: 'd_sae',
  batchSize: 'batch size',
  maxTokens: 'max tokens',
  name: 'the name',
  store: 'the activation store',
  model: 'the model',
  corpus: 'the corpus',
  path: 'the path',
  seed: 'the seed',
};

function subjectOf(field: string): string {
  const key = field.split('.').filter((p) => !/^\d+$/.test(p)).pop() ?? '';
  const words = FIELD_WORDS[key];
  if (words === undefined) return `"${field}"`;
  return words.toLowerCase().includes(key.toLowerCase()) ? words : `${words} (${key})`;
}

function describeIssue(issue: z.core.$ZodIssue, field: string, given: boolean): string {
  const subject = field === '' ? 'the input' : subjectOf(field);
  switch (issue.code) {
    case 'invalid_type': {
      if (!given) return `${subject} is required`;
      if (issue.expected === 'int') return `${subject} must be a whole number`;
      return `${subject} must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min <= 1 ? `${subject} must not be empty` : `${subject} must be at least ${min} characters long`;
      if (issue.origin === 'array' || issue.origin === 'set') return `${subject} needs at least ${min} ${min === 1 ? 'entry' : 'entries'}`;
      return issue.inclusive ? `${subject} must be at least ${min}` : `${subject} must be more than ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `${subject} must be at most ${max.toLocaleString('en-US')} characters long`;
      if (issue.origin === 'array' || issue.origin === 'set') return `${subject} can have at most ${max} ${max === 1 ? 'entry' : 'entries'}`;
      return issue.inclusive ? `${subject} must be at most ${max}` : `${subject} must be less than ${max}`;
    }
    case 'invalid_value':
      return `${subject} must be ${issue.values.length === 1 ? String(issue.values[0]) : `one of ${issue.values.map(String).join(', ')}`}`;
    case 'invalid_format':
      // Our regexes carry their rule in words ("letters, digits, . _ - only"); zod's own do not.
      return issue.message.startsWith('Invalid') ? `${subject} is not a valid ${issue.format}` : `${subject}: ${issue.message}`;
    case 'unrecognized_keys':
      return `${issue.keys.map((k) => `"${k}"`).join(', ')} ${issue.keys.length === 1 ? 'is not a field' : 'are not fields'} of this command`;
    case 'custom':
      return issue.message; // written for people where the rule is declared (kept as written: it may start with a key)
    default:
      return `${subject} is not valid (${issue.message})`;
  }
}

const TYPE_WORDS: Record<string, string> = { number: 'a number', string: 'text', boolean: 'true or false', array: 'a list', object: 'an object' };

/** What the caller sent at `path` (undefined when absent: "is required" rather than "must be a number"). */
function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let at: unknown = input;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** A sentence: capitalised unless it starts with a key as written ("k must not exceed dSae"), with a full stop. */
function sentence(text: string): string {
  const t = /^(the |new |batch |max |")/i.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
