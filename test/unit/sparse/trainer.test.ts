// The weight-sparse training loop on a tiny GPT-2 in process: seed 0 gives the same weights twice,
// a cancel checkpoints then stops and the rerun resumes there to the uninterrupted weights, a loss
// that turns non-finite halts naming the last good checkpoint, and every matrix ends at its count.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { patchWasmForTraining } from '../../../src/engine/lm-train/wasm-training-kernels';
import { engineConfig, initGpt2Params } from '../../../src/engine/lm-train/gpt2-params';
import { sparsifiedMatrices } from '../../../src/engine/sparse/matrices';
import { trainSparse, type SparseSettings, type SparseTrainOptions } from '../../../src/engine/sparse/trainer';
import type { TrainingWindows } from '../../../src/engine/sparse/training-windows';
import { keptCount } from '../../../src/engine/sparse/topk-projection';
import { FeaturescopeError } from '../../../src/shared/errors';

const work = mkdtempSync(join(tmpdir(), 'fs-sparse-train-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const config = engineConfig({ vocabSize: 16, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2, endOfTextId: 15 });
const span = 9;
const tokens = (count: number, salt: number) => Int32Array.from({ length: count * span }, (_, i) => (i * 7 + salt * 3 + (i % 5)) % 16);
const windows: TrainingWindows = { span, train: tokens(12, 1), trainCount: 12, validation: tokens(2, 2), validationCount: 2, tokens: 14 * span, corpusSha256: 'x' };
const settings: SparseSettings = { steps: 8, batchSize: 2, targetFraction: 1 / 4, minPerNeuron: 1, sparsifyEmbeddings: true, lr: 1e-2, warmupFraction: 0, weightDecay: 0.1, seed: 0 };

function options(dir: string, more: Partial<SparseTrainOptions> = {}): SparseTrainOptions {
  return { config, settings, windows, checkpointDir: join(work, dir), checkpointEvery: 100, evalEvery: 4, restart: false, signal: new AbortController().signal, onMetrics: () => {}, ...more };
}

const snapshot = (params: Map<string, tf.Tensor>) => new Map([...params].map(([n, p]) => [n, Array.from(p.dataSync())]));

async function rejection(p: Promise<unknown>): Promise<FeaturescopeError> {
  try {
    await p;
  } catch (err) {
    return err as FeaturescopeError;
  }
  throw new Error('expected a rejection');
}

describe('weight-sparse training loop', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    patchWasmForTraining();
  });

  it('starts from the same weights for seed 0 every time (tfjs reads a seed of 0 as none)', () => {
    const a = initGpt2Params(config, 0);
    const b = initGpt2Params(config, 0);
    expect(snapshot(a)).toEqual(snapshot(b));
    tf.dispose([...a.values(), ...b.values()]);
  });

  it('cancel checkpoints then stops; training again resumes there and ends with the uninterrupted weights', async () => {
    const straight = await trainSparse(options('straight'));
    const expected = snapshot(straight.params);
    for (const m of sparsifiedMatrices(config, true)) {
      const data = straight.params.get(m.param)!.dataSync();
      const width = data.length / m.rows;
      let nonzero = 0;
      for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) if (data[r * width + m.colStart + c] !== 0) nonzero++;
      expect(nonzero, m.label).toBe(keptCount({ rows: m.rows, cols: m.cols, fraction: 1 / 4, floor: 1, floorAxis: m.floorAxis }));
    }
    straight.dispose();

    const controller = new AbortController();
    const metrics: number[] = [];
    const cancelled = await rejection(trainSparse(options('cancelled', { signal: controller.signal, onMetrics: (step) => (metrics.push(step), step === 3 && controller.abort()) })));
    expect(cancelled.code).toBe('cancelled');
    expect(cancelled.message).toContain('step 3');
    expect(readdirSync(join(work, 'cancelled'))).toEqual(['step-0000000003']);

    const live: Array<[number, Record<string, number>]> = [];
    const resumed = await trainSparse(options('cancelled', { onMetrics: (step, m) => live.push([step, m]) }));
    // Live figures for the Jobs view's charts: every step, plus validation and alive neurons at evaluations.
    expect(live.map(([step]) => step)).toEqual([4, 5, 6, 7, 8]);
    for (const [, m] of live) expect(Object.keys(m)).toEqual(expect.arrayContaining(['trainLoss', 'lr', 'nonzeroFraction', 'scheduledFraction']));
    expect(live[0]![1]).toMatchObject({ valLoss: expect.any(Number), alive_L0: expect.any(Number) });
    expect(live.at(-1)![1].nonzeroFraction).toBeLessThan(0.6);
    expect(resumed.resumedFromStep).toBe(3);
    expect(resumed.step).toBe(8);
    expect(snapshot(resumed.params)).toEqual(expected);
    expect(resumed.metrics).toMatchObject({ nonzeroFraction: expect.any(Number), valLoss: expect.any(Number), alive_L0: expect.any(Number) });
    resumed.dispose();
  });

  it('refuses a checkpoint trained with other settings, naming them', async () => {
    const refused = await rejection(trainSparse(options('cancelled', { settings: { ...settings, targetFraction: 1 / 8 } })));
    expect(refused.code).toBe('invalid_input');
    expect(refused.message).toContain('targetFraction 0.25 → 0.125');
  });

  it('halts on a non-finite loss and keeps the last good checkpoint', async () => {
    const dir = join(work, 'nan');
    const error = await rejection(trainSparse(options('nan', { settings: { ...settings, lr: 1e38 }, checkpointEvery: 1 })));
    expect(error.code).toBe('failed');
    expect(error.message).toMatch(/the loss became (NaN|Infinity|-Infinity) at step \d+/);
    const kept = readdirSync(dir).filter((n) => n.startsWith('step-'));
    expect(kept.length).toBeGreaterThan(0);
    expect(error.message).toContain(join(dir, kept.sort().at(-1)!));
  });
});
