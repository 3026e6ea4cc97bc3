// A Matryoshka run cancelled midway and resumed from its checkpoint ends where an uninterrupted
// run with the same seed does: its nested widths are part of the settings a checkpoint records,
// and its running threshold is part of the state the checkpoint carries.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { trainSae, type TrainSaeOptions } from '../../../src/engine/sae/train/trainer';
import { asyncErrorOf } from '../error-of';
import { maxAbsDiff, useEngineBackend } from './helpers/backend';
import { PlantedFeatures } from './plantedData';

beforeAll(useEngineBackend);

const run = (data: PlantedFeatures, extra: Partial<TrainSaeOptions>): Promise<Awaited<ReturnType<typeof trainSae>>> =>
  trainSae({ architecture: 'matryoshka_batchtopk', dIn: 16, dSae: 48, k: 3, matryoshkaWidths: '12,24', hookName: 'h', modelName: 'm', steps: 40, batchSize: 32, seed: 4, data, metricsEvery: 1, ...extra } as TrainSaeOptions);

it('cancel, then resume: the same weights and threshold as an uninterrupted run', async () => {
  const whole = await run(new PlantedFeatures(16, 32, 3, 9), {});
  const dir = join(mkdtempSync(join(tmpdir(), 'fs-mresume-')), 'ckpt');
  const abort = new AbortController();
  const first = await run(new PlantedFeatures(16, 32, 3, 9), { checkpointDir: dir, checkpointEvery: 10, signal: abort.signal, onMetrics: (m) => m.step === 17 && abort.abort() });
  expect(first.status).toBe('cancelled');
  // Other nested widths are other settings: the checkpoint is not resumed into them.
  const e = await asyncErrorOf(() => run(new PlantedFeatures(16, 32, 3, 9), { checkpointDir: dir, matryoshkaWidths: '8,24' }));
  expect(e.field).toBe('matryoshkaWidths');
  expect(e.message).toMatch(/matryoshkaWidths "12,24,48" → "8,24,48"/);
  const second = await run(new PlantedFeatures(16, 32, 3, 9), { checkpointDir: dir, checkpointEvery: 10 });
  expect(second.resumedFromStep).toBe(17);
  for (const name of ['W_enc', 'W_dec', 'threshold'] as const) {
    expect(maxAbsDiff(second.sae.weights[name]!.dataSync(), whole.sae.weights[name]!.dataSync()), name).toBeLessThan(1e-5);
  }
  expect(whole.sae.weights.threshold!.dataSync()[0]).toBeGreaterThan(0);
});
