// cfg.json of a SAELens folder, as SAELens 6 writes it (hook_name/model_name under `metadata`,
// architecture fields such as k at the top) and as older SAELens did (hook_name at the top, k in
// activation_fn_kwargs, normalize_activations as a boolean). Every value SAELens can write is
// either applied as SAELens applies it or refused naming the field and the value:
// - normalize_activations: none; constant_norm_rescale and layer_norm (run time, inputNorm.ts);
//   expected_average_only_in with the scale SAELens stores beside it (activation_scaler.json),
//   folded into the weights as SAELens's fold_activation_norm_scaling_factor does.
// - rescale_acts_by_decoder_norm (topk, batchtopk, matryoshka_batchtopk): folded into the weights
//   as SAELens's _fold_norm_topk does, which leaves encode and decode unchanged.
// - reshape_activations: none; hook_z is refused until attention hook points exist.
// - batchtopk and matryoshka_batchtopk are SAELens training checkpoints: they run as JumpReLU with
//   their topk_threshold on every latent, as SAELens's save_inference_model converts them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FeaturescopeError } from '../../../shared/errors';
import { checkWidths } from '../architectures/matryoshka';
import { isSaeArchitecture, saeArchitectures, type SaeArchitecture } from '../registry';
import { RUNTIME_NORMS, type RuntimeNorm } from '../inputNorm';
import type { SaeConfig } from '../sae';
import { checkSaeSize } from './limits';
import { readJsonObject, shown } from './jsonFile';

export const ACTIVATION_SCALER_FILE = 'activation_scaler.json';

/** SAELens architectures this build reads: its inference classes, and BatchTopK checkpoints. */
const BATCHTOPK_FAMILY = new Set(['batchtopk', 'matryoshka_batchtopk']);
const NORMALIZE_VALUES = [...RUNTIME_NORMS, 'expected_average_only_in'];
/** SAELens's default of rescale_acts_by_decoder_norm: off for inference topk, on for training configs. */
const RESCALE_DEFAULT: Record<string, boolean> = { topk: false, batchtopk: true, matryoshka_batchtopk: true };

export interface ParsedSaeLensCfg {
  cfg: SaeConfig;
  /** cfg.json's architecture: a BatchTopK checkpoint reads topk_threshold into a JumpReLU threshold. */
  source: string;
  /** Fold the decoder row norms into the encoder (rescale_acts_by_decoder_norm). */
  foldDecoderNorms: boolean;
  /** expected_average_only_in's scale, to fold into the weights; undefined for the other modes. */
  inputScale: number | undefined;
}

