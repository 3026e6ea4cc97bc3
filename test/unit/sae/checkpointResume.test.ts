// Crash safety of training (DESIGN.md §5): kill -9 mid-run then resume gives the same weights
// as an uninterrupted run with the same seed; a NaN stops the job naming the step and keeps
// the last good checkpoint; cancel checkpoints, then stops.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { loadLatestCheckpoint } from '../../../src/engine/sae/train/checkpoint';
import { trainSae } from '../../../src/engine/sae/train/trainer';
import { RESUME_STEPS, resumeRun } from './helpers/resumeRun';
import { PlantedFeatures } from './plantedData';
import { maxAbsDiff, useEngineBackend } from './helpers/backend';

const ROOT = resolve(__dirname, '../../..');
const CHILD = resolve(__dirname, 'helpers/trainChild.ts');

beforeAll(useEngineBackend);

function startChild(dir: string, out: string) {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, dir, out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
}

function completeSteps(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^step-\d+$/.test(n) && existsSync(join(dir, n, 'manifest.json')))
    .map((n) => Number(n.slice(5)));
}

it('kill -9 mid-run, then resume: final weights match an uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-ckpt-'));
  const out = join(dir, 'result.json');
  const ckpt = join(dir, 'ckpt');
  const child = startChild(ckpt, out);
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // Kill as soon as a checkpoint past the first one is complete.
  const deadline = Date.now() + 90_000;
  while (Math.max(0, ...completeSteps(ckpt)) < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  await exited;
  expect(existsSync(out), `the child finished before it was killed: ${stderr}`).toBe(false);
  const killedAt = Math.max(...completeSteps(ckpt));
  expect(killedAt).toBeGreaterThanOrEqual(60);
  expect(killedAt).toBeLessThan(RESUME_STEPS);

  const resumed = startChild(ckpt, out);
  let err2 = '';
  resumed.stderr.on('data', (b: Buffer) => (err2 += b.toString()));
  const code = await new Promise<number | null>((r) => resumed.on('exit', (c) => r(c)));
  expect(code, err2).toBe(0);
  const got = JSON.parse(readFileSync(out, 'utf8')) as { resumedFromStep: number; step: number; W_enc: number[]; W_dec: number[]; threshold: number[] };
  expect(got.resumedFromStep).toBeGreaterThanOrEqual(killedAt);
  expect(got.step).toBe(RESUME_STEPS);

  const reference = await resumeRun(undefined);
  const w = reference.sae.weights;
  expect(maxAbsDiff(got.W_enc, w.W_enc.dataSync())).toBeLessThan(1e-5);
  expect(maxAbsDiff(got.W_dec, w.W_dec.dataSync())).toBeLessThan(1e-5);
  expect(maxAbsDiff(got.threshold, w.threshold!.dataSync())).toBeLessThan(1e-5);
});

it('a NaN stops the job with its step and keeps the last good checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-nan-'));
  const data = new PlantedFeatures(16, 32, 3, 5);
  data.poisonFromBatch = 46; // batch 0 is the scale sample, so step 45 reads the NaN
  let err: unknown;
  try {
    await trainSae({ architecture: 'topk', dIn: 16, dSae: 64, k: 3, hookName: 'h', modelName: 'm', steps: 100, batchSize: 32, seed: 1, data, checkpointDir: dir, checkpointEvery: 20 });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FeaturescopeError);
  expect((err as FeaturescopeError).code).toBe('failed');
  expect((err as FeaturescopeError).message).toMatch(/at step 45\b/);
  expect((err as FeaturescopeError).message).toContain('step-0000000040');
  const last = loadLatestCheckpoint(dir);
  expect(last?.state.step).toBe(40);
  for (const t of last!.tensors.values()) expect(t.data.every(Number.isFinite)).toBe(true);
});

it('cancel writes a checkpoint, then stops; a new run resumes from it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-cancel-'));
  const controller = new AbortController();
  const run = (signal?: AbortSignal) =>
    trainSae({
      architecture: 'topk', dIn: 16, dSae: 64, k: 3, hookName: 'h', modelName: 'm', steps: 60, batchSize: 32, seed: 2,
      data: new PlantedFeatures(16, 32, 3, 5), checkpointDir: dir, metricsEvery: 1,
      onMetrics: (m) => { if (m.step === 33) controller.abort(); },
      ...(signal ? { signal } : {}),
    });
  const first = await run(controller.signal);
  expect(first.status).toBe('cancelled');
  expect(first.step).toBe(33);
  expect(loadLatestCheckpoint(dir)?.state.step).toBe(33);
  const second = await run();
  expect(second.resumedFromStep).toBe(33);
  expect(second.status).toBe('completed');
  expect(second.step).toBe(60);
});
