// Llama family (HF modeling_llama.py; Mistral and Qwen2 differ only in config): RMSNorm, rotary
// embeddings (rotate-half), grouped-query attention, SwiGLU MLP. nn.Linear weights are stored
// [out, in]. Note the names: Llama's post_attention_layernorm is the norm *before* the MLP.

import type { Architecture } from './architecture';

export const LLAMA: Architecture = {
  linearLayout: 'out_in',
  norm: 'rms_norm',
  embed: 'model.embed_tokens',
  posEmbed: null,
  finalNorm: 'model.norm',
  lmHead: 'lm_head',
  block: (L) => {
    const p = `model.layers.${L}.`;
    return {
      ln1: `${p}input_layernorm`,
      qkv: { q: `${p}self_attn.q_proj`, k: `${p}self_attn.k_proj`, v: `${p}self_attn.v_proj` },
      o: `${p}self_attn.o_proj`,
      attnOutNorm: null,
      ln2: `${p}post_attention_layernorm`,
      mlpGate: `${p}mlp.gate_proj`,
      mlpIn: `${p}mlp.up_proj`,
      mlpOut: `${p}mlp.down_proj`,
      mlpOutNorm: null,
    };
  },
};
