// SAE formats in (issue #17) against an independent PyTorch reference (scripts/reference/
// sae_reference.py): SAELens 6 cfg.json features (run-time normalisations, the stored
// expected_average_only_in scale, rescale_acts_by_decoder_norm, BatchTopK and Matryoshka training
// checkpoints, metadata), EleutherAI sparsify folders and Gemma Scope 2 folders. The script writes
// each folder and computes the features and reconstruction its own way (each library's forward,
// unfolded); they must load here with the same outputs. Every unsupported value is refused naming
// the field and the value.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasTorch, TORCH_PYTHON as PY } from '../../torch-peer';
import { MatryoshkaBatchTopKSae } from '../../../src/engine/sae/architectures/matryoshka';
import { loadSae } from '../../../src/engine/sae/io/loadSae';
import { loadSaeLens, saveSaeLens } from '../../../src/engine/sae/io/saelens';
import { trainSae } from '../../../src/engine/sae/train/trainer';
import type { Sae } from '../../../src/engine/sae/sae';
import { errorOf } from '../error-of';
import { maxAbsDiff, seededFloats, useEngineBackend } from './helpers/backend';
import { PlantedFeatures } from './plantedData';

const SCRIPT = resolve(__dirname, '../../../scripts/reference/sae_reference.py');

beforeAll(useEngineBackend);

interface Expected {
  x: number[][];
  features: number[][];
  reconstruction: number[][];
}

function pythonFolder(command: string, ...args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fs-formats-'));
  execFileSync(PY, [SCRIPT, command, dir, ...args]);
  return dir;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** The SAE's features and reconstruction match the reference's, and the features are not trivial. */
function expectOutputs(sae: Sae, expected: Expected, tolerance = 1e-5): void {
  const x = tf.tensor2d(expected.x);
  const f = sae.encode(x);
  expect(maxAbsDiff(f.dataSync(), expected.features.flat())).toBeLessThan(tolerance);
  expect(maxAbsDiff(sae.decode(f, x).dataSync(), expected.reconstruction.flat())).toBeLessThan(tolerance);
  const active = expected.features.flat().filter((v) => v > 0).length;
  expect(active, 'some features fire').toBeGreaterThan(8);
  expect(active, 'not every feature fires').toBeLessThan(expected.features.flat().length * 0.9);
}

/** The folder saveSaeLens writes for `sae` runs in the reference with the same outputs, and loads back here. */
function expectSavedRunsInReference(sae: Sae, x: number[][]): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-formats-out-'));
  saveSaeLens(dir, sae);
  writeFileSync(join(dir, 'input.json'), JSON.stringify({ x }));
  const ref = JSON.parse(execFileSync(PY, [SCRIPT, 'run', dir, join(dir, 'input.json')], { encoding: 'utf8' })) as Omit<Expected, 'x'>;
  const xt = tf.tensor2d(x);
  const f = sae.encode(xt);
  expect(maxAbsDiff(f.dataSync(), ref.features.flat())).toBeLessThan(1e-5);
  expect(maxAbsDiff(sae.decode(f, xt).dataSync(), ref.reconstruction.flat())).toBeLessThan(1e-5);
  // The workspace keeps imports in this form: it must load back with the same outputs.
  const back = loadSaeLens(dir);
  expect(maxAbsDiff(back.forward(xt).dataSync(), sae.forward(xt).dataSync())).toBe(0);
  back.dispose();
  return readJson(join(dir, 'cfg.json'));
}

const referenceGroup = hasTorch ? 'formats in, against the PyTorch reference' : 'formats in, against the PyTorch reference (skipped: /usr/bin/python3 has no torch; apt-get install python3-torch)';

