// GPT-2 forward (HF modeling_gpt2.py), nanoGPT-style: weight names are the checkpoint keys.
// attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj are Conv1D: stored [in, out], x @ W + b.

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config';
import { embedTokens, type ForwardStep, maskFor, unembedRows } from './forward';
import { activate, attend, layerNorm, linear, splitHeads } from './layers';

/** Checkpoint tensors and their shapes, without the optional "transformer." prefix. */
export function gpt2WeightShapes(c: ModelConfig): [string, number[]][] {
  const d = c.dModel;
  const shapes: [string, number[]][] = [
    ['wte.weight', [c.vocabSize, d]],
    ['wpe.weight', [c.maxPositions ?? 0, d]],
    ['ln_f.weight', [d]],
    ['ln_f.bias', [d]],
  ];
  for (let L = 0; L < c.nLayers; L++) {
    const p = `h.${L}.`;
    shapes.push(
      [`${p}ln_1.weight`, [d]],
      [`${p}ln_1.bias`, [d]],
      [`${p}attn.c_attn.weight`, [d, 3 * d]],
      [`${p}attn.c_attn.bias`, [3 * d]],
      [`${p}attn.c_proj.weight`, [d, d]],
      [`${p}attn.c_proj.bias`, [d]],
      [`${p}ln_2.weight`, [d]],
      [`${p}ln_2.bias`, [d]],
      [`${p}mlp.c_fc.weight`, [d, c.dMlp]],
      [`${p}mlp.c_fc.bias`, [c.dMlp]],
      [`${p}mlp.c_proj.weight`, [c.dMlp, d]],
      [`${p}mlp.c_proj.bias`, [d]],
    );
  }
  if (!c.tieWordEmbeddings) shapes.push(['lm_head.weight', [c.vocabSize, d]]);
  return shapes;
}

export function gpt2Forward(step: ForwardStep): tf.Tensor3D {
  const { config: c, weight: w, hook } = step;
  const [batch, pos] = step.ids.shape;
  const positions = tf.tensor2d(step.positions.flat(), [batch, pos], 'int32'); // < n_positions, checked by the caller

  const embed = hook('hook_embed', embedTokens(step, 'wte.weight', c.tieWordEmbeddings)); // [batch, pos, d_model]
  const posEmbed = hook('hook_pos_embed', tf.gather(w('wpe.weight'), positions) as tf.Tensor3D); // [batch, pos, d_model]
  let x = embed.add(posEmbed) as tf.Tensor3D; // [batch, pos, d_model]

  for (let L = 0; L < c.nLayers; L++) {
    const p = `h.${L}.`;
    x = hook(`blocks.${L}.hook_resid_pre`, x);
    const h = layerNorm(x, w(`${p}ln_1.weight`), w(`${p}ln_1.bias`), c.normEps);
    const qkv = linear(h, w(`${p}attn.c_attn.weight`), w(`${p}attn.c_attn.bias`)); // [batch, pos, 3*d_model]
    const [qf, kf, vf] = tf.split(qkv, 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const q = splitHeads(qf, c.nHeads, c.headDim); // [batch, head_index, pos, d_head]
    let k = splitHeads(kf, c.nHeads, c.headDim);
    let v = splitHeads(vf, c.nHeads, c.headDim);
    if (step.cache !== null) ({ k, v } = step.cache.extend(L, k, v));
    const z = attend(q, k, v, maskFor(step, null), c); // [batch, pos, d_model]
    const attnOut = hook(`blocks.${L}.hook_attn_out`, linear(z, w(`${p}attn.c_proj.weight`), w(`${p}attn.c_proj.bias`)));
    x = hook(`blocks.${L}.hook_resid_mid`, x.add(attnOut) as tf.Tensor3D);

    const h2 = layerNorm(x, w(`${p}ln_2.weight`), w(`${p}ln_2.bias`), c.normEps);
    const pre = linear(h2, w(`${p}mlp.c_fc.weight`), w(`${p}mlp.c_fc.bias`)); // [batch, pos, d_mlp]
    const post = hook(`blocks.${L}.mlp.hook_post`, activate(pre, c.activation));
    const mlpOut = hook(`blocks.${L}.hook_mlp_out`, linear(post, w(`${p}mlp.c_proj.weight`), w(`${p}mlp.c_proj.bias`)));
    x = hook(`blocks.${L}.hook_resid_post`, x.add(mlpOut) as tf.Tensor3D);
  }

  const normalized = hook('ln_final.hook_normalized', layerNorm(x, w('ln_f.weight'), w('ln_f.bias'), c.normEps));
  const head = step.weightT(c.tieWordEmbeddings ? 'wte.weight' : 'lm_head.weight'); // [d_model, d_vocab]
  return linear(unembedRows(normalized, step.lastOnly), head, null); // [batch, pos, d_vocab]
}
