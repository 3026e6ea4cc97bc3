// One entry point for importing an SAE from disk: a SAELens folder, an EleutherAI sparsify folder,
// a Gemma Scope 2 folder, a Gemma Scope params.npz, and a clear refusal for PyTorch pickles.
// Folders are told apart by their files: SAELens cfg.json + sae_weights.safetensors, sparsify
// cfg.json + sae.safetensors, Gemma Scope 2 config.json + params.safetensors.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import { f64ToF32Finite, firstNonFiniteF32, nonFiniteMessage } from '../../formats/finite';
import { type NpyArray, type NpyHeader, readNpz } from '../../formats/npz';
import { JumpReluSae } from '../architectures/jumprelu';
import type { Sae } from '../sae';
import { checkSaeSize } from './limits';
import { GEMMA_SCOPE_2_CONFIG, GEMMA_SCOPE_2_WEIGHTS, loadGemmaScope2 } from './gemmaScope2';
import { CFG_FILE, loadSaeLens, WEIGHTS_FILE } from './saelens';
import { loadSparsify, SPARSIFY_WEIGHTS } from './sparsify';

const PICKLE_EXTENSIONS = new Set(['.pt', '.pth', '.ckpt', '.bin', '.pkl']);

export interface ImportNames {
  hookName: string;
  modelName: string;
}