describe.skipIf(!hasTorch)(referenceGroup, () => {
  it.each(['constant_norm_rescale', 'layer_norm'] as const)('SAELens 6 normalize_activations %s is applied per input row, as SAELens does', (mode) => {
    const dir = pythonFolder('write-saelens6', mode, '21');
    const sae = loadSae(dir);
    expect(sae.cfg.normalize_activations).toBe(mode);
    const expected = readJson<Expected>(join(dir, 'expected.json'));
    expectOutputs(sae, expected);
    // An SAE that normalises at run time needs the input to decode, and keeps its error term exact.
    const x = tf.tensor2d(expected.x);
    expect(() => sae.decode(sae.encode(x))).toThrow(/needs the input/);
    expect(maxAbsDiff(sae.withFeatureEdit(x, (g) => g).dataSync(), x.dataSync())).toBeLessThan(1e-4);
    expect(expectSavedRunsInReference(sae, expected.x)).toMatchObject({ normalize_activations: mode });
  });

  it('SAELens 6 expected_average_only_in applies the scale stored in activation_scaler.json (folded into the weights)', () => {
    const dir = pythonFolder('write-saelens6', 'expected_average_only_in', '22');
    const sae = loadSae(dir);
    expect(sae.cfg).toMatchObject({ architecture: 'jumprelu', normalize_activations: 'none' });
    const expected = readJson<Expected>(join(dir, 'expected.json'));
    expectOutputs(sae, expected);
    expectSavedRunsInReference(sae, expected.x);
  });

  it('SAELens 6 topk with rescale_acts_by_decoder_norm ranks and decodes by decoder norm, as SAELens does', () => {
    const dir = pythonFolder('write-saelens6', 'topk_rescale', '23');
    const sae = loadSae(dir);
    expect(sae.cfg).toMatchObject({ architecture: 'topk', k: 5 });
    const expected = readJson<Expected>(join(dir, 'expected.json'));
    expectOutputs(sae, expected);
    // Folded: unit decoder rows, and the folder written back says there is nothing to rescale.
    const norms = tf.norm(sae.weights.W_dec, 'euclidean', 1).dataSync();
    expect(Math.max(...Array.from(norms, (n) => Math.abs(n - 1)))).toBeLessThan(1e-5);
    expectSavedRunsInReference(sae, expected.x);
  });

  it('a SAELens batchtopk training checkpoint loads as JumpReLU with its topk_threshold', () => {
    const dir = pythonFolder('write-saelens6', 'batchtopk', '24');
    const sae = loadSae(dir);
    expect(sae.cfg.architecture).toBe('jumprelu');
    expectOutputs(sae, readJson<Expected>(join(dir, 'expected.json')));
  });

  it('a SAELens matryoshka_batchtopk checkpoint loads for inference, keeps its widths and metadata, and saves back as matryoshka_batchtopk', () => {
    const dir = pythonFolder('write-saelens6', 'matryoshka', '25');
    const sae = loadSae(dir);
    expect(sae).toBeInstanceOf(MatryoshkaBatchTopKSae);
    expect(sae.cfg).toMatchObject({ architecture: 'matryoshka_batchtopk', k: 4, matryoshka_widths: [12, 24, 48] });
    expect(sae.cfg.metadata).toMatchObject({ hook_name: 'blocks.2.hook_resid_post', model_name: 'ref-model', context_size: 128, prepend_bos: true, sae_lens_version: '6.18.0' });
    const expected = readJson<Expected>(join(dir, 'expected.json'));
    expectOutputs(sae, expected);
    const cfg = expectSavedRunsInReference(sae, expected.x);
    expect(cfg).toMatchObject({ architecture: 'matryoshka_batchtopk', k: 4, matryoshka_widths: [12, 24, 48], rescale_acts_by_decoder_norm: false });
  });

  it('a trained matryoshka_batchtopk SAE saves as SAELens matryoshka_batchtopk, runs in the reference and loads back', async () => {
    const data = new PlantedFeatures(16, 24, 3, 3);
    const { sae } = await trainSae({ architecture: 'matryoshka_batchtopk', dIn: 16, dSae: 48, k: 3, matryoshkaWidths: '12,24', hookName: 'blocks.1.hook_resid_post', modelName: 'planted', steps: 30, batchSize: 64, seed: 2, data });
    expect(sae.cfg).toMatchObject({ architecture: 'matryoshka_batchtopk', k: 3, matryoshka_widths: [12, 24, 48] });
    const x = Array.from({ length: 8 }, (_, i) => Array.from(seededFloats(16, 60 + i)));
    expect(tf.sum(tf.cast(tf.greater(sae.encode(tf.tensor2d(x)), 0), 'int32')).dataSync()[0], 'some features fire').toBeGreaterThan(4);
    const cfg = expectSavedRunsInReference(sae, x);
    expect(cfg).toMatchObject({ architecture: 'matryoshka_batchtopk', matryoshka_widths: [12, 24, 48], metadata: { hook_name: 'blocks.1.hook_resid_post', sae_lens_version: '6.0.0' } });
    const dir = mkdtempSync(join(tmpdir(), 'fs-formats-m-'));
    saveSaeLens(dir, sae);
    const back = loadSaeLens(dir);
    expect(back).toBeInstanceOf(MatryoshkaBatchTopKSae);
    expect(maxAbsDiff(back.encode(tf.tensor2d(x)).dataSync(), sae.encode(tf.tensor2d(x)).dataSync())).toBe(0);
  });

  it('an EleutherAI sparsify folder (BF16 weights) loads as TopK with its hook point and model', () => {
    const run = pythonFolder('write-sparsify', '26');
    const sae = loadSae(join(run, 'layers.3'));
    expect(sae.cfg).toMatchObject({ architecture: 'topk', k: 6, d_in: 16, d_sae: 64, apply_b_dec_to_input: true });
    expect(sae.cfg.metadata).toMatchObject({ hook_name: 'blocks.3.hook_resid_post', model_name: 'EleutherAI/pythia-70m' });
    const expected = readJson<Expected>(join(run, 'layers.3', 'expected.json'));
    expectOutputs(sae, expected);
    expectSavedRunsInReference(sae, expected.x);
    // The run folder itself holds one SAE per hook point: say which.
    const e = errorOf(() => loadSae(run));
    expect(e.message).toMatch(/sparsify SAEs of 1 hook point \(layers\.3\)/);
  });

  it('a Gemma Scope 2 folder (config.json + params.safetensors) loads as JumpReLU at its TransformerLens hook', () => {
    const dir = pythonFolder('write-gemmascope2', '27');
    const sae = loadSae(dir);
    expect(sae.cfg).toMatchObject({ architecture: 'jumprelu', apply_b_dec_to_input: false, d_in: 16, d_sae: 48 });
    expect(sae.cfg.metadata).toMatchObject({ hook_name: 'blocks.5.hook_resid_post', model_name: 'google/gemma-3-1b-pt', hf_hook_name: 'model.layers.5.output', l0: 20 });
    const expected = readJson<Expected>(join(dir, 'expected.json'));
    expectOutputs(sae, expected);
    expectSavedRunsInReference(sae, expected.x);
  });
});

