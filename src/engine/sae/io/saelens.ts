// SAELens folder format (DESIGN.md §3): `cfg.json` + `sae_weights.safetensors` with
// W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae], b_dec [d_in], threshold [d_sae]
// (jumprelu). Reads cfg.json of SAELens 6 (hook_name/model_name under `metadata`, `k` at the
// top) and of older SAELens (hook_name/model_name at the top, k in activation_fn_kwargs).
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import { jsonSyntaxProblem } from '../../formats/jsonProblem';
import { writeFileAtomic } from '../../formats/atomic';
import { SafetensorsFile, writeSafetensors } from '../../formats/safetensors';
import { isSaeArchitecture, saeArchitectures, saeClass } from '../registry';
import { checkSaeSize } from './limits';
import { EXTRA_WEIGHT_SHAPES, type Sae, type SaeConfig, type SaeWeights } from '../sae';

export const CFG_FILE = 'cfg.json';
export const WEIGHTS_FILE = 'sae_weights.safetensors';
const MAX_CFG_BYTES = 1_000_000;

/** Writes `sae` as a SAELens folder (weights first, then cfg.json; each file atomic). */
export function saveSaeLens(dir: string, sae: Sae): void {
  mkdirSync(dir, { recursive: true });
  const w = sae.weights;
  const tensors: Array<[string, tf.Tensor]> = [
    ['W_enc', w.W_enc],
    ['W_dec', w.W_dec],
    ['b_enc', w.b_enc],
    ['b_dec', w.b_dec],
  ];
  for (const name of sae.extraWeights) tensors.push([name, w[name]!]);
  writeSafetensors(
    join(dir, WEIGHTS_FILE),
    tensors.map(([name, t]) => ({ name, dtype: 'F32' as const, shape: [...t.shape], data: t.dataSync() as Float32Array })),
  );
  const c = sae.cfg;
  const cfg = {
    architecture: c.architecture,
    d_in: c.d_in,
    d_sae: c.d_sae,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: c.apply_b_dec_to_input,
    normalize_activations: c.normalize_activations,
    reshape_activations: 'none',
    ...(c.k !== undefined ? { k: c.k } : {}),
    metadata: { ...c.metadata },
  };
  writeFileAtomic(join(dir, CFG_FILE), `${JSON.stringify(cfg, null, 2)}\n`);
}

/** Loads a SAELens folder into an inference SAE. */
export function loadSaeLens(dir: string): Sae {
  const cfgPath = join(dir, CFG_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(cfgPath)) throw new FeaturescopeError('not_found', `${dir}: no ${CFG_FILE}; a SAELens SAE folder holds ${CFG_FILE} and ${WEIGHTS_FILE}`);
  if (!existsSync(weightsPath)) throw new FeaturescopeError('not_found', `${dir}: no ${WEIGHTS_FILE}`);
  if (statSync(cfgPath).size > MAX_CFG_BYTES) throw new FeaturescopeError('bad_file', `${cfgPath}: larger than ${MAX_CFG_BYTES} bytes`);
  let raw: unknown;
  const cfgText = readFileSync(cfgPath, 'utf8');
  try {
    raw = JSON.parse(cfgText);
  } catch {
    throw new FeaturescopeError('bad_file', `${cfgPath}: ${jsonSyntaxProblem(cfgText)}`);
  }
  const cfg = parseCfg(raw, cfgPath);
  const file = SafetensorsFile.open(weightsPath);
  try {
    const read = (name: string, shape: number[]): tf.Tensor => {
      if (!file.has(name)) throw new FeaturescopeError('bad_file', `${weightsPath}: tensor ${name} is missing`, name);
      const e = file.entry(name);
      if (e.shape.length !== shape.length || e.shape.some((s, i) => s !== shape[i])) {
        throw new FeaturescopeError('bad_file', `${weightsPath}: ${name} has shape [${e.shape.join(', ')}], cfg.json implies [${shape.join(', ')}]`, name);
      }
      return tf.tensor(file.readFloat32(name), shape);
    };
    const weights: SaeWeights = {
      W_enc: read('W_enc', [cfg.d_in, cfg.d_sae]) as tf.Tensor2D,
      W_dec: read('W_dec', [cfg.d_sae, cfg.d_in]) as tf.Tensor2D,
      b_enc: read('b_enc', [cfg.d_sae]) as tf.Tensor1D,
      b_dec: read('b_dec', [cfg.d_in]) as tf.Tensor1D,
    };
    const cls = saeClass(cfg.architecture);
    for (const name of cls.extraWeights) weights[name] = read(name, EXTRA_WEIGHT_SHAPES[name](cfg)) as tf.Tensor1D;
    return new cls(cfg, weights);
  } finally {
    file.close();
  }
}

function parseCfg(raw: unknown, path: string): SaeConfig {
  const bad = (field: string, rule: string): FeaturescopeError => new FeaturescopeError('bad_file', `${path}: ${field} ${rule}`, field);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('cfg', 'must be a JSON object');
  const o = raw as Record<string, unknown>;
  const posInt = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(field, `must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const architecture = o.architecture ?? 'standard';
  if (typeof architecture !== 'string' || !isSaeArchitecture(architecture)) {
    throw new FeaturescopeError('unsupported', `${path}: architecture ${JSON.stringify(architecture)} is not supported; known: ${saeArchitectures().join(', ')}`, 'architecture');
  }
  const dtype = o.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'torch.float32') throw new FeaturescopeError('unsupported', `${path}: dtype ${JSON.stringify(dtype)} is not supported (float32 only)`, 'dtype');
  const normalize = o.normalize_activations ?? 'none';
  if (normalize !== 'none' && normalize !== null) {
    // Other modes need a dataset-dependent scale SAELens keeps outside the folder.
    throw new FeaturescopeError('unsupported', `${path}: normalize_activations ${JSON.stringify(normalize)} is not supported; fold the scaling into the weights and save with "none"`, 'normalize_activations');
  }
  const meta = typeof o.metadata === 'object' && o.metadata !== null ? (o.metadata as Record<string, unknown>) : {};
  const hook = meta.hook_name ?? o.hook_name;
  const model = meta.model_name ?? o.model_name;
  if (typeof hook !== 'string') throw bad('metadata.hook_name', 'must be a string');
  const kwargs = typeof o.activation_fn_kwargs === 'object' && o.activation_fn_kwargs !== null ? (o.activation_fn_kwargs as Record<string, unknown>) : {};
  const kRaw = o.k ?? kwargs.k;
  const applyBDec = o.apply_b_dec_to_input ?? true;
  if (typeof applyBDec !== 'boolean') throw bad('apply_b_dec_to_input', 'must be true or false');
  const dIn = posInt('d_in', o.d_in);
  const dSae = posInt('d_sae', o.d_sae);
  checkSaeSize(path, dIn, dSae, { dIn: 'd_in', dSae: 'd_sae' });
  const cfg: SaeConfig = {
    architecture,
    d_in: dIn,
    d_sae: dSae,
    apply_b_dec_to_input: applyBDec,
    normalize_activations: 'none',
    dtype: 'float32',
    metadata: { ...meta, hook_name: hook, model_name: typeof model === 'string' ? model : '' },
  };
  const extra: Record<string, unknown> = { k: kRaw };
  for (const field of saeClass(architecture).cfgFields) cfg[field] = posInt(field, extra[field]);
  if (cfg.k !== undefined && cfg.k > dSae) throw bad('k', `is ${cfg.k}; it must be at most d_sae (${dSae})`);
  return cfg;
}
