// SAELens folder format (DESIGN.md §3): `cfg.json` + `sae_weights.safetensors` with
// W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae], b_dec [d_in], and the architecture's
// extra tensors (threshold [d_sae] for jumprelu, the scalar topk_threshold for SAELens's BatchTopK
// training checkpoints). cfg.json is read by saelensCfg.ts.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import { writeFileAtomic } from '../../formats/atomic';
import { SafetensorsFile, writeSafetensors } from '../../formats/safetensors';
import { saeClass } from '../registry';
import { EXTRA_WEIGHT_SHAPES, type Sae, type SaeWeights } from '../sae';
import { foldInputScale } from '../train/foldScale';
import { foldDecoderNorms } from './decoderNorms';
import { readJsonObject } from './jsonFile';
import { readTensor } from './weightReader';
import { parseSaeLensCfg } from './saelensCfg';

export const CFG_FILE = 'cfg.json';
export const WEIGHTS_FILE = 'sae_weights.safetensors';
/**
 * SAELens reads a cfg.json without a metadata.sae_lens_version as a pre-6 config (and then looks
 * for hook_name at the top); this marks the layout written here as SAELens 6's.
 */
const SAELENS_FORMAT_VERSION = '6.0.0';

/** Writes `sae` as a SAELens folder (weights first, then cfg.json; each file atomic). */
export function saveSaeLens(dir: string, sae: Sae): void {
  mkdirSync(dir, { recursive: true });
  const w = sae.weights;
  const extras = sae.saeLensExtras();
  const tensors: Array<[string, tf.Tensor]> = [
    ['W_enc', w.W_enc],
    ['W_dec', w.W_dec],
    ['b_enc', w.b_enc],
    ['b_dec', w.b_dec],
    ...extras.tensors,
  ];
  writeSafetensors(
    join(dir, WEIGHTS_FILE),
    tensors.map(([name, t]) => ({ name, dtype: 'F32' as const, shape: [...t.shape], data: t.dataSync() as Float32Array })),
  );
  // Extras made for the file (a scalar threshold) are not the SAE's to keep.
  tf.dispose(extras.tensors.map(([, t]) => t).filter((t) => !(Object.values(w) as tf.Tensor[]).includes(t)));
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
    ...extras.cfg,
    metadata: { sae_lens_version: SAELENS_FORMAT_VERSION, ...c.metadata },
  };
  writeFileAtomic(join(dir, CFG_FILE), `${JSON.stringify(cfg, null, 2)}\n`);
}

/** Loads a SAELens folder into an inference SAE. */
export function loadSaeLens(dir: string): Sae {
  const cfgPath = join(dir, CFG_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(cfgPath)) throw new FeaturescopeError('not_found', `${dir}: no ${CFG_FILE}; a SAELens SAE folder holds ${CFG_FILE} and ${WEIGHTS_FILE}`);
  if (!existsSync(weightsPath)) throw new FeaturescopeError('not_found', `${dir}: no ${WEIGHTS_FILE}`);
  const { cfg, source, foldDecoderNorms: foldNorms, inputScale } = parseSaeLensCfg(readJsonObject(cfgPath), cfgPath, dir);
  const file = SafetensorsFile.open(weightsPath);
  const made: tf.Tensor[] = [];
  try {
    const read = (name: string, shape: number[]): tf.Tensor => {
      const t = readTensor(file, name, shape, 'cfg.json');
      made.push(t);
      return t;
    };
    let weights: SaeWeights = {
      W_enc: read('W_enc', [cfg.d_in, cfg.d_sae]) as tf.Tensor2D,
      W_dec: read('W_dec', [cfg.d_sae, cfg.d_in]) as tf.Tensor2D,
      b_enc: read('b_enc', [cfg.d_sae]) as tf.Tensor1D,
      b_dec: read('b_dec', [cfg.d_in]) as tf.Tensor1D,
    };
    if (source === 'batchtopk' || source === 'matryoshka_batchtopk') {
      // SAELens keeps one running threshold (a 0-d buffer); inference applies it to every latent.
      const theta = file.has('topk_threshold') && file.entry('topk_threshold').shape.length === 1 ? read('topk_threshold', [1]) : read('topk_threshold', []);
      weights.threshold = tf.tidy(() => tf.mul(tf.ones([cfg.d_sae]), tf.reshape(theta, []))) as tf.Tensor1D;
      made.push(weights.threshold);
    } else {
      for (const name of saeClass(cfg.architecture).extraWeights) weights[name] = read(name, EXTRA_WEIGHT_SHAPES[name](cfg)) as tf.Tensor1D;
    }
    // Decoder norms first: SAELens takes them from the stored W_dec, before any input scale.
    if (foldNorms) weights = keep(made, foldDecoderNorms(weights));
    if (inputScale !== undefined) weights = keep(made, foldInputScale(weights, inputScale));
    const sae = new (saeClass(cfg.architecture))(cfg, weights);
    tf.dispose(made.filter((t) => !Object.values(weights).includes(t)));
    return sae;
  } catch (err) {
    tf.dispose(made);
    throw err;
  } finally {
    file.close();
  }
}

/** Records the tensors of `next` as made here (so a refusal frees them too) and returns it. */
function keep(made: tf.Tensor[], next: SaeWeights): SaeWeights {
  made.push(...(Object.values(next) as tf.Tensor[]));
  return next;
}