export function parseSaeLensCfg(o: Record<string, unknown>, path: string, dir: string): ParsedSaeLensCfg {
  const bad = (field: string, rule: string): FeaturescopeError => new FeaturescopeError('bad_file', `${path}: ${field} ${rule}`, field);
  const unsupported = (field: string, rule: string): FeaturescopeError => new FeaturescopeError('unsupported', `${path}: ${field} ${shown(o[field])} ${rule}`, field);
  const posInt = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(field, `must be a positive integer, got ${shown(v)}`);
    return v;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const v = o[field] ?? fallback;
    if (typeof v !== 'boolean') throw bad(field, `must be true or false, got ${shown(v)}`);
    return v;
  };

  const source = o.architecture ?? 'standard';
  if (typeof source !== 'string' || !(isSaeArchitecture(source) || BATCHTOPK_FAMILY.has(source))) {
    const known = [...new Set([...saeArchitectures(), ...BATCHTOPK_FAMILY])].join(', ');
    throw new FeaturescopeError('unsupported', `${path}: architecture ${shown(source)} is not supported; known: ${known}`, 'architecture');
  }
  const architecture: SaeArchitecture = source === 'batchtopk' ? 'jumprelu' : (source as SaeArchitecture);
  const dtype = o.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'torch.float32') throw unsupported('dtype', 'is not supported (float32 only)');
  if ((o.reshape_activations ?? 'none') !== 'none') {
    if (o.reshape_activations === 'hook_z') throw unsupported('reshape_activations', 'is not supported: it splits attention heads (hook_z), and this build has no attention hook points yet');
    throw unsupported('reshape_activations', 'is not supported; SAELens writes "none" or "hook_z"');
  }
  if (o.finetuning_scaling_factor === true) throw unsupported('finetuning_scaling_factor', 'is not supported: fold the scaling factor into W_dec and save with false');
  for (const field of ['activation_fn', 'activation_fn_str']) {
    if (o[field] !== undefined && o[field] !== 'relu' && o[field] !== 'topk') throw unsupported(field, 'is not supported; only relu and topk are');
  }

  // Pre-6 configs said true/false for expected_average_only_in/none.
  const normalizeRaw = o.normalize_activations === true ? 'expected_average_only_in' : (o.normalize_activations ?? 'none');
  const normalize = normalizeRaw === false ? 'none' : normalizeRaw;
  if (typeof normalize !== 'string' || !NORMALIZE_VALUES.includes(normalize)) {
    throw unsupported('normalize_activations', `is not supported; SAELens's values are ${NORMALIZE_VALUES.join(', ')}`);
  }
  const inputScale = normalize === 'expected_average_only_in' ? storedInputScale(path, dir) : undefined;

  const meta = typeof o.metadata === 'object' && o.metadata !== null && !Array.isArray(o.metadata) ? (o.metadata as Record<string, unknown>) : {};
  const hook = meta.hook_name ?? o.hook_name ?? o.hook_point;
  const model = meta.model_name ?? o.model_name;
  if (typeof hook !== 'string' || hook === '') throw bad('metadata.hook_name', `must be a hook point name, got ${shown(hook)}`);
  const headIndex = meta.hook_head_index ?? o.hook_head_index ?? o.hook_point_head_index;
  if (headIndex !== undefined && headIndex !== null) {
    throw new FeaturescopeError('unsupported', `${path}: metadata.hook_head_index ${shown(headIndex)} is not supported: this build has no per-head hook points`, 'metadata.hook_head_index');
  }
  if (model !== undefined && model !== null && typeof model !== 'string') throw bad('metadata.model_name', `must be a string, got ${shown(model)}`);

  const dIn = posInt('d_in', o.d_in);
  const dSae = posInt('d_sae', o.d_sae);
  checkSaeSize(path, dIn, dSae, { dIn: 'd_in', dSae: 'd_sae' });
  const cfg: SaeConfig = {
    architecture,
    d_in: dIn,
    d_sae: dSae,
    apply_b_dec_to_input: bool('apply_b_dec_to_input', true),
    normalize_activations: normalize === 'expected_average_only_in' ? 'none' : (normalize as RuntimeNorm),
    dtype: 'float32',
    metadata: { ...meta, hook_name: hook, model_name: typeof model === 'string' ? model : '' },
  };

  const kwargs = typeof o.activation_fn_kwargs === 'object' && o.activation_fn_kwargs !== null ? (o.activation_fn_kwargs as Record<string, unknown>) : {};
  const k = o.k ?? kwargs.k;
  if (source === 'topk') {
    cfg.k = posInt('k', k);
    if (cfg.k > dSae) throw bad('k', `is ${cfg.k}; it must be at most d_sae (${dSae})`);
  } else if (BATCHTOPK_FAMILY.has(source)) {
    // BatchTopK's k is a mean per token (SAELens allows a float); inference uses the threshold.
    if (typeof k !== 'number' || !(k > 0) || k > dSae) throw bad('k', `must be a number in (0, d_sae], got ${shown(k)}`);
    if (source === 'matryoshka_batchtopk') {
      cfg.k = k;
      // SAELens appends d_sae when the list stops short of it.
      const raw = o.matryoshka_widths;
      const widths = Array.isArray(raw) && raw[raw.length - 1] !== dSae ? [...raw, dSae] : raw;
      cfg.matryoshka_widths = checkWidths(widths, dSae, (rule) => bad('matryoshka_widths', rule));
    }
  }
  const foldDecoderNorms = source in RESCALE_DEFAULT ? bool('rescale_acts_by_decoder_norm', RESCALE_DEFAULT[source]!) : false;
  return { cfg, source, foldDecoderNorms, inputScale };
}

/** scaling_factor of the folder's activation_scaler.json (SAELens 6 saves it with each checkpoint). */
function storedInputScale(cfgPath: string, dir: string): number {
  const file = join(dir, ACTIVATION_SCALER_FILE);
  if (!existsSync(file)) {
    throw new FeaturescopeError(
      'unsupported',
      `${cfgPath}: normalize_activations "expected_average_only_in" scales inputs by a factor SAELens keeps in ${ACTIVATION_SCALER_FILE}, which is not in this folder; ` +
        'add it ({"scaling_factor": …}) or fold the factor into the weights and save with "none"',
      'normalize_activations',
    );
  }
  const s = readJsonObject(file).scaling_factor;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) {
    throw new FeaturescopeError('bad_file', `${file}: scaling_factor must be a positive number, got ${shown(s)}`, 'scaling_factor');
  }
  return s;
}
