// The experiment baseline cache: one computation per model, SAE and run settings; interventions
// are not part of the key, everything else is.
import { describe, expect, it } from 'vitest';
import type { RunInput } from '../../../src/shared/contract';
import type { LoadedModel } from '../../../src/engine/model';
import type { Sae } from '../../../src/engine/sae/sae';
import { BaselineCache } from '../../../src/engine/session/baseline-cache';
import type { PromptRun } from '../../../src/engine/session/run-prompt';

const modelA = {} as LoadedModel;
const modelB = {} as LoadedModel;
const sae = {} as Sae;
const input: RunInput = {
  model: '/models/a',
  prompt: 'The cat sat',
  capture: [],
  interventions: [{ hook: 'blocks.0.mlp.hook_post', kind: 'ablate-zero', target: { neurons: [1] } }],
  topK: 30,
  generate: { maxNewTokens: 12, temperature: 0, topP: 1, seed: 0 },
};

function counting() {
  let calls = 0;
  const compute = async (): Promise<PromptRun> => {
    calls++;
    return { output: { seconds: calls } as PromptRun['output'], logProbs: new Float64Array(1) };
  };
  return { compute, calls: () => calls };
}

describe('BaselineCache', () => {
  it('computes a baseline once however the interventions change', async () => {
    const cache = new BaselineCache();
    const c = counting();
    const first = await cache.get(modelA, sae, input, c.compute);
    const steered = { ...input, interventions: [{ hook: 'blocks.1.hook_resid_post', kind: 'add' as const, target: { saeFeatures: [5] }, value: 3 }] };
    const again = await cache.get(modelA, sae, steered, c.compute);
    expect(c.calls()).toBe(1);
    expect(again).toBe(first);
  });

  it('treats the same settings in another key order as the same run', async () => {
    const cache = new BaselineCache();
    const c = counting();
    await cache.get(modelA, undefined, input, c.compute);
    const reversed = Object.fromEntries(Object.entries(input).reverse()) as RunInput;
    const reordered: RunInput = { ...reversed, generate: { seed: 0, topP: 1, temperature: 0, maxNewTokens: 12 } };
    await cache.get(modelA, undefined, reordered, c.compute);
    expect(c.calls()).toBe(1);
  });

  it.each([
    ['prompt', { prompt: 'The dog sat' }],
    ['seed', { generate: { ...input.generate!, seed: 1 } }],
    ['temperature', { generate: { ...input.generate!, temperature: 0.7 } }],
    ['new tokens', { generate: { ...input.generate!, maxNewTokens: 4 } }],
    ['no generation', { generate: undefined }],
    ['topK', { topK: 5 }],
    ['probe', { probe: { feature: 3 } }],
    ['capture', { capture: ['blocks.0.hook_resid_post'] }],
  ] as const)('recomputes when the %s differs', async (_what, change) => {
    const cache = new BaselineCache();
    const c = counting();
    await cache.get(modelA, sae, input, c.compute);
    await cache.get(modelA, sae, { ...input, ...change } as RunInput, c.compute);
    expect(c.calls()).toBe(2);
  });

  it('recomputes for another loaded model or SAE object (a reload is a new model)', async () => {
    const cache = new BaselineCache();
    const c = counting();
    await cache.get(modelA, sae, input, c.compute);
    await cache.get(modelB, sae, input, c.compute);
    await cache.get(modelA, undefined, input, c.compute);
    await cache.get(modelA, {} as Sae, input, c.compute);
    expect(c.calls()).toBe(4);
  });

  it('does not remember a failure', async () => {
    const cache = new BaselineCache();
    await expect(cache.get(modelA, sae, input, () => Promise.reject(new Error('engine busy')))).rejects.toThrow('engine busy');
    const c = counting();
    await cache.get(modelA, sae, input, c.compute);
    expect(c.calls()).toBe(1);
  });

  it('keeps only the most recently used runs', async () => {
    const cache = new BaselineCache(2);
    const c = counting();
    const prompts = ['a', 'b', 'a', 'c', 'a', 'b'];
    for (const prompt of prompts) await cache.get(modelA, sae, { ...input, prompt }, c.compute);
    // a, b computed; a hit; c computed (evicts b); a hit; b computed again.
    expect(c.calls()).toBe(4);
  });
});