export function loadSae(path: string, names?: ImportNames): Sae {
  if (!existsSync(path)) throw new FeaturescopeError('not_found', `${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const has = (name: string): boolean => existsSync(join(path, name));
    if (has(CFG_FILE) && has(SPARSIFY_WEIGHTS) && !has(WEIGHTS_FILE)) return loadSparsify(path, names);
    if (has(CFG_FILE)) return loadSaeLens(path);
    if (has(GEMMA_SCOPE_2_CONFIG) && has(GEMMA_SCOPE_2_WEIGHTS)) return loadGemmaScope2(path, names);
    if (has('params.npz')) return loadGemmaScopeNpz(join(path, 'params.npz'), names);
    const hookpoints = sparsifyHookpoints(path);
    if (hookpoints.length > 0) {
      throw new FeaturescopeError('invalid_input', `${path} holds sparsify SAEs of ${hookpoints.length} hook point${hookpoints.length === 1 ? '' : 's'} (${hookpoints.slice(0, 5).join(', ')}${hookpoints.length > 5 ? ', …' : ''}); import one of those folders`, 'path');
    }
    throw new FeaturescopeError(
      'not_found',
      `${path}: no SAE files here: a SAELens folder holds ${CFG_FILE} + ${WEIGHTS_FILE}, a sparsify folder ${CFG_FILE} + ${SPARSIFY_WEIGHTS}, a Gemma Scope 2 folder ${GEMMA_SCOPE_2_CONFIG} + ${GEMMA_SCOPE_2_WEIGHTS}, Gemma Scope params.npz`,
    );
  }
  const ext = extname(path).toLowerCase();
  if (PICKLE_EXTENSIONS.has(ext)) {
    throw new FeaturescopeError(
      'unsupported',
      `${path}: PyTorch pickle files (${ext}) can run code when loaded, so Featurescope does not open them. ` +
        'Convert it in Python: load it with torch.load, then either save a SAELens folder with the SAE\'s save_model(path) ' +
        'or write the tensors W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec (and threshold) with ' +
        'safetensors.torch.save_file({...}, "sae_weights.safetensors") next to a SAELens cfg.json.',
    );
  }
  if (ext === '.npz') return loadGemmaScopeNpz(path, names);
  throw new FeaturescopeError('unsupported', `${path}: unknown SAE file type ${ext || '(none)'}; expected a SAELens, sparsify or Gemma Scope 2 folder, or a Gemma Scope params.npz`);
}

/** Subfolders of a sparsify run folder that hold one hook point's SAE. */
function sparsifyHookpoints(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, CFG_FILE)) && existsSync(join(dir, e.name, SPARSIFY_WEIGHTS)))
    .map((e) => e.name)
    .sort();
}

/** The arrays of a Gemma Scope params.npz, each with its shape in terms of [d_in, d_sae]. */
const GEMMA_SCOPE_ARRAYS: ReadonlyArray<[string, (dIn: number, dSae: number) => number[]]> = [
  ['W_enc', (dIn, dSae) => [dIn, dSae]],
  ['W_dec', (dIn, dSae) => [dSae, dIn]],
  ['b_enc', (_dIn, dSae) => [dSae]],
  ['b_dec', (dIn) => [dIn]],
  ['threshold', (_dIn, dSae) => [dSae]],
];
const FLOAT_DTYPES = new Set(['<f4', '<f2', '<f8']);

/**
 * Checks the archive's array headers before anything is inflated: d_in and d_sae come from W_enc's
 * header and are capped, every other array must have the shape they imply, and only these five are
 * read (each entry's size already equals its header's shape × dtype, so nothing inflates past that).
 */
function gemmaScopePlan(path: string, headers: ReadonlyMap<string, NpyHeader>): string[] {
  const fail = (name: string, rule: string): FeaturescopeError => new FeaturescopeError('bad_file', `${path}: array ${name} ${rule}`, name);
  for (const [name] of GEMMA_SCOPE_ARRAYS) {
    const h = headers.get(name);
    if (h === undefined) throw fail(name, 'is missing (Gemma Scope params.npz has W_enc, W_dec, b_enc, b_dec, threshold)');
    if (!FLOAT_DTYPES.has(h.dtype)) throw fail(name, `has dtype ${h.dtype}, expected a float`);
  }
  const enc = headers.get('W_enc')!;
  if (enc.shape.length !== 2 || enc.shape.some((d) => d < 1)) throw fail('W_enc', `must be 2-D [d_in, d_sae], got [${enc.shape.join(', ')}]`);
  const [dIn, dSae] = enc.shape as [number, number];
  checkSaeSize(path, dIn, dSae, { dIn: 'W_enc d_in (axis 0)', dSae: 'W_enc d_sae (axis 1)' });
  for (const [name, shapeOf] of GEMMA_SCOPE_ARRAYS) {
    const want = shapeOf(dIn, dSae);
    const got = headers.get(name)!.shape;
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw fail(name, `has shape [${got.join(', ')}]; W_enc [${dIn}, ${dSae}] implies [${want.join(', ')}]`);
    }
  }
  return GEMMA_SCOPE_ARRAYS.map(([name]) => name);
}

/** An npz array as f32, refusing NaN/±Inf (f8 is narrowed and checked in one pass). */
function finiteFloat32(path: string, name: string, a: NpyArray): Float32Array {
  let data: Float32Array;
  let bad: number;
  if (a.data instanceof Float64Array) {
    data = new Float32Array(a.data.length);
    bad = f64ToF32Finite(a.data, data);
  } else if (a.data instanceof Float32Array) {
    data = a.data;
    bad = firstNonFiniteF32(data);
  } else {
    throw new FeaturescopeError('bad_file', `${path}: array ${name} has dtype ${a.dtype}, expected a float`, name);
  }
  if (bad >= 0) {
    const value = a.data instanceof Float64Array ? a.data[bad]! : data[bad]!;
    throw new FeaturescopeError('bad_file', `${path}: ${nonFiniteMessage(`array ${name}`, bad, a.shape, value)}`, name);
  }
  return data;
}

/**
 * Gemma Scope params.npz: W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec, threshold;
 * JumpReLU applied to x @ W_enc + b_enc with no b_dec subtraction.
 */
export function loadGemmaScopeNpz(path: string, names?: ImportNames): Sae {
  const arrays = readNpz(path, { plan: (headers) => gemmaScopePlan(path, headers) });
  const [dIn, dSae] = arrays.get('W_enc')!.shape as [number, number];
  // Every array is checked before the first tensor is made, so a refusal leaks no tensor.
  const data = new Map(GEMMA_SCOPE_ARRAYS.map(([name]) => [name, finiteFloat32(path, name, arrays.get(name)!)]));
  const t = (name: string): tf.Tensor => tf.tensor(data.get(name)!, arrays.get(name)!.shape);
  // Shapes were checked by the plan; the Sae constructor checks them again against the config.
  return new JumpReluSae(
    {
      architecture: 'jumprelu',
      d_in: dIn,
      d_sae: dSae,
      apply_b_dec_to_input: false,
      normalize_activations: 'none',
      dtype: 'float32',
      metadata: { hook_name: names?.hookName ?? '', model_name: names?.modelName ?? '', source: 'gemma-scope params.npz' },
    },
    {
      W_enc: t('W_enc') as tf.Tensor2D,
      W_dec: t('W_dec') as tf.Tensor2D,
      b_enc: t('b_enc') as tf.Tensor1D,
      b_dec: t('b_dec') as tf.Tensor1D,
      threshold: t('threshold') as tf.Tensor1D,
    },
  );
}
