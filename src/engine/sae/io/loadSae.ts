// One entry point for importing an SAE from disk: a SAELens folder, a Gemma Scope params.npz,
// and a clear refusal for PyTorch pickles.
import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import { readNpz } from '../../formats/npz';
import { JumpReluSae } from '../architectures/jumprelu';
import type { Sae } from '../sae';
import { CFG_FILE, loadSaeLens } from './saelens';

const PICKLE_EXTENSIONS = new Set(['.pt', '.pth', '.ckpt', '.bin', '.pkl']);

export interface ImportNames {
  hookName: string;
  modelName: string;
}

export function loadSae(path: string, names?: ImportNames): Sae {
  if (!existsSync(path)) throw new FeaturescopeError('not_found', `${path} does not exist`);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, CFG_FILE))) return loadSaeLens(path);
    if (existsSync(join(path, 'params.npz'))) return loadGemmaScopeNpz(join(path, 'params.npz'), names);
    throw new FeaturescopeError('not_found', `${path}: neither ${CFG_FILE} (SAELens) nor params.npz (Gemma Scope) is in this folder`);
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
  throw new FeaturescopeError('unsupported', `${path}: unknown SAE file type ${ext || '(none)'}; expected a SAELens folder or a Gemma Scope params.npz`);
}

/**
 * Gemma Scope params.npz: W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec, threshold;
 * JumpReLU applied to x @ W_enc + b_enc with no b_dec subtraction.
 */
export function loadGemmaScopeNpz(path: string, names?: ImportNames): Sae {
  const arrays = readNpz(path);
  const get = (name: string): { shape: number[]; data: Float32Array } => {
    const a = arrays.get(name);
    if (a === undefined) throw new FeaturescopeError('bad_file', `${path}: array ${name} is missing (Gemma Scope params.npz has W_enc, W_dec, b_enc, b_dec, threshold)`, name);
    const data = a.data instanceof Float32Array ? a.data : a.data instanceof Float64Array ? Float32Array.from(a.data) : undefined;
    if (data === undefined) throw new FeaturescopeError('bad_file', `${path}: array ${name} has dtype ${a.dtype}, expected a float`, name);
    return { shape: a.shape, data };
  };
  const W_enc = get('W_enc');
  if (W_enc.shape.length !== 2) throw new FeaturescopeError('bad_file', `${path}: W_enc must be 2-D, got [${W_enc.shape.join(', ')}]`, 'W_enc');
  const [dIn, dSae] = W_enc.shape as [number, number];
  const t = (name: string): tf.Tensor => {
    const a = get(name);
    return tf.tensor(a.data, a.shape);
  };
  // Shapes are checked by the Sae constructor against d_in/d_sae taken from W_enc.
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
      W_enc: tf.tensor2d(W_enc.data, [dIn, dSae]),
      W_dec: t('W_dec') as tf.Tensor2D,
      b_enc: t('b_enc') as tf.Tensor1D,
      b_dec: t('b_dec') as tf.Tensor1D,
      threshold: t('threshold') as tf.Tensor1D,
    },
  );
}
