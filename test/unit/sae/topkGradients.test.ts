// Hand-written sparse gradients of topk/batchtopk/matryoshka training against tf.grads of the same
// loss written densely ([B, d_sae] codes, a constant top-k mask), with and without AuxK; Matryoshka
// adds the normalised MSE of each inner prefix's reconstruction.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchtopkRecipe } from '../../../src/engine/sae/architectures/batchtopk';
import { matryoshkaRecipe } from '../../../src/engine/sae/architectures/matryoshka';
import { topkRecipe } from '../../../src/engine/sae/architectures/topk';
import { removeParallelComponent, tiedParams } from '../../../src/engine/sae/train/init';
import { Rng } from '../../../src/engine/random';
import { setSparseImpl } from '../../../src/engine/sae/sparse/sparseOps';
import { maxAbsDiff, seededFloats, useEngineBackend } from './helpers/backend';

const B = 24, dIn = 16, dSae = 64, k = 4, kAux = 6;

beforeAll(useEngineBackend);

/** 0/1 mask of the top-k per row (or top k·B of the batch) of relu(pre). */
function topMask(pre: tf.Tensor2D, batch: boolean): tf.Tensor2D {
  const v = Array.from(pre.dataSync());
  const mask = new Float32Array(v.length);
  if (batch) {
    const order = v.map((x, i) => [Math.max(x, 0), i] as const).sort((a, b) => b[0] - a[0]);
    for (const [, i] of order.slice(0, k * B)) mask[i] = 1;
  } else {
    for (let r = 0; r < B; r++) {
      const row = v.slice(r * dSae, (r + 1) * dSae).map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]);
      for (const [, i] of row.slice(0, k)) mask[r * dSae + i] = 1;
    }
  }
  return tf.tensor2d(mask, pre.shape);
}

function denseGrads(params: Map<string, tf.Variable>, x: tf.Tensor2D, deadMask: tf.Tensor1D | undefined, batch: boolean, innerWidths: number[]): Record<string, Float32Array> {
  const [W_enc, W_dec, b_enc, b_dec] = ['W_enc', 'W_dec', 'b_enc', 'b_dec'].map((n) => params.get(n)!) as tf.Tensor[];
  const preOf = (We: tf.Tensor, be: tf.Tensor, bd: tf.Tensor): tf.Tensor2D => tf.add(tf.matMul(tf.sub(x, bd), We), be) as tf.Tensor2D;
  const pre0 = preOf(W_enc!, b_enc!, b_dec!);
  const mask = topMask(pre0, batch);
  const totalVar = tf.sum(tf.moments(x, 0).variance);
  const xHat0 = tf.add(tf.matMul(tf.mul(tf.relu(pre0), mask), W_dec!), b_dec!);
  const e = tf.sub(x, xHat0); // AuxK target, constant
  let auxMask: tf.Tensor2D | undefined;
  if (deadMask) auxMask = topMask(tf.add(pre0, tf.mul(tf.sub(deadMask, 1), 1e30)) as tf.Tensor2D, false);
  const f = (We: tf.Tensor, Wd: tf.Tensor, be: tf.Tensor, bd: tf.Tensor): tf.Scalar => {
    const pre = preOf(We, be, bd);
    const xHat = tf.add(tf.matMul(tf.mul(tf.relu(pre), mask), Wd), bd);
    let loss = tf.div(tf.sum(tf.square(tf.sub(xHat, x))), tf.mul(totalVar, B));
    for (const m of innerWidths) {
      const prefix = tf.concat([tf.ones([m]), tf.zeros([dSae - m])]); // [d_sae]
      const xHatM = tf.add(tf.matMul(tf.mul(tf.mul(tf.relu(pre), mask), prefix), Wd), bd);
      loss = tf.add(loss, tf.div(tf.sum(tf.square(tf.sub(xHatM, x))), tf.mul(totalVar, B)));
    }
    if (auxMask) {
      // kAux (6) > number of dead latents here, so the aux top-k is over dead ones only.
      const eHat = tf.matMul(tf.mul(tf.relu(pre), tf.mul(auxMask, deadMask!)), Wd);
      const auxVar = tf.sum(tf.moments(e, 0).variance);
      loss = tf.add(loss, tf.mul(tf.div(tf.sum(tf.square(tf.sub(eHat, e))), tf.mul(auxVar, B)), 1 / 32));
    }
    return loss as tf.Scalar;
  };
  const g = tf.grads(f)([W_enc!, W_dec!, b_enc!, b_dec!]);
  return {
    W_enc: g[0]!.dataSync() as Float32Array,
    W_dec: removeParallelComponent(g[1] as tf.Tensor2D, W_dec as tf.Tensor2D).dataSync() as Float32Array,
    b_enc: g[2]!.dataSync() as Float32Array,
    b_dec: g[3]!.dataSync() as Float32Array,
  };
}

describe.each([
  ['topk', false],
  ['batchtopk', true],
  ['matryoshka_batchtopk', true],
] as const)('%s gradients', (name, batch) => {
  const innerWidths = name === 'matryoshka_batchtopk' ? [8, 24] : [];
  it.each([
    ['no dead latents', false],
    ['with AuxK over dead latents', true],
  ] as const)('match dense autodiff (%s)', (_case, withDead) => {
    for (const impl of ['kernel', 'fallback'] as const) {
      setSparseImpl(impl);
      const params = tiedParams(Rng.fromSeed(5), dIn, dSae, 1);
      // Non-zero biases so that every term of the gradient is exercised.
      params.get('b_dec')!.assign(tf.tensor1d(seededFloats(dIn, 11)).mul(0.3));
      params.get('b_enc')!.assign(tf.tensor1d(seededFloats(dSae, 12)).mul(0.1));
      const x = tf.tensor2d(seededFloats(B * dIn, 13), [B, dIn]).mul(2) as tf.Tensor2D;
      const dead = new Float32Array(dSae);
      if (withDead) for (const i of [3, 17, 40, 41, 63]) dead[i] = 1;
      const deadMask = tf.tensor1d(dead);
      const run = { dIn, dSae, steps: 1, batchSize: B };
      const given = { k, kAux, matryoshkaWidths: innerWidths.join(',') };
      const training =
        name === 'matryoshka_batchtopk'
          ? matryoshkaRecipe.create(params, run, matryoshkaRecipe.settings(run, given))
          : (batch ? batchtopkRecipe : topkRecipe).create(params, run, (batch ? batchtopkRecipe : topkRecipe).settings(run, given));
      const out = training.step({ x, lambdaFactor: 1, deadMask, numDead: withDead ? 5 : 0 });
      const want = denseGrads(params, x, withDead ? deadMask : undefined, batch, innerWidths);
      for (const param of ['W_enc', 'W_dec', 'b_enc', 'b_dec']) {
        const grad = out.grads[param]!;
        // Gradients the step hands over transposed (W_enc as [d_sae, d_in]) are compared in the parameter's layout.
        const got = (out.transposedGrads ?? []).includes(param) ? tf.transpose(grad).dataSync() : grad.dataSync();
        expect(maxAbsDiff(got, want[param]!), `${impl} ${param}`).toBeLessThan(1e-5);
        expect(Math.max(...Array.from(want[param]!).map(Math.abs)), `${param} is not trivially zero`).toBeGreaterThan(1e-3);
      }
      expect(out.activeCount.dataSync()[0]).toBeLessThanOrEqual(k * B);
      setSparseImpl('auto');
    }
  });
});
