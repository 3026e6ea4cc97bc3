// Issue #12, weight-sparse training, end to end with real processes: `featurescope sparse-train`
// killed with SIGKILL mid-training (CLI and engine together) and run again resumes its newest
// checkpoint and ends with the weights of an uninterrupted run (to 1e-5); the saved folder is a
// Hugging Face GPT-2 that holds exactly the declared nonzero count per sparsified matrix, states
// its sparsity in config.json, and runs through the normal loader (`featurescope run --model`).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../src/engine/formats/safetensors';
import { sparsifiedMatrices } from '../../src/engine/sparse/matrices';
import { nonzeroFraction } from '../../src/engine/sparse/schedule';
import { keptCount } from '../../src/engine/sparse/topk-projection';
import { parseModelConfig } from '../../src/engine/model/config';
import { lastLine, makeWorkspace, runCli, startCli, waitFor, type Workspace } from './leases-helpers';

const STEPS = 40;
const args = (ws: Workspace, name: string, steps = STEPS, checkpointEvery = 5) => [
  'sparse-train', '--corpus', ws.corpus, '--name', name, '--steps', String(steps), '--d-model', '32', '--layers', '2', '--heads', '2',
  '--context', '32', '--batch', '4', '--checkpoint-every', String(checkpointEvery), '--eval-every', '10', '--val-windows', '4', '--target-fraction', '1/64', '--min-per-neuron', '2',
];

function weights(dir: string): Map<string, Float32Array> {
  const file = SafetensorsFile.open(join(dir, 'model.safetensors'));
  try {
    return new Map([...file.tensors.keys()].map((n) => [n, file.readFloat32(n)]));
  } finally {
    file.close();
  }
}

describe('sparse-train', () => {
  let ws: Workspace;
  const models = () => join(ws.home, 'workspaces', 'default', 'models');
  beforeAll(() => {
    ws = makeWorkspace([]);
  });
  afterAll(() => ws.dispose());

  it('resumes after kill -9 and ends with the weights of an uninterrupted run', async () => {
    const straight = await runCli(ws, args(ws, 'straight'));
    expect(straight.stdout()).toMatch(/^completed at step 40: [\d,]+ parameters → .*models\/straight\n/);
    expect(straight.stdout()).not.toContain('resumed');

    const checkpoints = join(ws.home, 'workspaces', 'default', 'model-checkpoints', 'killed');
    const first = startCli(ws, args(ws, 'killed'));
    const newest = () => (existsSync(checkpoints) ? readdirSync(checkpoints).filter((n) => n.startsWith('step-')).sort().at(-1) : undefined);
    await waitFor(() => (newest() !== undefined && newest()! >= 'step-0000000010' ? true : undefined), 240_000, 'a checkpoint at step 10');
    first.killGroup();
    await first.exited;
    const killedAt = Number(newest()!.slice('step-'.length));
    expect(killedAt, 'killed before the end').toBeLessThan(STEPS);
    expect(existsSync(join(models(), 'killed')), 'no model folder from the killed run').toBe(false);

    const resumed = await runCli(ws, args(ws, 'killed'));
    const from = Number(/resumed from (\d+)/.exec(resumed.stdout())?.[1]);
    expect(from).toBeGreaterThanOrEqual(10);
    expect(from).toBeLessThan(STEPS);

    const a = weights(join(models(), 'straight'));
    const b = weights(join(models(), 'killed'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    let worst = 0;
    for (const [name, wa] of a) {
      const wb = b.get(name)!;
      for (let i = 0; i < wa.length; i++) worst = Math.max(worst, Math.abs(wa[i]! - wb[i]!));
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
  }, 600_000);

  it('saves an HF GPT-2 folder with the declared count per matrix and its sparsity in config.json, which the normal loader runs', async () => {
    const dir = join(models(), 'straight');
    const configText = readFileSync(join(dir, 'config.json'), 'utf8');
    const sparsity = JSON.parse(configText).featurescope_sparsity;
    expect(sparsity).toMatchObject({ target_fraction: 1 / 64, min_per_neuron: 2, sparsify_embeddings: false, activation_topk: null });
    const config = parseModelConfig(configText);
    const w = weights(dir);
    const fraction = nonzeroFraction(STEPS, { steps: STEPS, targetFraction: 1 / 64 });
    expect(fraction).toBe(1 / 64);
    for (const m of sparsifiedMatrices(config, false)) {
      const data = w.get(`transformer.${m.param}`)!;
      const width = data.length / m.rows; // every sparsified matrix spans all rows of its parameter
      let nonzero = 0;
      for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) if (data[r * width + m.colStart + c] !== 0) nonzero++;
      expect(nonzero, m.label).toBe(keptCount({ rows: m.rows, cols: m.cols, fraction, floor: 2, floorAxis: m.floorAxis }));
    }
    // Embeddings were left dense.
    expect(w.get('transformer.wte.weight')!.every((v) => v !== 0)).toBe(true);

    const run = await runCli(ws, ['run', '--model', dir, '--prompt', 'the quick brown fox', '--json']);
    const out = JSON.parse(run.stdout()) as { model: string; tokens: unknown[]; next: unknown[] };
    expect(out.tokens.length).toBeGreaterThan(0);
    expect(out.next.length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a second training of the same name while the first runs, naming it', async () => {
    const busy = startCli(ws, args(ws, 'busy', 100_000, 100_000));
    await waitFor(() => (/steps/.test(busy.stderr()) ? true : undefined), 240_000, 'the first training under way');
    const second = startCli(ws, args(ws, 'busy', 100_000, 100_000));
    const code = await second.exited;
    busy.killGroup();
    await busy.exited;
    expect(code).not.toBe(0);
    expect(second.stderr()).toMatch(/Model "busy" is already being written by another process: pid \d+/);
  }, 300_000);

  it('refuses to overwrite an existing model folder, naming it', async () => {
    const again = startCli(ws, args(ws, 'straight'));
    expect(await again.exited).toBe(2);
    expect(lastLine(again.stderr())).toMatch(/models\/straight already exists; train under another name/);
  }, 120_000);
});
