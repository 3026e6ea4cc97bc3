import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { commandNames, commands } from '../../../src/shared/contract';
import { FeaturescopeError } from '../../../src/shared/errors';
import { parseCommandInput } from '../../../src/shared/validate';
import { validExamples } from './examples';

function rejection(command: string, input: unknown): FeaturescopeError {
  try {
    parseCommandInput(command, input);
  } catch (err) {
    if (err instanceof FeaturescopeError) return err;
    throw err;
  }
  throw new Error(`${command} accepted ${JSON.stringify(input)}`);
}

function shapeOf(command: (typeof commandNames)[number]): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = commands[command].input.shape;
  return shape;
}

const anyJsonValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

describe('every command input is validated against the contract', () => {
  it('has a valid example for every command, and the example parses', () => {
    expect(Object.keys(validExamples).sort()).toEqual([...commandNames].sort());
    for (const name of commandNames) expect(() => parseCommandInput(name, validExamples[name])).not.toThrow();
  });

  it('rejects a missing required field, naming it', () => {
    for (const name of commandNames) {
      for (const [key, field] of Object.entries(shapeOf(name))) {
        if (field.safeParse(undefined).success) continue; // optional or defaulted
        const input = { ...(validExamples[name] as object) } as Record<string, unknown>;
        delete input[key];
        const err = rejection(name, input);
        expect(err.code).toBe('invalid_input');
        expect(err.field).toBe(key);
        expect(err.message).toContain(key);
      }
    }
  });

  it('rejects a wrong-typed field, naming it (property)', () => {
    const cases = commandNames.flatMap((name) => Object.keys(shapeOf(name)).map((key) => [name, key] as const));
    if (cases.length === 0) return;
    fc.assert(
      fc.property(fc.constantFrom(...cases), anyJsonValue, ([name, key], value) => {
        fc.pre(!shapeOf(name)[key]!.safeParse(value).success);
        const err = rejection(name, { ...(validExamples[name] as object), [key]: value });
        expect(err.code).toBe('invalid_input');
        // The field itself, or the element inside it that broke the rule ("tags.0").
        expect(err.field === key || err.field?.startsWith(`${key}.`)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects unknown keys, naming the key (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...commandNames), fc.string({ minLength: 1, maxLength: 12 }), anyJsonValue, (name, key, value) => {
        fc.pre(!(key in shapeOf(name)) && key !== '__proto__');
        const err = rejection(name, { ...(validExamples[name] as object), [key]: value });
        expect(err.code).toBe('invalid_input');
        expect(err.field).toBe(key);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects inputs that are not objects', () => {
    fc.assert(
      fc.property(fc.constantFrom(...commandNames), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.integer())), (name, value) => {
        expect(rejection(name, value).code).toBe('invalid_input');
      }),
      { numRuns: 100 },
    );
  });

  it('rejects unknown commands with their own code', () => {
    expect(rejection('no.such.command', {}).code).toBe('unknown_command');
    expect(rejection('__proto__', {}).code).toBe('unknown_command');
    expect(rejection('toString', {}).code).toBe('unknown_command');
  });
});
