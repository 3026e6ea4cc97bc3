// Attribution through the Llama-family and Gemma-2 forwards (RoPE, GQA, SwiGLU, soft-caps):
// scores match real one-neuron ablations on the random fixtures. Gemma-2 normalises the MLP
// output (post_feedforward_layernorm, an RMSNorm), which makes the layer's output invariant to
// scaling all its neurons together: Σ a·∂m/∂a is then 0 at every position, so the linear
// prediction for zeroing a whole Gemma-2 layer is 0 whatever the real effect — shown here.

import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { loadModel } from '../../../src/engine/model/load';
import { attribute, type AttributeOptions } from '../../../src/engine/attribution/attribute';
import { verifyAttribution } from '../../../src/engine/attribution/verify';

const FIXTURES = resolve(__dirname, '../../fixtures/models');
const TOKENS = [5, 17, 33, 42, 8, 19, 77, 21];

describe('attribution across model families', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
  });

  it.each(['llama', 'qwen2', 'gemma2'])('%s: the top 30 neurons of all layers rank like real ablations', async (name) => {
    const model = await loadModel(resolve(FIXTURES, name));
    try {
      const opts: AttributeOptions = { tokens: TOKENS, metric: { kind: 'logprob', token: 3 }, site: { kind: 'neurons' } };
      const result = attribute(model, opts);
      const check = verifyAttribution(model, opts, result, { topN: 30 });
      console.log(`${name}: top 30 neurons, Spearman ${check.spearman.toFixed(3)}, Pearson ${check.pearson.toFixed(3)}; whole layer predicted/measured ${result.hooks.map((h) => `${h.predictedTotal.toFixed(3)}/${h.measuredTotal.toFixed(3)}`).join(', ')}`);
      expect(check.spearman).toBeGreaterThan(0.8);
      if (name === 'gemma2') {
        for (const h of result.hooks) {
          expect(Math.abs(h.predictedTotal)).toBeLessThan(1e-3);
          expect(Math.abs(h.measuredTotal)).toBeGreaterThan(0.1);
        }
      }
    } finally {
      model.dispose();
    }
  });
});
