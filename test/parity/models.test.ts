// Forward parity with the PyTorch reference (scripts/reference/make_model_fixtures.py): logits and
// every TransformerLens hook of tiny random GPT-2, Llama (GQA, untied head), Qwen2 (q/k/v biases)
// and Gemma-2 (soft-caps, sliding window < sequence, query_pre_attn_scalar, head_dim ≠ d/H),
// unpadded and left/right-padded, with interventions, and greedy generation through the KV cache.
// Error measure: max|ours − torch| / max|torch| over real (unpadded) positions, ≤ 1e-4.
// Each model runs twice: with its weights resident, and with the memory plan made to stream them
// layer by layer (a backend limit just under the resident peak), which must give the same numbers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { type LoadedModel, loadModel, planModelFolder } from '../../src/engine/model/load';
import type { MemoryLimits } from '../../src/engine/model/memoryPlan';
import { type Expected, MODEL_FIXTURES, MODEL_NAMES, readCases, readExpected, relativeError, useWasm } from './modelFixtures';

const TOLERANCE = 1e-4;

const PLENTY = 1e12;
const MODES = MODEL_NAMES.flatMap((name) => [[name, 'resident'], [name, 'stream']] as const);

/** Limits under which the plan of `dir` is `mode`: plenty of memory, or a backend limit 1 byte under the resident peak. */
function limitsFor(dir: string, mode: 'resident' | 'stream'): MemoryLimits {
  const plenty = { backend: 'wasm', backendLimitBytes: PLENTY, freeBytes: PLENTY };
  if (mode === 'resident') return plenty;
  return { ...plenty, backendLimitBytes: planModelFolder(dir, plenty).peakBackendBytes - 1 };
}

describe.each(MODES)('%s parity with PyTorch, weights %s', (name, mode) => {
  let model: LoadedModel;
  let expected: Expected;
  const { forward, greedy } = readCases(name);

  beforeAll(async () => {
    await useWasm();
    const dir = `${MODEL_FIXTURES}/${name}`;
    model = await loadModel(dir, { memoryLimits: limitsFor(dir, mode) });
    expect(model.memoryPlan.mode).toBe(mode);
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

  it('holds every weight in the backend when resident, only the final norm (and position table) when streaming', () => {
    const { logits, captured } = model.run([[1, 2, 3]]);
    logits.dispose();
    for (const t of captured.values()) t.dispose();
    // Nothing else in this file keeps tensors between tests: what is alive is the model's.
    const alive = tf.memory().numTensors;
    if (mode === 'stream') expect(alive).toBeLessThanOrEqual(3);
    else expect(alive).toBeGreaterThan(3 * model.config.nLayers);
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
