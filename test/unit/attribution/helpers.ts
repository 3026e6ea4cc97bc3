// Shared helpers for the attribution tests: a metric read by a plain forward with raw hooks (no
// attribution code), and a random SAE built in the test.

import * as tf from '@tensorflow/tfjs';
import type { LoadedModel } from '../../../src/engine/model/load';
import type { HookBinding } from '../../../src/engine/model/interventions';
import { logSoftmax } from '../../../src/engine/model/sampling';
import { SeededRandom } from '../../../src/engine/random';
import { StandardSae } from '../../../src/engine/sae/architectures/standard';
import type { Sae } from '../../../src/engine/sae/sae';
import type { AttributionMetric } from '../../../src/engine/attribution/metric';
import { saeInterventionHandler } from '../../../src/engine/sae/intervene';

/**
 * The metric of one run, computed in float64 from plain forwards with the given raw hooks (no
 * attribution code): one-token metrics from the last row of logits; a continuation from one
 * forward over prompt + continuation[0..k−1), summing log p of each of its tokens. The hooks see
 * the whole sequence, so a hook meant for the prompt must leave the appended positions alone
 * (scaleUnitAt).
 */
export function metricOfRun(model: LoadedModel, tokens: number[], metric: AttributionMetric, hooks: HookBinding[] = [], interventions: unknown[] = [], sae?: Sae): number {
  const rowsOf = (sequence: number[]): number[][] => {
    const { logits, captured } = model.run([sequence], { hooks, interventions, saeHandler: sae === undefined ? undefined : saeInterventionHandler(sae) });
    const all = logits.arraySync()[0] as number[][];
    logits.dispose();
    for (const t of captured.values()) t.dispose();
    return all;
  };
  const continuation = (cont: number[]): number => {
    const rows = rowsOf([...tokens, ...cont.slice(0, -1)]);
    return cont.reduce((sum, id, j) => sum + (logSoftmax(rows[tokens.length - 1 + j] as number[])[id] as number), 0);
  };
  if (metric.kind === 'continuation-logprob') return continuation(metric.tokens);
  if (metric.kind === 'continuation-diff') return continuation(metric.tokensA) - continuation(metric.tokensB);
  const all = rowsOf(tokens);
  const last = all[all.length - 1] as number[];
  if (metric.kind === 'logprob') return logSoftmax(last)[metric.token] as number;
  return (last[metric.tokenA] as number) - (last[metric.tokenB] as number);
}

/** The id of the most likely next token after `tokens`. */
export function topNextToken(model: LoadedModel, tokens: number[]): number {
  const { logits, captured } = model.run([tokens], { lastPositionOnly: true });
  const row = logits.dataSync();
  logits.dispose();
  for (const t of captured.values()) t.dispose();
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}

/** A ReLU SAE with seeded random weights; roughly half its features fire on a typical input. */
export function randomSae(dIn: number, dSae: number, hook: string, seed: number): Sae {
  const wDec = tf.tensor2d(seededFloats(dSae * dIn, seed), [dSae, dIn]).mul(1 / Math.sqrt(dIn)) as tf.Tensor2D;
  return new StandardSae(
    { architecture: 'standard', d_in: dIn, d_sae: dSae, apply_b_dec_to_input: true, normalize_activations: 'none', dtype: 'float32', metadata: { hook_name: hook, model_name: 'test' } },
    {
      W_enc: wDec.transpose() as tf.Tensor2D,
      W_dec: wDec,
      b_enc: tf.tensor1d(seededFloats(dSae, seed + 1)).mul(0.1) as tf.Tensor1D,
      b_dec: tf.tensor1d(seededFloats(dIn, seed + 2)).mul(0.1) as tf.Tensor1D,
    },
  );
}

/** A hook that multiplies unit `index` by `factor` (at one position, or all). */
export function scaleUnit(hook: string, index: number, factor: number, position?: number): HookBinding {
  return {
    hook,
    fn: (act) => {
      const [, pos, width] = act.shape as [number, number, number];
      const scale = new Float32Array(pos * width).fill(1);
      for (let p = 0; p < pos; p++) if (position === undefined || p === position) scale[p * width + index] = factor;
      return act.mul(tf.tensor3d(scale, [1, pos, width]));
    },
  };
}

/** A hook that multiplies unit `index` by `factor` at the given positions only (e.g. a prompt's, not a continuation's). */
export function scaleUnitAt(hook: string, index: number, factor: number, positions: number[]): HookBinding {
  return {
    hook,
    fn: (act) => {
      const [, pos, width] = act.shape as [number, number, number];
      const scale = new Float32Array(pos * width).fill(1);
      for (const p of positions) scale[p * width + index] = factor;
      return act.mul(tf.tensor3d(scale, [1, pos, width]));
    },
  };
}

/** A hook that multiplies SAE feature `index` by `factor` through the SAE module's own edit (error term kept). */
export function scaleFeature(sae: Sae, index: number, factor: number): HookBinding {
  return {
    hook: sae.cfg.metadata.hook_name,
    fn: (act) =>
      sae.withFeatureEdit(act, (f) => {
        const scale = new Float32Array(sae.cfg.d_sae).fill(1);
        scale[index] = factor;
        return f.mul(tf.tensor1d(scale));
      }),
  };
}

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32). */
export function seededFloats(n: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}
