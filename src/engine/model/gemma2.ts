// Gemma-2 (HF modeling_gemma2.py): the Llama layout with RMSNorm as (1 + w) and a norm on each
// sublayer's output (post_attention_layernorm, post_feedforward_layernorm; the MLP reads
// pre_feedforward_layernorm). The rest is config: embeddings × √d_model, local (sliding window)
// attention on even layers and global on odd ones, attention-logit and final-logit soft-caps,
// query_pre_attn_scalar, GeGLU (tanh).

import type { Architecture } from './architecture';
import { LLAMA } from './llama';

export const GEMMA2: Architecture = {
  ...LLAMA,
  norm: 'rms_norm_plus_one',
  block: (L) => {
    const p = `model.layers.${L}.`;
    return {
      ...LLAMA.block(L),
      attnOutNorm: `${p}post_attention_layernorm`,
      ln2: `${p}pre_feedforward_layernorm`,
      mlpOutNorm: `${p}post_feedforward_layernorm`,
    };
  },
};
