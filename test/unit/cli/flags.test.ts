// Flags derived from a command's zod input: spellings, value reading, help, and errors in the user's words.
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deriveFlags, flagsFor, kebab } from '../../../src/cli/flags';
import { formatFlagHelp, mergeFlags } from '../../../src/cli/flag-set';
import { FeaturescopeError } from '../../../src/shared/errors';
import type { Host } from '../../../src/host/host';

const noHost = () => Promise.reject(new Error('these flags need no host'));

const Input = z
  .object({
    dSae: z.number().int().min(1).max(64).describe('Latents of the SAE'),
    lr: z.number().positive().max(1).optional(),
    l1Coefficient: z.number().nonnegative().optional(),
    name: z.string().regex(/^[a-z]+$/, 'lowercase letters only').describe('A name'),
    verify: z.boolean().default(false),
    maskSpecialTokens: z.boolean().default(true),
    architecture: z.enum(['topk', 'jumprelu']).default('topk'),
    layers: z.array(z.number().int().nonnegative()).max(3).optional(),
    hooks: z.array(z.string().min(1)).min(1),
  })
  .strict();

const flags = deriveFlags(Input, { fields: { architecture: { aliases: ['arch'] } } }, 'test');

/** Parse argv as the CLI does and read the input. */
async function read(argv: string[]): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args: argv, options: flags.options, strict: true });
  return flags.read(values, noHost);
}

