// The mask's straight-through estimator: the hard step forward, the sigmoid's derivative backward,
// and a masked node replaced by its ablation value.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { maskHooks, straightThroughStep } from '../../../src/engine/circuits/masked-run';

const sigmoidSlope = (t: number) => Math.exp(-t) / (1 + Math.exp(-t)) ** 2;

describe('straightThroughStep', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
  });

  it('is step(τ > 0) forward', () => {
    expect(Array.from(straightThroughStep(tf.tensor1d([-2, -0.001, 0, 0.001, 3])).dataSync())).toEqual([0, 0, 0, 1, 1]);
  });

  it('passes the gradient through sigmoid′(τ), also for nodes that are off', () => {
    const tau = [-2, -0.5, 0.5, 3];
    const w = tf.tensor1d([1, -2, 3, 0.5]);
    const g = tf.grad((t: tf.Tensor) => straightThroughStep(t).mul(w).sum())(tf.tensor1d(tau)).dataSync();
    tau.forEach((t, i) => expect(g[i]!).toBeCloseTo([1, -2, 3, 0.5][i]! * sigmoidSlope(t), 6));
  });

  it('replaces a masked node by its ablation value and keeps the others', () => {
    const sites = [{ layer: 0, hook: 'h0', width: 2, offset: 0 }, { layer: 1, hook: 'h1', width: 2, offset: 2 }];
    const [h0, h1] = maskHooks(sites, tf.tensor1d([1, 0, 0, 1]), tf.tensor1d([10, 20, 30, 40]));
    const act = tf.tensor3d([[[1, 2], [3, 4]]]); // [1, 2, 2]
    const ctx = { hook: 'h', positionOffset: 0 };
    expect(Array.from(h0!.fn(act, ctx).dataSync())).toEqual([1, 20, 3, 20]);
    expect(Array.from(h1!.fn(act, ctx).dataSync())).toEqual([30, 2, 30, 4]);
  });
});