/** Rewrites one JSON file of a folder with `edit`. */
function editJson(path: string, edit: (o: Record<string, unknown>) => void): void {
  const o = readJson<Record<string, unknown>>(path);
  edit(o);
  writeFileSync(path, JSON.stringify(o));
}

describe.skipIf(!hasTorch)('refusals name the field and the value', () => {
  // One reference folder of each kind, copied for each case.
  const made = new Map<string, string>();
  const copyOf = (command: string, ...args: string[]): string => {
    const key = [command, ...args].join(' ');
    if (!made.has(key)) made.set(key, pythonFolder(command, ...args));
    const dir = mkdtempSync(join(tmpdir(), 'fs-formats-case-'));
    cpSync(made.get(key)!, dir, { recursive: true });
    return dir;
  };
  const saelens = (edit: (o: Record<string, unknown>) => void, kase = 'constant_norm_rescale'): string => {
    const dir = copyOf('write-saelens6', kase, '31');
    editJson(join(dir, 'cfg.json'), edit);
    return dir;
  };

  it.each([
    ['reshape_activations', (o: Record<string, unknown>) => (o.reshape_activations = 'hook_z'), /reshape_activations "hook_z" is not supported: .*attention hook points/],
    ['normalize_activations', (o: Record<string, unknown>) => (o.normalize_activations = 'batch_norm'), /normalize_activations "batch_norm" is not supported; SAELens's values are none, constant_norm_rescale, layer_norm, expected_average_only_in/],
    ['architecture', (o: Record<string, unknown>) => (o.architecture = 'gated'), /architecture "gated" is not supported; known: .*matryoshka_batchtopk/],
    ['metadata.hook_head_index', (o: Record<string, unknown>) => ((o.metadata as Record<string, unknown>).hook_head_index = 2), /metadata\.hook_head_index 2 is not supported/],
    ['finetuning_scaling_factor', (o: Record<string, unknown>) => (o.finetuning_scaling_factor = true), /finetuning_scaling_factor true is not supported/],
  ])('SAELens %s', (field, edit, message) => {
    const e = errorOf(() => loadSae(saelens(edit)));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('SAELens matryoshka_widths that do not increase', () => {
    const e = errorOf(() => loadSae(saelens((o) => (o.matryoshka_widths = [30, 20]), 'matryoshka')));
    expect(e.field).toBe('matryoshka_widths');
    expect(e.message).toMatch(/matryoshka_widths must increase strictly, got 30, 20, 48/);
  });

  it('SAELens expected_average_only_in without its activation_scaler.json', () => {
    const dir = copyOf('write-saelens6', 'expected_average_only_in', '32');
    rmSync(join(dir, 'activation_scaler.json'));
    const e = errorOf(() => loadSae(dir));
    expect(e.field).toBe('normalize_activations');
    expect(e.message).toMatch(/normalize_activations "expected_average_only_in" .*activation_scaler\.json, which is not in this folder/);
  });

  it.each([
    ['activation', (o: Record<string, unknown>) => (o.activation = 'groupmax'), /activation "groupmax" is not supported/],
    ['transcode', (o: Record<string, unknown>) => (o.transcode = true), /transcode true is not supported/],
    ['skip_connection', (o: Record<string, unknown>) => (o.skip_connection = true), /skip_connection true is not supported/],
  ])('sparsify %s', (field, edit, message) => {
    const run = copyOf('write-sparsify', '33');
    editJson(join(run, 'layers.3', 'cfg.json'), edit);
    const e = errorOf(() => loadSae(join(run, 'layers.3')));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('sparsify hook point folders this build cannot map', () => {
    const run = copyOf('write-sparsify', '33');
    renameSync(join(run, 'layers.3'), join(run, 'layers.3.self_attn'));
    const e = errorOf(() => loadSae(join(run, 'layers.3.self_attn')));
    expect(e.field).toBe('hookName');
    expect(e.message).toMatch(/"layers\.3\.self_attn" is not one this build maps/);
    // --hook and --model-name say it instead.
    const sae = loadSae(join(run, 'layers.3.self_attn'), { hookName: 'blocks.3.hook_attn_out', modelName: 'pythia' });
    expect(sae.cfg.metadata.hook_name).toBe('blocks.3.hook_attn_out');
  });

  it.each([
    ['type', (o: Record<string, unknown>) => (o.type = 'transcoder'), /type "transcoder" is not supported/],
    ['affine_connection', (o: Record<string, unknown>) => (o.affine_connection = true), /affine_connection true is not supported/],
    ['hf_hook_point_in', (o: Record<string, unknown>) => ((o.hf_hook_point_in = 'model.layers.5.self_attn.o_proj.input'), (o.hf_hook_point_out = o.hf_hook_point_in)), /hf_hook_point_in "model\.layers\.5\.self_attn\.o_proj\.input" is not supported: .*hook_z/],
    ['hf_hook_point_out', (o: Record<string, unknown>) => (o.hf_hook_point_out = 'model.layers.5.post_feedforward_layernorm.output'), /hf_hook_point_out "model\.layers\.5\.post_feedforward_layernorm\.output" differs from hf_hook_point_in/],
    ['architecture', (o: Record<string, unknown>) => (o.architecture = 'topk'), /architecture "topk" is not supported/],
  ])('Gemma Scope 2 %s', (field, edit, message) => {
    const dir = copyOf('write-gemmascope2', '35');
    editJson(join(dir, 'config.json'), edit);
    const e = errorOf(() => loadSae(dir));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });
});
