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
  const where = field === '' ? 'input' : `field "${field}"`;
  throw new FeaturescopeError('invalid_input', `${name}: ${where} ${describeIssue(issue)}`, field === '' ? undefined : field);
}

/** A name from the wire is a command of the contract, or an unknown_command error (quoting at most 100 characters of it). */
export function assertCommandName(name: unknown): asserts name is CommandName {
  if (!isCommandName(name)) throw new FeaturescopeError('unknown_command', `There is no command named "${String(name).slice(0, 100)}".`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `is required (${issue.expected})` : `must be ${issue.expected}`;
    case 'unrecognized_keys':
      return `has unknown key(s): ${issue.keys.join(', ')}`;
    default:
      return `is invalid: ${issue.message}`;
  }
}
