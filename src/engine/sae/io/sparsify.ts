// EleutherAI sparsify folders (SparseCoder.save_to_disk): cfg.json = {activation, expansion_factor,
// normalize_decoder, num_latents, k, multi_topk, skip_connection, transcode, d_in} and
// sae.safetensors = encoder.weight [num_latents, d_in], encoder.bias [num_latents],
// W_dec [num_latents, d_in], b_dec [d_in], usually BF16. sparsify encodes
// top-k(ReLU((x − b_dec) @ encoder.weightᵀ + encoder.bias)) and decodes Σ f_i W_dec[i] + b_dec:
// a TopK SAE with W_enc = encoder.weightᵀ and b_dec subtracted from the input.
// The folder is named after its hook point, a module of the Hugging Face model: layers.N (the
// block's output, blocks.N.hook_resid_post), layers.N.mlp (blocks.N.hook_mlp_out), embed_tokens
// (hook_embed); the run's config.json one level up names the model.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import { SafetensorsFile } from '../../formats/safetensors';
import { TopKSae } from '../architectures/topk';
import type { Sae } from '../sae';
import { checkSaeSize } from './limits';
import { readJsonObject, shown } from './jsonFile';
import type { ImportNames } from './loadSae';
import { readTensor } from './weightReader';

export const SPARSIFY_CFG = 'cfg.json';
export const SPARSIFY_WEIGHTS = 'sae.safetensors';

/** Hook point module name (the folder's name) → TransformerLens hook; null when not one of these. */
export function sparsifyHook(hookpoint: string): string | null {
  if (hookpoint === 'embed_tokens' || hookpoint === 'embed_in' || hookpoint === 'wte') return 'hook_embed';
  const m = /^(?:layers|h)[._](\d+)(\.mlp)?$/.exec(hookpoint);
  if (m === null) return null;
  return m[2] === undefined ? `blocks.${m[1]}.hook_resid_post` : `blocks.${m[1]}.hook_mlp_out`;
}

export function loadSparsify(dir: string, names?: ImportNames): Sae {
  const cfgPath = join(dir, SPARSIFY_CFG);
  const o = readJsonObject(cfgPath);
  const bad = (field: string, rule: string): FeaturescopeError => new FeaturescopeError('bad_file', `${cfgPath}: ${field} ${rule}`, field);
  const refuse = (field: string, rule: string): FeaturescopeError => new FeaturescopeError('unsupported', `${cfgPath}: ${field} ${shown(o[field])} ${rule}`, field);
  const posInt = (field: string): number => {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(field, `must be a positive integer, got ${shown(v)}`);
    return v;
  };
  if ((o.activation ?? 'topk') !== 'topk') throw refuse('activation', 'is not supported; only "topk" is');
  if (o.transcode === true) throw refuse('transcode', 'is not supported: a transcoder predicts another hook point, and this build has no transcoders yet');
  if (o.skip_connection === true) throw refuse('skip_connection', 'is not supported: its W_skip term adds the input to the reconstruction, which Featurescope SAEs do not have');
  if (o.signed === true) throw refuse('signed', 'is not supported: signed latents are not ReLU top-k');
  for (const field of ['multi_topk', 'normalize_decoder'] as const) {
    // Training choices only: inference is the same top-k either way.
    if (o[field] !== undefined && typeof o[field] !== 'boolean') throw bad(field, `must be true or false, got ${shown(o[field])}`);
  }
  const dIn = posInt('d_in');
  const numLatents = o.num_latents ?? 0;
  if (typeof numLatents !== 'number' || !Number.isInteger(numLatents) || numLatents < 0) throw bad('num_latents', `must be a non-negative integer, got ${shown(numLatents)}`);
  // sparsify: num_latents 0 means d_in × expansion_factor.
  const dSae = numLatents > 0 ? numLatents : dIn * posInt('expansion_factor');
  checkSaeSize(cfgPath, dIn, dSae, { dIn: 'd_in', dSae: numLatents > 0 ? 'num_latents' : 'expansion_factor' });
  const k = posInt('k');
  if (k > dSae) throw bad('k', `is ${k}; it must be at most the number of latents (${dSae})`);

  const hookpoint = basename(dir);
  const hook = names?.hookName ?? sparsifyHook(hookpoint);
  if (hook === null) {
    throw new FeaturescopeError(
      'invalid_input',
      `${dir}: sparsify names an SAE's folder after its hook point, and "${hookpoint}" is not one this build maps (layers.N, layers.N.mlp, embed_tokens); pass --hook NAME and --model-name NAME`,
      'hookName',
    );
  }
  const file = SafetensorsFile.open(join(dir, SPARSIFY_WEIGHTS));
  const made: tf.Tensor[] = [];
  try {
    const read = (name: string, shape: number[]): tf.Tensor => {
      const t = readTensor(file, name, shape, SPARSIFY_CFG);
      made.push(t);
      return t;
    };
    const encoderWeight = read('encoder.weight', [dSae, dIn]); // [d_sae, d_in], nn.Linear's layout
    const W_enc = encoderWeight.transpose() as tf.Tensor2D; // [d_in, d_sae]
    made.push(W_enc);
    const weights = {
      W_enc,
      W_dec: read('W_dec', [dSae, dIn]) as tf.Tensor2D,
      b_enc: read('encoder.bias', [dSae]) as tf.Tensor1D,
      b_dec: read('b_dec', [dIn]) as tf.Tensor1D,
    };
    encoderWeight.dispose();
    return new TopKSae(
      {
        architecture: 'topk',
        d_in: dIn,
        d_sae: dSae,
        apply_b_dec_to_input: true,
        normalize_activations: 'none',
        dtype: 'float32',
        k,
        metadata: { hook_name: hook, model_name: names?.modelName ?? runModel(dir), source: 'EleutherAI sparsify', hookpoint },
      },
      weights,
    );
  } catch (err) {
    for (const t of made) if (!t.isDisposed) t.dispose();
    throw err;
  } finally {
    file.close();
  }
}

/** The model the run's config.json (one folder up) names, else ''. */
function runModel(dir: string): string {
  const runConfig = join(dirname(dir), 'config.json');
  if (!existsSync(runConfig)) return '';
  const model = readJsonObject(runConfig).model;
  return typeof model === 'string' ? model : '';
}
