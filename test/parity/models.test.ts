// Forward parity with the PyTorch reference (scripts/reference/make_model_fixtures.py): logits and
// every TransformerLens hook of tiny random GPT-2, Llama (GQA, untied head), Qwen2 (q/k/v biases)
// and Gemma-2 (soft-caps, sliding window < sequence, query_pre_attn_scalar, head_dim ≠ d/H),
// unpadded and left/right-padded, with interventions, and greedy generation through the KV cache.
// Error measure: max|ours − torch| / max|torch| over real (unpadded) positions, ≤ 1e-4.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModel } from '../../src/engine/model/load';
import { type Expected, MODEL_FIXTURES, MODEL_NAMES, readCases, readExpected, relativeError, useWasm } from './modelFixtures';

const TOLERANCE = 1e-4;

describe.each(MODEL_NAMES)('%s parity with PyTorch', (name) => {
  let model: LoadedModel;
  let expected: Expected;
  const { forward, greedy } = readCases(name);

  beforeAll(async () => {
    await useWasm();
    model = await loadModel(`${MODEL_FIXTURES}/${name}`);
    expected = readExpected(name);
  });
  afterAll(() => model.dispose());

  it('exposes exactly the hook points the reference records', () => {
    const recorded = expected.keys('single').filter((k) => k !== 'logits');
    expect([...model.hookNames()].sort()).toEqual([...recorded].sort());
  });

  it.each(forward.map((c) => [c.name, c] as const))('%s: logits and hooks match', (_label, c) => {
    const hooks = expected.keys(c.name).filter((k) => k !== 'logits');
    const { logits, captured } = model.run(c.tokens, { attentionMask: c.mask, capture: hooks, interventions: c.interventions });
    try {
      const errors: Record<string, number> = {};
      const ref = expected.get(`${c.name}.logits`);
      expect(logits.shape).toEqual(ref.shape);
      errors.logits = relativeError(logits.dataSync(), ref.data, ref.shape, c.mask);
      for (const hook of hooks) {
        const want = expected.get(`${c.name}.${hook}`);
        const got = captured.get(hook);
        expect(got?.shape, hook).toEqual(want.shape);
        errors[hook] = relativeError(got?.dataSync() ?? [], want.data, want.shape, c.mask);
      }
      for (const [key, err] of Object.entries(errors)) expect(err, `${c.name}.${key}`).toBeLessThanOrEqual(TOLERANCE);
      expect(Object.keys(errors).length).toBe(hooks.length + 1);
    } finally {
      logits.dispose();
      for (const t of captured.values()) t.dispose();
    }
  });

  it('greedy generation with the KV cache equals full-sequence argmax in torch', async () => {
    const tokens: number[] = [];
    for await (const t of model.generate(greedy.prompt, { maxNewTokens: greedy.expected.length, stopTokens: [] })) tokens.push(t.token);
    expect(tokens).toEqual(greedy.expected);
  });

  it('an intervention at positions [2, 3, 7] leaves earlier positions untouched (causality)', () => {
    const add = forward.find((c) => c.name === 'add_vector');
    if (add === undefined) throw new Error('fixture has no add_vector case');
    const plain = model.run(add.tokens);
    const edited = model.run(add.tokens, { interventions: add.interventions });
    const a = plain.logits.arraySync()[0] ?? [];
    const b = edited.logits.arraySync()[0] ?? [];
    plain.logits.dispose();
    edited.logits.dispose();
    expect(b[0]).toEqual(a[0]);
    expect(b[1]).toEqual(a[1]);
    expect(b[2]).not.toEqual(a[2]);
  });
});
