// Direct logit effect of each feature: its decoder row pushed through the rest of the model's
// linear path to the logits, W_dec · W_U, as Neuronpedia and SAELens dashboards show it.
//
// The final norm is not linear; like TransformerLens with fold_ln we take the norm's weight and
// drop its per-token scale: LayerNorm (GPT-2) centres the direction and multiplies by ln_f.weight,
// RMSNorm multiplies by the weight (Gemma-2: by 1 + weight). Rankings are therefore right and
// magnitudes are "per unit of residual norm". Gemma-2's final soft-cap is monotonic and left out.
// Hooks in residual space (embeddings, resid_pre/mid/post, attn_out, mlp_out) go through the
// final norm; ln_final.hook_normalized is already normalized (weight included) and goes straight
// to W_U; mlp.hook_post (MLP neurons) first goes through the layer's output projection (and for
// Gemma-2 the weight of its post-feed-forward norm, with the same approximation).

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import { WeightStore } from '../formats/sharded';
import type { ModelConfig } from '../model/config';
import { VOCAB_CHUNK_ROWS } from '../model/memoryPlan';
import { transposeRows } from '../model/transpose';

export interface LogitEffectTable {
  /** Tokens per feature in each list. */
  n: number;
  /** [d_sae · n] token ids and values, biggest first (promoted) / most negative first (suppressed). */
  promotedIds: Int32Array;
  promotedValues: Float32Array;
  suppressedIds: Int32Array;
  suppressedValues: Float32Array;
}

/** Features per matmul chunk: [chunk, d_vocab] floats stay a few tens of MB for big vocabularies. */
const CHUNK_FEATURES = 128;

/**
 * Top-n promoted and suppressed tokens of every row of wDec [d_sae, d_in], or null when the hook
 * has no linear path to the logits we model (none of the hooks above).
 */
export function computeLogitEffects(
  modelDir: string,
  config: ModelConfig,
  hookName: string,
  wDec: tf.Tensor2D,
  n: number,
  onChunk?: (done: number, total: number) => void,
  /** Vocabulary rows of W_U per step (default: the model runtime's unembedding chunk). */
  vocabChunk: number = VOCAB_CHUNK_ROWS,
): LogitEffectTable | null {
  const path = residualPath(config, hookName);
  if (path === null) return null;
  const store = WeightStore.open(modelDir);
  const kept: tf.Tensor[] = [];
  try {
    const storedName = (name: string): string => {
      const stored = store.has(name) ? name : config.family === 'gpt2' && store.has(`transformer.${name}`) ? `transformer.${name}` : null;
      if (stored === null) throw new FeaturescopeError('bad_file', `${modelDir}: tensor ${JSON.stringify(name)} is missing; it is needed for logit effects`);
      return stored;
    };
    const read = (name: string): tf.Tensor => {
      const stored = storedName(name);
      const t = tf.tensor(store.readFloat32(stored), store.shape(stored), 'float32');
      kept.push(t);
      return t;
    };
    const dSae = wDec.shape[0];
    const dIn = wDec.shape[1];
    const vocab = config.vocabSize;
    const k = Math.min(n, vocab);
    const project = path.projection === null ? null : read(path.projection.name);
    const expectedIn = path.projection === null ? config.dModel : path.projection.width;
    if (dIn !== expectedIn) {
      throw new FeaturescopeError('invalid_input', `The SAE's d_in ${dIn} does not match ${hookName} of this model (width ${expectedIn}).`, 'saePath');
    }
    const scales = path.scales.map((s) => tf.tidy(() => (s.gemmaOffset ? read(s.name).add(1) : read(s.name))));
    kept.push(...scales);
    const normWeight = path.finalNorm === null ? null : tf.tidy(() => path.finalNorm!.weight(read).clone());
    if (normWeight !== null) kept.push(normWeight);

    // Every feature's direction in the residual stream as the unembedding sees it, [d_sae, d_model].
    const directions: tf.Tensor2D[] = [];
    for (let start = 0; start < dSae; start += CHUNK_FEATURES) {
      const rows = Math.min(CHUNK_FEATURES, dSae - start);
      directions.push(
        tf.tidy(() => {
          let dir = wDec.slice([start, 0], [rows, dIn]) as tf.Tensor2D; // [chunk, d_in]
          if (path.projection !== null && project !== null) {
            // GPT-2 Conv1D stores [in, out] (x @ W); Llama/Gemma Linear stores [out, in] (x @ Wᵀ).
            dir = path.projection.storedInOut ? tf.matMul(dir, project as tf.Tensor2D) : tf.matMul(dir, project as tf.Tensor2D, false, true); // [chunk, d_model]
          }
          for (const s of scales) dir = dir.mul(s); // post-FF norm weight (Gemma-2 hook_post only)
          if (path.finalNorm !== null && normWeight !== null) {
            if (path.finalNorm.centre) dir = dir.sub(dir.mean(1, true)); // LayerNorm removes the mean direction
            dir = dir.mul(normWeight) as tf.Tensor2D; // [chunk, d_model]
          }
          return dir;
        }),
      );
    }
    kept.push(...directions);

    // W_U one vocabulary chunk at a time, read from the file and transposed in JS (as the model
    // runtime does): a 256k-token table is never in the backend whole. Each feature keeps its
    // running top-k promoted and suppressed tokens across the chunks.
    const promoted = new RunningTopK(dSae, k);
    const suppressed = new RunningTopK(dSae, k);
    const head = storedName(unembedName(config, config.tieWordEmbeddings));
    const d = config.dModel;
    const chunks = Math.ceil(vocab / vocabChunk);
    for (let c = 0; c < chunks; c++) {
      const first = c * vocabChunk;
      const count = Math.min(vocabChunk, vocab - first);
      const unembed = tf.tensor2d(transposeRows(store.readRowsFloat32(head, first, count), count, d), [d, count]); // [d_model, count]
      try {
        const kc = Math.min(k, count);
        directions.forEach((dir, i) => {
          const [pIds, pVals, sIds, sVals] = tf.tidy(() => {
            const logits = tf.matMul(dir, unembed); // [chunk, count]
            const top = tf.topk(logits, kc);
            const bottom = tf.topk(tf.neg(logits), kc);
            return [top.indices, top.values, bottom.indices, bottom.values];
          });
          const row0 = i * CHUNK_FEATURES;
          promoted.merge(row0, pIds.dataSync() as Int32Array, pVals.dataSync() as Float32Array, kc, first);
          suppressed.merge(row0, sIds.dataSync() as Int32Array, sVals.dataSync() as Float32Array, kc, first);
          tf.dispose([pIds, pVals, sIds, sVals]);
        });
      } finally {
        unembed.dispose();
      }
      onChunk?.(Math.round(((c + 1) / chunks) * dSae), dSae);
    }
    return {
      n: k,
      promotedIds: promoted.ids,
      promotedValues: promoted.values,
      suppressedIds: suppressed.ids,
      // Suppressed tokens were ranked by −logit; their values are the logits themselves.
      suppressedValues: suppressed.values.map((v) => -v),
    };
  } finally {
    tf.dispose(kept);
    store.close();
  }
}

