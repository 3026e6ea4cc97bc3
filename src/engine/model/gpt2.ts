// GPT-2 (HF modeling_gpt2.py), nanoGPT-style: module names are the checkpoint keys (without the
// optional "transformer." prefix). LayerNorm, a learned position table, one fused q|k|v
// projection, a plain MLP. attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj are Conv1D: stored
// [in, out], applied as x @ W + b.

import type * as tf from '@tensorflow/tfjs';
import { type Architecture, weightShapes } from './architecture';
import type { ModelConfig } from './config';
import { type ForwardStep, transformerForward } from './forward';

export const GPT2: Architecture = {
  linearLayout: 'in_out',
  norm: 'layer_norm',
  embed: 'wte',
  posEmbed: 'wpe',
  finalNorm: 'ln_f',
  lmHead: 'lm_head',
  block: (L) => ({
    ln1: `h.${L}.ln_1`,
    qkv: `h.${L}.attn.c_attn`,
    o: `h.${L}.attn.c_proj`,
    attnOutNorm: null,
    ln2: `h.${L}.ln_2`,
    mlpGate: null,
    mlpIn: `h.${L}.mlp.c_fc`,
    mlpOut: `h.${L}.mlp.c_proj`,
    mlpOutNorm: null,
  }),
};

/** Checkpoint tensors and their shapes (the default model's trainer initializes these). */
export function gpt2WeightShapes(c: ModelConfig): [string, number[]][] {
  return weightShapes(GPT2, c);
}

/** The GPT-2 forward on its own (the default model's trainer runs it inside a gradient tape). */
export function gpt2Forward(step: ForwardStep): tf.Tensor3D {
  return transformerForward(GPT2, step, null);
}
