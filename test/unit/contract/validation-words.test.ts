// Validation errors read as sentences about the field, with the rule in words: no zod wording
// ("Too small: expected string to have >=1 characters") and no command name reaches the user.
import { describe, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { parseCommandInput } from '../../../src/shared/validate';

function message(command: string, input: unknown): { field: string | undefined; message: string } {
  try {
    parseCommandInput(command, input);
  } catch (err) {
    if (err instanceof FeaturescopeError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error('accepted');
}

describe('validation errors in the user’s words', () => {
  it('an empty prompt (where a prompt needs text: model.run takes "" as BOS alone, see test/parity/llama2c.test.ts)', () => {
    const attribution = { model: '/m', prompt: '', metric: { kind: 'logprob', token: ' x' }, site: { kind: 'neurons' } };
    expect(message('attribution.run', attribution)).toEqual({ field: 'prompt', message: 'The prompt must not be empty.' });
  });

  it('bounds, types, choices and unknown keys', () => {
    expect(message('model.run', { model: '/m', prompt: 'x', generate: { maxNewTokens: 5000 } }).message).toBe('New tokens (maxNewTokens) must be at most 1024.');
    expect(message('sae.train', { store: '/s', name: 'ab', dSae: 64, k: 4, steps: Number.NaN }).message).toBe('"steps" must be a number.');
    expect(message('sae.train', { store: '/s', name: 'ab', dSae: 64, k: 4 }).message).toBe('"steps" is required.');
    expect(message('sae.train', { store: '/s', name: 'ab', dSae: 6.5, k: 4, steps: 1 }).message).toBe('d_sae (dSae) must be a whole number.');
    expect(message('sae.train', { store: '/s', name: 'a b', dSae: 64, k: 4, steps: 1 }).message).toBe('The name: letters, digits, . _ - only, starting with a letter or digit.');
    expect(message('sae.train', { store: '/s', name: 'ab', dSae: 64, k: 99, steps: 1 }).message).toBe('k must not exceed dSae.');
    expect(message('engine.benchmark', { size: 100, extra: 1 })).toEqual({ field: 'extra', message: '"extra" is not a field of this command.' });
  });

  it('never passes zod’s own wording or the command name on', () => {
    for (const [command, input] of [
      ['experiment.run', { model: '/m', prompt: '', interventions: [] }],
      ['attribution.run', { model: '/m', prompt: '', metric: { kind: 'logprob', token: ' x' }, site: { kind: 'neurons' } }],
      ['model.run', { model: '/m', prompt: 'x', generate: { maxNewTokens: 0 } }],
      ['capture.start', { model: '/m', corpus: { kind: 'txt', path: '' }, hooks: [], name: 'x' }],
    ] as const) {
      const m = message(command, input).message;
      expect(m).not.toMatch(/Too (small|big)|expected|>=|<=|Invalid input/);
      expect(m).not.toContain(command);
    }
  });
});
