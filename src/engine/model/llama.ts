// Llama-family forward (HF modeling_llama.py; Mistral and Qwen2 differ only in config):
// RMSNorm, rotary embeddings (rotate-half), grouped-query attention, SwiGLU MLP.
// nn.Linear weights are stored [out, in]; the forward reads them transposed (step.weightT).

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config';
import { embedTokens, type ForwardStep, maskFor, unembedRows } from './forward';
import { activate, applyRope, attend, linear, type RopeTables, rmsNorm, splitHeads } from './layers';

export function llamaWeightShapes(c: ModelConfig): [string, number[]][] {
  const d = c.dModel;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const shapes: [string, number[]][] = [
    ['model.embed_tokens.weight', [c.vocabSize, d]],
    ['model.norm.weight', [d]],
  ];
  for (let L = 0; L < c.nLayers; L++) {
    const p = `model.layers.${L}.`;
    shapes.push(
      [`${p}input_layernorm.weight`, [d]],
      [`${p}self_attn.q_proj.weight`, [qDim, d]],
      [`${p}self_attn.k_proj.weight`, [kvDim, d]],
      [`${p}self_attn.v_proj.weight`, [kvDim, d]],
      [`${p}self_attn.o_proj.weight`, [d, qDim]],
      [`${p}post_attention_layernorm.weight`, [d]],
      [`${p}mlp.gate_proj.weight`, [c.dMlp, d]],
      [`${p}mlp.up_proj.weight`, [c.dMlp, d]],
      [`${p}mlp.down_proj.weight`, [d, c.dMlp]],
    );
    if (c.qkvBias) shapes.push([`${p}self_attn.q_proj.bias`, [qDim]], [`${p}self_attn.k_proj.bias`, [kvDim]], [`${p}self_attn.v_proj.bias`, [kvDim]]);
    if (c.outBias) shapes.push([`${p}self_attn.o_proj.bias`, [d]]);
    if (c.mlpBias) shapes.push([`${p}mlp.gate_proj.bias`, [c.dMlp]], [`${p}mlp.up_proj.bias`, [c.dMlp]], [`${p}mlp.down_proj.bias`, [d]]);
  }
  if (!c.tieWordEmbeddings) shapes.push(['lm_head.weight', [c.vocabSize, d]]);
  return shapes;
}

export function llamaForward(step: ForwardStep, rope: RopeTables): tf.Tensor3D {
  const { config: c, weight: w, hook } = step;
  const bias = (on: boolean, name: string): tf.Tensor | null => (on ? w(name) : null);

  let x = hook('hook_embed', embedTokens(step, 'model.embed_tokens.weight', c.tieWordEmbeddings)); // [batch, pos, d_model]

  for (let L = 0; L < c.nLayers; L++) {
    const p = `model.layers.${L}.`;
    x = hook(`blocks.${L}.hook_resid_pre`, x);
    const h = rmsNorm(x, w(`${p}input_layernorm.weight`), c.normEps, false);
    const proj = (name: string, heads: number): tf.Tensor4D =>
      splitHeads(linear(h, step.weightT(`${p}self_attn.${name}.weight`), bias(c.qkvBias, `${p}self_attn.${name}.bias`)), heads, c.headDim);
    const q = applyRope(proj('q_proj', c.nHeads), rope); // [batch, head_index, pos, d_head]
    let k = applyRope(proj('k_proj', c.nKvHeads), rope); // [batch, kv_head, pos, d_head]
    let v = proj('v_proj', c.nKvHeads);
    if (step.cache !== null) ({ k, v } = step.cache.extend(L, k, v));
    const z = attend(q, k, v, maskFor(step, c.layerWindows[L] ?? null), c); // [batch, pos, head_index*d_head]
    const attnOut = hook(`blocks.${L}.hook_attn_out`, linear(z, step.weightT(`${p}self_attn.o_proj.weight`), bias(c.outBias, `${p}self_attn.o_proj.bias`)));
    x = hook(`blocks.${L}.hook_resid_mid`, x.add(attnOut) as tf.Tensor3D);

    const h2 = rmsNorm(x, w(`${p}post_attention_layernorm.weight`), c.normEps, false);
    const gate = linear(h2, step.weightT(`${p}mlp.gate_proj.weight`), bias(c.mlpBias, `${p}mlp.gate_proj.bias`)); // [batch, pos, d_mlp]
    const up = linear(h2, step.weightT(`${p}mlp.up_proj.weight`), bias(c.mlpBias, `${p}mlp.up_proj.bias`)); // [batch, pos, d_mlp]
    const post = hook(`blocks.${L}.mlp.hook_post`, activate(gate, c.activation).mul(up) as tf.Tensor3D);
    const mlpOut = hook(`blocks.${L}.hook_mlp_out`, linear(post, step.weightT(`${p}mlp.down_proj.weight`), bias(c.mlpBias, `${p}mlp.down_proj.bias`)));
    x = hook(`blocks.${L}.hook_resid_post`, x.add(mlpOut) as tf.Tensor3D);
  }

  const normalized = hook('ln_final.hook_normalized', rmsNorm(x, w('model.norm.weight'), c.normEps, false));
  const head = step.weightT(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'); // [d_model, d_vocab]
  return linear(unembedRows(normalized, step.lastOnly), head, null); // [batch, pos, d_vocab]
}
