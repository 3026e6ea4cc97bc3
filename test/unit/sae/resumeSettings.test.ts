// A rerun under the same checkpoint folder resumes only a checkpoint trained with the same
// settings (issue #19, finding 8): another k, d_sae or step count is refused naming the field with
// its old and new value; restart discards the checkpoint and trains from step 0, exactly as a
// fresh run; a checkpoint that records no settings (an older version's) is refused too.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { loadLatestCheckpoint } from '../../../src/engine/sae/train/checkpoint';
import { trainSae, type TrainSaeOptions } from '../../../src/engine/sae/train/trainer';
import { PlantedFeatures } from './plantedData';
import { useEngineBackend } from './helpers/backend';

beforeAll(useEngineBackend);

const STEPS = 60;

function options(dir: string | undefined, over: Partial<TrainSaeOptions> = {}): TrainSaeOptions {
  return {
    architecture: 'topk', dIn: 16, dSae: 64, k: 3, hookName: 'h', modelName: 'm', steps: STEPS, batchSize: 32, seed: 4,
    data: new PlantedFeatures(16, 32, 3, 5), metricsEvery: 1,
    ...(dir === undefined ? {} : { checkpointDir: dir }),
    ...over,
  } as TrainSaeOptions;
}

/** A run cancelled at step 25, which leaves its checkpoint in a fresh folder. */
async function interruptedRun(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-resume-settings-'));
  const controller = new AbortController();
  const r = await trainSae(options(dir, { signal: controller.signal, onMetrics: (m) => m.step === 25 && controller.abort() }));
  expect(r.status).toBe('cancelled');
  r.sae.dispose();
  expect(loadLatestCheckpoint(dir)?.state.step).toBe(25);
  return dir;
}

async function refusal(run: Promise<unknown>): Promise<FeaturescopeError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FeaturescopeError);
  return err as FeaturescopeError;
}

it('the checkpoint records every resolved setting, and the same settings resume it', async () => {
  const dir = await interruptedRun();
  const settings = loadLatestCheckpoint(dir)!.state.settings!;
  // Defaults filled in, not only what was given.
  expect(settings).toMatchObject({ architecture: 'topk', k: 3, dSae: 64, steps: STEPS, kAux: 8, auxCoefficient: 1 / 32, deadTokens: 192, clipGradNorm: null });
  expect(settings.lr).toBeCloseTo(2e-4 / Math.sqrt(64 / 2 ** 14), 12);
  const r = await trainSae(options(dir));
  expect(r.resumedFromStep).toBe(25);
  expect(r.step).toBe(STEPS);
  expect(r.settings).toEqual(settings);
  r.sae.dispose();
});

it('another k, d_sae or step count is refused, naming each difference with its old and new value', async () => {
  const dir = await interruptedRun();
  const k = await refusal(trainSae(options(dir, { k: 4 })));
  expect(k.code).toBe('invalid_input');
  expect(k.field).toBe('k');
  expect(k.message).toContain('k 3 → 4');
  expect(k.message).toMatch(/restart/);

  // Was "offset is out of bounds" from loading 64-latent tensors into 128 latents.
  const dSae = await refusal(trainSae(options(dir, { dSae: 128 })));
  expect(dSae.field).toBe('dSae');
  expect(dSae.message).toContain('dSae 64 → 128');
  // The defaults that follow from d_sae changed too, and are named.
  expect(dSae.message).toMatch(/lr [\d.e-]+ → [\d.e-]+/);

  // A longer run is another schedule (warm-up, λ warm-up and lr decay are fractions of it).
  const steps = await refusal(trainSae(options(dir, { steps: 90 })));
  expect(steps.message).toContain(`steps ${STEPS} → 90`);

  const arch = await refusal(trainSae(options(dir, { architecture: 'batchtopk' })));
  expect(arch.message).toContain('architecture "topk" → "batchtopk"');
  expect(arch.message).toContain('thresholdRate (not set) → 0.01');

  // Nothing was touched: the same settings still resume.
  expect(loadLatestCheckpoint(dir)?.state.step).toBe(25);
});

it('restart discards the checkpoint and trains from step 0, giving a fresh run’s weights', async () => {
  const dir = await interruptedRun();
  const restarted = await trainSae(options(dir, { k: 4, restart: true }));
  expect(restarted.resumedFromStep).toBeUndefined();
  expect(restarted.status).toBe('completed');
  expect(restarted.settings.k).toBe(4);
  // Only the new run's checkpoint is left (the old step-25 one is gone).
  expect(readdirSync(dir).sort()).toEqual(['step-0000000060']);
  expect(loadLatestCheckpoint(dir)?.state.settings?.k).toBe(4);

  const fresh = await trainSae(options(undefined, { k: 4 }));
  expect(Buffer.from(restarted.sae.weights.W_enc.dataSync().buffer).equals(Buffer.from(fresh.sae.weights.W_enc.dataSync().buffer))).toBe(true);
  expect(Buffer.from(restarted.sae.weights.W_dec.dataSync().buffer).equals(Buffer.from(fresh.sae.weights.W_dec.dataSync().buffer))).toBe(true);
  restarted.sae.dispose();
  fresh.sae.dispose();
});

it('a checkpoint without recorded settings (an older version’s) is refused, pointing to restart', async () => {
  const dir = await interruptedRun();
  const folder = join(dir, 'step-0000000025');
  const state = JSON.parse(readFileSync(join(folder, 'state.json'), 'utf8')) as Record<string, unknown>;
  delete state.settings;
  writeFileSync(join(folder, 'state.json'), JSON.stringify(state));
  // Keep the checkpoint complete: its manifest matches the rewritten file.
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
  manifest.files['state.json'] = createHash('sha256').update(readFileSync(join(folder, 'state.json'))).digest('hex');
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
  expect(loadLatestCheckpoint(dir)?.state.step).toBe(25);

  const err = await refusal(trainSae(options(dir)));
  expect(err.message).toMatch(/records no settings/);
  expect(err.message).toMatch(/restart/);
  const restarted = await trainSae(options(dir, { restart: true }));
  expect(restarted.resumedFromStep).toBeUndefined();
  restarted.sae.dispose();
});