/** Per row, the k biggest values seen so far (ids and values, biggest first), merged chunk by chunk. */
class RunningTopK {
  readonly ids: Int32Array;
  readonly values: Float32Array;
  private readonly filled: Int32Array;

  constructor(
    rows: number,
    private readonly k: number,
  ) {
    this.ids = new Int32Array(rows * k);
    this.values = new Float32Array(rows * k);
    this.filled = new Int32Array(rows);
  }

  /** Rows row0… get candidates [rows, kc] (ids local to a chunk starting at token `offset`, biggest first). */
  merge(row0: number, ids: Int32Array, values: Float32Array, kc: number, offset: number): void {
    const rows = ids.length / kc;
    for (let r = 0; r < rows; r++) {
      const row = row0 + r;
      const base = row * this.k;
      const have = this.filled[row]!;
      const mergedIds: number[] = [];
      const mergedValues: number[] = [];
      let a = 0;
      let b = 0;
      while (mergedIds.length < this.k && (a < have || b < kc)) {
        // Ties keep the earlier token first, as one topk over the whole vocabulary does.
        const takeOld = b >= kc || (a < have && this.values[base + a]! >= values[r * kc + b]!);
        if (takeOld) {
          mergedIds.push(this.ids[base + a]!);
          mergedValues.push(this.values[base + a]!);
          a++;
        } else {
          mergedIds.push(ids[r * kc + b]! + offset);
          mergedValues.push(values[r * kc + b]!);
          b++;
        }
      }
      this.ids.set(mergedIds, base);
      this.values.set(mergedValues, base);
      this.filled[row] = mergedIds.length;
    }
  }
}

interface ResidualPath {
  /** MLP output projection for mlp.hook_post. */
  projection: { name: string; width: number; storedInOut: boolean } | null;
  /** Extra norm weights on the way (Gemma-2 post-feed-forward norm). */
  scales: { name: string; gemmaOffset: boolean }[];
  finalNorm: { centre: boolean; weight: (read: (name: string) => tf.Tensor) => tf.Tensor } | null;
}

function residualPath(c: ModelConfig, hook: string): ResidualPath | null {
  const finalNorm: ResidualPath['finalNorm'] =
    c.family === 'gpt2'
      ? { centre: true, weight: (read) => read('ln_f.weight') }
      : c.family === 'llama'
        ? { centre: false, weight: (read) => read('model.norm.weight') }
        : { centre: false, weight: (read) => read('model.norm.weight').add(1) };
  if (hook === 'ln_final.hook_normalized') return { projection: null, scales: [], finalNorm: null };
  if (hook === 'hook_embed' || hook === 'hook_pos_embed') return { projection: null, scales: [], finalNorm };
  const m = /^blocks\.(\d+)\.(hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|hook_mlp_out|mlp\.hook_post)$/.exec(hook);
  if (m === null) return null;
  if (m[2] !== 'mlp.hook_post') return { projection: null, scales: [], finalNorm };
  const L = m[1]!;
  if (c.family === 'gpt2') return { projection: { name: `h.${L}.mlp.c_proj.weight`, width: c.dMlp, storedInOut: true }, scales: [], finalNorm };
  const down = { name: `model.layers.${L}.mlp.down_proj.weight`, width: c.dMlp, storedInOut: false };
  if (c.family === 'llama') return { projection: down, scales: [], finalNorm };
  return { projection: down, scales: [{ name: `model.layers.${L}.post_feedforward_layernorm.weight`, gemmaOffset: true }], finalNorm };
}

function unembedName(c: ModelConfig, tied: boolean): string {
  if (!tied) return 'lm_head.weight';
  return c.family === 'gpt2' ? 'wte.weight' : 'model.embed_tokens.weight';
}
