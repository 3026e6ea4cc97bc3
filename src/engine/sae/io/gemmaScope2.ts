// Gemma Scope 2 folders (google/gemma-scope-2-*): config.json = {hf_hook_point_in,
// hf_hook_point_out, width, model_name, architecture: "jump_relu", l0, affine_connection, type}
// and params.safetensors = w_enc [d_in, d_sae], w_dec [d_sae, d_in], b_enc, b_dec, threshold
// (lower-case names). The release's forward: f = relu(pre)·(pre > threshold) with
// pre = x @ w_enc + b_enc (no b_dec subtraction), x̂ = f @ w_dec + b_dec — a JumpReLU SAE.
// Hook points are Hugging Face module paths; the ones an SAE reads map to TransformerLens names.
// Transcoders (a different output hook, an affine skip connection), cross-layer transcoders and
// attention-head SAEs are refused by name: this build has no such hook points or SAEs yet.
import type * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { FeaturescopeError } from '../../../shared/errors';
import { SafetensorsFile } from '../../formats/safetensors';
import { JumpReluSae } from '../architectures/jumprelu';
import type { Sae } from '../sae';
import { checkSaeSize } from './limits';
import { readJsonObject, shown } from './jsonFile';
import type { ImportNames } from './loadSae';
import { readTensor, storedShape } from './weightReader';

export const GEMMA_SCOPE_2_CONFIG = 'config.json';
export const GEMMA_SCOPE_2_WEIGHTS = 'params.safetensors';

const HOOKS: ReadonlyArray<[RegExp, (layer: string) => string]> = [
  [/^model\.layers\.(\d+)\.output$/, (L) => `blocks.${L}.hook_resid_post`],
  [/^model\.layers\.(\d+)\.post_feedforward_layernorm\.output$/, (L) => `blocks.${L}.hook_mlp_out`],
];

/** A Gemma Scope 2 hook point → the TransformerLens hook it is, or null. */
export function gemmaScope2Hook(hfHook: string): string | null {
  for (const [pattern, name] of HOOKS) {
    const m = pattern.exec(hfHook);
    if (m !== null) return name(m[1]!);
  }
  return null;
}

export function loadGemmaScope2(dir: string, names?: ImportNames): Sae {
  const cfgPath = join(dir, GEMMA_SCOPE_2_CONFIG);
  const o = readJsonObject(cfgPath);
  const refuse = (field: string, rule: string): FeaturescopeError => new FeaturescopeError('unsupported', `${cfgPath}: ${field} ${shown(o[field])} ${rule}`, field);
  if ((o.architecture ?? 'jump_relu') !== 'jump_relu') throw refuse('architecture', 'is not supported; Gemma Scope 2 SAEs are "jump_relu"');
  if ((o.type ?? 'sae') !== 'sae') throw refuse('type', 'is not supported: only SAEs ("sae") are, not transcoders or crosscoders');
  if (o.affine_connection !== undefined && o.affine_connection !== false) {
    throw refuse('affine_connection', 'is not supported: the affine skip connection of a transcoder adds x @ affine_skip_connection to its output, and this build has no transcoders yet');
  }
  const hookIn = o.hf_hook_point_in;
  if (typeof hookIn !== 'string') throw new FeaturescopeError('bad_file', `${cfgPath}: hf_hook_point_in must be a hook point name, got ${shown(hookIn)}`, 'hf_hook_point_in');
  if (o.hf_hook_point_out !== undefined && o.hf_hook_point_out !== hookIn) {
    throw refuse('hf_hook_point_out', `differs from hf_hook_point_in ${shown(hookIn)}: that is a transcoder, which this build does not run yet`);
  }
  const hook = names?.hookName ?? gemmaScope2Hook(hookIn);
  if (hook === null) {
    const why = hookIn.endsWith('self_attn.o_proj.input') ? 'it reads the attention heads before o_proj (hook_z), and this build has no attention hook points yet' : 'it is not a hook point this build maps (model.layers.N.output, model.layers.N.post_feedforward_layernorm.output)';
    throw refuse('hf_hook_point_in', `is not supported: ${why}`);
  }
  const model = o.model_name;

  const file = SafetensorsFile.open(join(dir, GEMMA_SCOPE_2_WEIGHTS));
  const made: tf.Tensor[] = [];
  try {
    if (file.has('affine_skip_connection')) {
      throw new FeaturescopeError('unsupported', `${file.path}: tensor affine_skip_connection is not supported (a transcoder's skip connection)`, 'affine_skip_connection');
    }
    const encShape = storedShape(file, 'w_enc', 'Gemma Scope 2 params hold w_enc, w_dec, b_enc, b_dec, threshold');
    if (encShape.length !== 2 || encShape.some((d) => d < 1)) {
      throw new FeaturescopeError('bad_file', `${file.path}: w_enc must be 2-D [d_in, d_sae], got [${encShape.join(', ')}] (cross-layer transcoders are not supported)`, 'w_enc');
    }
    const [dIn, dSae] = encShape as [number, number];
    checkSaeSize(file.path, dIn, dSae, { dIn: 'w_enc d_in (axis 0)', dSae: 'w_enc d_sae (axis 1)' });
    if (o.width !== undefined && o.width !== dSae) {
      throw new FeaturescopeError('bad_file', `${cfgPath}: width ${shown(o.width)} disagrees with w_enc's ${dSae} latents`, 'width');
    }
    const read = (name: string, shape: number[]): tf.Tensor => {
      const t = readTensor(file, name, shape, `w_enc [${dIn}, ${dSae}]`);
      made.push(t);
      return t;
    };
    const weights = {
      W_enc: read('w_enc', [dIn, dSae]) as tf.Tensor2D,
      W_dec: read('w_dec', [dSae, dIn]) as tf.Tensor2D,
      b_enc: read('b_enc', [dSae]) as tf.Tensor1D,
      b_dec: read('b_dec', [dIn]) as tf.Tensor1D,
      threshold: read('threshold', [dSae]) as tf.Tensor1D,
    };
    return new JumpReluSae(
      {
        architecture: 'jumprelu',
        d_in: dIn,
        d_sae: dSae,
        apply_b_dec_to_input: false,
        normalize_activations: 'none',
        dtype: 'float32',
        metadata: {
          hook_name: hook,
          model_name: names?.modelName ?? (typeof model === 'string' ? model : ''),
          source: 'Gemma Scope 2',
          hf_hook_name: hookIn,
          ...(typeof o.l0 === 'number' || typeof o.l0 === 'string' ? { l0: o.l0 } : {}),
        },
      },
      weights,
    );
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  } finally {
    file.close();
  }
}