async function refusal(argv: string[]): Promise<FeaturescopeError> {
  try {
    await read(argv);
  } catch (err) {
    if (err instanceof FeaturescopeError) return err;
    throw err;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

const required = ['--d-sae', '8', '--name', 'abc', '--hooks', 'h'];

describe('flags derived from a zod input', () => {
  it('spells camelCase fields in kebab-case, numbers included', () => {
    expect(kebab('dSae')).toBe('d-sae');
    expect(kebab('l1Coefficient')).toBe('l1-coefficient');
    expect(kebab('topN')).toBe('top-n');
    expect(kebab('maxTokens')).toBe('max-tokens');
    expect(Object.keys(flags.options).sort()).toEqual(['arch', 'architecture', 'd-sae', 'hooks', 'l1-coefficient', 'layers', 'lr', 'name', 'no-mask-special-tokens', 'verify'].sort());
  });

  it('reads numbers, booleans, enums and lists into the input, and leaves defaults to the contract', async () => {
    expect(await read(required)).toEqual({ dSae: 8, name: 'abc', hooks: ['h'] });
    const all = await read([...required, '--lr', '1e-3', '--l1-coefficient', '0', '--verify', '--no-mask-special-tokens', '--arch', 'jumprelu', '--layers', '0,2', '--layers', '1', '--hooks', 'g']);
    expect(all).toEqual({ dSae: 8, lr: 0.001, l1Coefficient: 0, name: 'abc', verify: true, maskSpecialTokens: false, architecture: 'jumprelu', layers: [0, 2, 1], hooks: ['h', 'g'] });
    expect(Input.safeParse(all).success).toBe(true);
  });

  it('refuses a bad value naming the flag and the rule in words', async () => {
    const cases: Array<[string[], string]> = [
      [['--d-sae', 'abc'], '--d-sae must be an integer from 1 to 64, got "abc".'],
      [['--d-sae', '0'], '--d-sae must be an integer from 1 to 64, got "0".'],
      [['--d-sae', '2.5'], '--d-sae must be an integer from 1 to 64, got "2.5".'],
      [['--lr', '0'], '--lr must be a number greater than 0 and at most 1, got "0".'],
      [['--l1-coefficient=-1'], '--l1-coefficient must be a number of at least 0, got "-1".'],
      [['--arch', 'nope'], '--arch must be one of topk, jumprelu, got "nope".'],
      [['--name', 'ABC'], '--name must be lowercase letters only, got "ABC".'],
      [['--layers', '0,x'], '--layers must be an integer of at least 0, got "x".'],
      [['--layers', '0,1,2,3'], '--layers can be given at most 3 times, got "0,1,2,3".'],
      [['--hooks', ''], '--hooks must not be empty, got "".'],
    ];
    for (const [bad, message] of cases) {
      const err = await refusal([...required, ...bad]);
      expect(err.code).toBe('invalid_input');
      expect(err.message).toBe(message);
      expect(err.field).toBe(bad[0]!.slice(2).split('=')[0]);
    }
  });

  it('names a missing required flag, and refuses one option given under two spellings', async () => {
    expect((await refusal(['--name', 'abc', '--hooks', 'h'])).message).toBe('--d-sae is required.');
    expect((await refusal(['--d-sae', '8', '--name', 'abc'])).message).toBe('--hooks is required.');
    expect((await refusal([...required, '--arch', 'topk', '--architecture', 'topk'])).message).toBe('--architecture and --arch are the same option; give it once.');
  });

  it('refuses a nested object or union unless the command says how to read it', () => {
    const Nested = z.object({ corpus: z.object({ path: z.string() }), k: z.number().int() }).strict();
    expect(() => deriveFlags(Nested, {}, 'nested')).toThrow(/nested: field "corpus" is a object, which has no flag of its own/);
    expect(Object.keys(deriveFlags(Nested, { hand: ['corpus'] }, 'nested').options)).toEqual(['k']);
    const Union = z.object({ ref: z.union([z.number(), z.string()]) }).strict();
    expect(() => deriveFlags(Union, {}, 'union')).toThrow(/field "ref" is a union/);
    expect(() => deriveFlags(Union, { fields: { ref: { parse: (t) => t } } }, 'union')).not.toThrow();
    expect(() => deriveFlags(Nested, { hand: ['corpus'], fields: { nope: {} } }, 'typo')).toThrow(/"nope", which is not a field/);
  });

  it('resolves names through the host only after every flag has been checked', async () => {
    const Sae = z.object({ saeId: z.number().int().positive(), idx: z.number().int().nonnegative() }).strict();
    let asked = 0;
    const host = () => {
      asked++;
      return Promise.resolve({} as Host);
    };
    const byName = deriveFlags(Sae, { fields: { saeId: { flag: 'sae', resolve: async (text) => (text === 'mine' ? 7 : 0) } } }, 'sae');
    await expect(byName.read({ sae: 'mine' }, host)).rejects.toThrow('--idx is required.');
    expect(asked).toBe(0);
    expect(await byName.read({ sae: 'mine', idx: '3' }, host)).toEqual({ saeId: 7, idx: 3 });
  });

  it('lists every option with its description, default and spellings in --help', () => {
    const text = formatFlagHelp(mergeFlags(flags).help);
    expect(text).toMatch(/--d-sae N +Latents of the SAE \(required\)/);
    expect(text).toMatch(/--architecture, --arch topk\|jumprelu\s+\(default topk\)/);
    expect(text).toMatch(/--layers N\[,N…\] +\(repeatable\)/);
    expect(text).toMatch(/--no-mask-special-tokens +\(on by default; --no-mask-special-tokens turns it off\)/);
  });

  it('derives train’s flags from sae.train, old spellings kept', async () => {
    const train = flagsFor('sae.train', { fields: { architecture: { aliases: ['arch'] }, batchSize: { aliases: ['batch'] }, l1Coefficient: { aliases: ['l1'] }, l0Coefficient: { aliases: ['l0'] } } });
    for (const old of ['store', 'name', 'arch', 'd-sae', 'k', 'steps', 'batch', 'lr', 'l1', 'l0', 'seed', 'checkpoint-every', 'eval-windows']) expect(train.options).toHaveProperty(old);
    const { values } = parseArgs({ args: ['--store', '/s', '--name', 'a', '--d-sae', '32', '--k', '2', '--steps', '20', '--batch', '64', '--l1', '0.5'], options: train.options, strict: true });
    expect(await train.read(values, noHost)).toEqual({ store: '/s', name: 'a', dSae: 32, k: 2, steps: 20, batchSize: 64, l1Coefficient: 0.5 });
  });
});

describe('every featurescope command', () => {
  it('loads its flags and describes each option in --help', async () => {
    const maps = await Promise.all([import('../../../src/cli/commands/app'), import('../../../src/cli/commands/model'), import('../../../src/cli/commands/sae'), import('../../../src/cli/commands/catalog'), import('../../../src/cli/commands/audit'), import('../../../src/cli/commands/watch')]);
    const all = Object.assign({}, ...maps.map((m) => Object.values(m)[0])) as Record<string, { flags: { options: Record<string, unknown>; help: Array<{ names: string[]; description: string }> } }>;
    expect(Object.keys(all).length).toBeGreaterThanOrEqual(18);
    for (const [name, command] of Object.entries(all)) {
      const listed = command.flags.help.flatMap((h) => h.names);
      // Every spelling parseArgs accepts is in the help, and every help line says what the option does.
      expect(listed.sort(), name).toEqual(Object.keys(command.flags.options).sort());
      for (const h of command.flags.help) expect(h.description.replace(/\(.*\)$/, '').trim().length, `${name} --${h.names[0]}`).toBeGreaterThan(0);
    }
  });
});
