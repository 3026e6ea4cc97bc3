// Learning which nodes a task needs: a score τ per node, the mask step(τ > 0) in the forward and
// sigmoid'(τ) in the backward (masked-run.ts), objective
//   mean task loss + λ · (active nodes)
// minimised with AdamW (decoupled weight decay) over the whole task every step. Scores start at
// INITIAL_SCORE plus a little seeded noise, so every node starts in the circuit and the seed is
// what makes two runs differ (or not): the same seed gives the same scores.
import * as tf from '@tensorflow/tfjs';
import type { LoadedModel } from '../model';
import { Rng } from '../random';
import { exampleLosses, lastLogits, margins, maskHooks, straightThroughStep } from './masked-run';
import type { NodeSite } from './nodes';
import type { TaskBatch } from './task-batches';

export interface MaskTrainingOptions {
  lambda: number;
  steps: number;
  learningRate: number;
  weightDecay: number;
  seed: number;
}

export interface MaskTrainingResult {
  scores: Float32Array;
  /** Task loss and active nodes, every `every` steps and at the last step. */
  curve: Array<{ step: number; taskLoss: number; active: number }>;
}

const INITIAL_SCORE = 1;
const INITIAL_NOISE = 0.01;
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

export async function trainMask(
  model: LoadedModel,
  sites: NodeSite[],
  batches: TaskBatch[],
  ablationValues: Float32Array,
  opts: MaskTrainingOptions,
  onStep: (step: number) => Promise<void> | void = () => {},
): Promise<MaskTrainingResult> {
  const n = ablationValues.length;
  const rng = Rng.fromSeed(opts.seed);
  const init = rng.normals(n).map((z) => INITIAL_SCORE + INITIAL_NOISE * z);
  const tau = tf.variable(tf.tensor1d(init), true, undefined, 'float32');
  const ablated = tf.tensor1d(ablationValues);
  let m1: tf.Tensor = tf.zerosLike(tau);
  let m2: tf.Tensor = tf.zerosLike(tau);
  const curve: MaskTrainingResult['curve'] = [];
  const every = Math.max(1, Math.floor(opts.steps / 20));
  try {
    for (let step = 1; step <= opts.steps; step++) {
      let taskLoss = 0;
      let active = 0;
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const mask = straightThroughStep(tau);
          const m = margins(lastLogits(model, batches, maskHooks(sites, mask as tf.Tensor1D, ablated)), batches);
          const task = exampleLosses(m).mean();
          const nodes = mask.sum();
          const both = tf.stack([task, nodes]).dataSync();
          taskLoss = both[0]!;
          active = both[1]!;
          return task.add(nodes.mul(opts.lambda)) as tf.Scalar;
        }, [tau]);
        const g = grads[tau.name]!;
        const next1 = m1.mul(BETA1).add(g.mul(1 - BETA1));
        const next2 = m2.mul(BETA2).add(g.square().mul(1 - BETA2));
        const mHat = next1.div(1 - BETA1 ** step);
        const vHat = next2.div(1 - BETA2 ** step);
        const decayed = tau.mul(1 - opts.learningRate * opts.weightDecay);
        tau.assign(decayed.sub(mHat.div(vHat.sqrt().add(EPS)).mul(opts.learningRate)) as tf.Tensor1D);
        m1.dispose();
        m2.dispose();
        m1 = tf.keep(next1);
        m2 = tf.keep(next2);
      });
      if (step % every === 0 || step === opts.steps) curve.push({ step, taskLoss, active });
      await onStep(step);
    }
    return { scores: tau.dataSync().slice() as Float32Array, curve };
  } finally {
    tau.dispose();
    ablated.dispose();
    m1.dispose();
    m2.dispose();
  }
}
