// AbsTopK activation sparsity: k entries of largest magnitude per vector, gradient through them only;
// a GPT-2 whose config.json declares featurescope_sparsity.activation_topk applies it to every
// sublayer's residual read and write in the engine's one forward (training and loaded models alike).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { engineConfig, initGpt2Params } from '../../../src/engine/lm-train/gpt2-params';
import { forwardLogits } from '../../../src/engine/lm-train/lm-loss';
import { patchWasmForTraining } from '../../../src/engine/lm-train/wasm-training-kernels';
import { parseModelConfig } from '../../../src/engine/model/config';
import { absTopK } from '../../../src/engine/sparse/abs-topk';

const spec = { vocabSize: 16, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2, endOfTextId: 15 };

describe('AbsTopK', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    patchWasmForTraining();
  });

  it('keeps the k largest magnitudes of each vector and passes the gradient through them only', () => {
    const values = Array.from({ length: 2 * 3 * 16 }, (_, i) => Math.sin(i * 1.7) * (i % 3 === 0 ? -2 : 1));
    const x = tf.tensor3d(values, [2, 3, 16]);
    const y = absTopK(x, 4).arraySync() as number[][][];
    const grad = tf.grad((t: tf.Tensor) => tf.sum(absTopK(t, 4)))(x).arraySync() as number[][][];
    for (let b = 0; b < 2; b++) {
      for (let p = 0; p < 3; p++) {
        const row = values.slice((b * 3 + p) * 16, (b * 3 + p + 1) * 16);
        const top = [...row.keys()].sort((i, j) => Math.abs(row[j]!) - Math.abs(row[i]!)).slice(0, 4).sort((i, j) => i - j);
        expect(y[b]![p]!.flatMap((v, i) => (v !== 0 ? [i] : []))).toEqual(top);
        expect(grad[b]![p]!.flatMap((v, i) => (v !== 0 ? [i] : []))).toEqual(top);
        for (const i of top) expect(y[b]![p]![i]).toBeCloseTo(row[i]!, 5);
      }
    }
  });

  it('reads featurescope_sparsity.activation_topk from config.json, refusing what is not a fraction', () => {
    expect(engineConfig(spec, { featurescope_sparsity: { activation_topk: 0.25 } }).activationTopK).toBe(0.25);
    expect(engineConfig(spec, { featurescope_sparsity: { activation_topk: null } }).activationTopK).toBeUndefined();
    expect(engineConfig(spec).activationTopK).toBeUndefined();
    expect(() => parseModelConfig(JSON.stringify({ model_type: 'gpt2', n_embd: 16, n_head: 2, n_layer: 1, vocab_size: 16, featurescope_sparsity: { activation_topk: 2 } }))).toThrow(
      /featurescope_sparsity\.activation_topk.*must be a fraction in \(0, 1\]/,
    );
  });

  it('sparsifies each sublayer write (and read) in the forward when the config declares it', () => {
    const seen = (extra: Record<string, unknown>) => {
      const config = engineConfig(spec, extra);
      const params = initGpt2Params(config, 3);
      const nonzero: number[] = [];
      tf.tidy(() => {
        forwardLogits(params, config, tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32'), (name, act) => {
          if (name === 'blocks.0.hook_attn_out' || name === 'blocks.0.hook_mlp_out') {
            const rows = act.arraySync() as number[][][];
            for (const r of rows[0]!) nonzero.push(r.filter((v) => v !== 0).length);
          }
          return act;
        });
      });
      tf.dispose([...params.values()]);
      return nonzero;
    };
    expect(new Set(seen({ featurescope_sparsity: { activation_topk: 0.25 } }))).toEqual(new Set([4]));
    expect(new Set(seen({}))).toEqual(new Set([16]));
  });
});
