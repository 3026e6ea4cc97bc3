// The building blocks the three forwards share, each written as PyTorch / Hugging Face computes
// it (float32 throughout). Shapes follow TransformerLens naming: batch, pos, d_model, head_index.

import * as tf from '@tensorflow/tfjs';
import type { Activation, ModelConfig, RopeScaling } from './config';

/**
 * y = x @ W (+ b) with W as [in, out]: GPT-2's Conv1D weights as stored, nn.Linear weights
 * through ForwardStep.weightT (transposed once at load).
 */
export function linear(x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor3D {
  const [batch, pos, dIn] = x.shape;
  const x2 = x.reshape([batch * pos, dIn]); // [batch*pos, d_in]
  let y = tf.matMul(x2, w as tf.Tensor2D); // [batch*pos, d_out]
  if (b !== null) y = y.add(b);
  return y.reshape([batch, pos, -1]);
}

/** torch.nn.functional.layer_norm: biased variance, eps inside the square root. */
export function layerNorm(x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor3D {
  const { mean, variance } = tf.moments(x, -1, true); // [batch, pos, 1]
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(w).add(b);
}

/** LlamaRMSNorm: w · x/√(mean x² + eps). Gemma2RMSNorm: (1 + w) · x/√(mean x² + eps). */
export function rmsNorm(x: tf.Tensor3D, w: tf.Tensor, eps: number, gemmaOffset: boolean): tf.Tensor3D {
  const normed = x.mul(tf.rsqrt(x.square().mean(-1, true).add(eps))); // [batch, pos, d_model]
  return normed.mul(gemmaOffset ? w.add(1) : w);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * HF gelu_new, 0.5·x·(1 + tanh(u)) with u = √(2/π)·(x + 0.044715·x³), written as the identical
 * x·sigmoid(2u): wasm's Tanh and Pow run about 10× slower than its Sigmoid and Mul (measured with
 * scripts/bench/forward-kernels.ts), and this form needs six element-wise passes instead of eight.
 */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  const twoU = x.square().mul(2 * SQRT_2_OVER_PI * 0.044715).add(2 * SQRT_2_OVER_PI).mul(x); // 2u
  return x.mul(tf.sigmoid(twoU)) as T;
}

/** gelu_new as HF writes it (pow and tanh): the reference geluTanh is tested against. */
export function geluTanhReference<T extends tf.Tensor>(x: T): T {
  return x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI)).add(1)) as T;
}

export function activate(x: tf.Tensor3D, kind: Activation): tf.Tensor3D {
  switch (kind) {
    case 'gelu_tanh': // HF gelu_new / gelu_pytorch_tanh
      return geluTanh(x);
    case 'gelu': // exact erf form
      return x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1));
    case 'relu':
      return tf.relu(x);
    case 'silu':
      return x.mul(tf.sigmoid(x));
  }
}

/**
 * Gemma-2's soft cap, cap · tanh(x / cap), as the identical 2·cap·sigmoid(2x / cap) − cap: wasm's
 * Tanh is about 10× slower than its Sigmoid, and this runs on every attention score and logit.
 */
export function softcap<T extends tf.Tensor>(x: T, cap: number | null): T {
  return cap === null ? x : (tf.sigmoid(x.mul(2 / cap)).mul(2 * cap).sub(cap) as T);
}

/** The soft cap as HF writes it (tanh): the reference softcap is tested against. */
export function softcapReference<T extends tf.Tensor>(x: T, cap: number | null): T {
  return cap === null ? x : (tf.tanh(x.div(cap)).mul(cap) as T);
}

/**
 * HF rotary inverse frequencies 1/θ^(2i/d), computed in float32 like torch, with the llama3 or
 * linear rescaling of `_compute_llama3_parameters` / `_compute_linear_scaling_rope_parameters`.
 */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling: RopeScaling | null): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.fround(theta ** Math.fround((2 * i) / headDim));
  if (scaling === null) return inv;
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
  const lowFreqWavelen = originalMaxPositions / lowFreqFactor;
  const highFreqWavelen = originalMaxPositions / highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen > lowFreqWavelen) return f / factor;
    if (wavelen < highFreqWavelen) return f;
    const smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

export interface RopeTables {
  cos: tf.Tensor4D; // [batch, 1, pos, head_dim]
  sin: tf.Tensor4D; // [batch, 1, pos, head_dim]
}

/** cos/sin of position·freq, duplicated across both halves (HF's cat((freqs, freqs), -1)). */
export function ropeTables(positions: number[][], headDim: number, inv: Float32Array): RopeTables {
  const batch = positions.length;
  const pos = positions[0]?.length ?? 0;
  const half = headDim / 2;
  const cos = new Float32Array(batch * pos * headDim);
  const sin = new Float32Array(batch * pos * headDim);
  for (let b = 0; b < batch; b++) {
    const row = positions[b] ?? [];
    for (let t = 0; t < pos; t++) {
      const base = (b * pos + t) * headDim;
      const p = row[t] ?? 0;
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(p * (inv[i] ?? 0)); // torch multiplies in float32
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        cos[base + i] = c;
        cos[base + half + i] = c;
        sin[base + i] = s;
        sin[base + half + i] = s;
      }
    }
  }
  return { cos: tf.tensor4d(cos, [batch, 1, pos, headDim]), sin: tf.tensor4d(sin, [batch, 1, pos, headDim]) };
}

/** q·cos + rotate_half(q)·sin, rotate_half(x) = cat(−x₂, x₁) (HF convention, not interleaved). */
export function applyRope(x: tf.Tensor4D, rope: RopeTables): tf.Tensor4D {
  const half = (x.shape[3] ?? 0) / 2;
  const [x1, x2] = tf.split(x, [half, half], 3) as [tf.Tensor4D, tf.Tensor4D]; // [batch, head, pos, d_head/2] each
  const rotated = tf.concat([x2.neg(), x1], 3);
  return x.mul(rope.cos).add(rotated.mul(rope.sin));
}

/** [batch, pos, n·d_head] → [batch, n, pos, d_head] */
export function splitHeads(x: tf.Tensor3D, nHeads: number, headDim: number): tf.Tensor4D {
  const [batch, pos] = x.shape;
  return x.reshape([batch, pos, nHeads, headDim]).transpose([0, 2, 1, 3]);
}

/** Attention inputs: q [batch, head_index, q_pos, d_head]; k, v [batch, kv_head, k_pos, d_head]; additive mask [batch, 1, q_pos, k_pos]. */
export type AttendFn = (
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  mask: tf.Tensor4D,
  config: Pick<ModelConfig, 'attnScale' | 'attnSoftcap'>,
) => tf.Tensor3D;

/**
 * Scaled dot-product attention with grouped-query heads: query head h reads key/value head
 * h / (H / H_kv), as HF's repeat_kv does, without materializing the repeated keys.
 * `mask` is additive: 0 where allowed, a large negative number where hidden.
 *
 * One batched matMul per product over [batch, kv_head, group·q_pos, d_head]. Measured on wasm
 * (scripts/bench/forward-kernels.ts): one 2-D matMul per (row, kv head) instead ran 5× slower at
 * GPT-2's 8×128 and 2.5× slower at 8×512 — XNNPACK packs a fresh right-hand operand on every
 * call, and ~200 small matMuls and slices per layer cost more than the batched loop. Against attendReference (HF's order of operations): q is scaled before the product
 * (q_pos·d_head multiplies instead of q_pos·k_pos) and the soft cap goes through sigmoid.
 */
export const attend: AttendFn = (q, k, v, mask, config) => {
  const [batch, nHeads, qPos, headDim] = q.shape;
  const nKv = k.shape[1];
  const kPos = k.shape[2];
  const group = nHeads / nKv;
  const qGrouped = q.mul(config.attnScale).reshape([batch, nKv, group * qPos, headDim]); // heads of a group stacked on pos
  let scores = tf.matMul(qGrouped, k, false, true).reshape([batch, nHeads, qPos, kPos]); // [batch, head_index, q_pos, k_pos]
  scores = softcap(scores, config.attnSoftcap);
  const probs = tf.softmax(scores.add(mask), -1); // [batch, head_index, q_pos, k_pos]
  const z = tf.matMul(probs.reshape([batch, nKv, group * qPos, kPos]), v); // [batch, kv_head, group*q_pos, d_head]
  return z
    .reshape([batch, nHeads, qPos, headDim])
    .transpose([0, 2, 1, 3])
    .reshape([batch, qPos, nHeads * headDim]); // [batch, q_pos, head_index*d_head]
};

/** attend as batched matMuls over [batch, kv_head, group·q_pos, d_head]: the plain-tfjs reference. */
export const attendReference: AttendFn = (q, k, v, mask, config) => {
  const [batch, nHeads, qPos, headDim] = q.shape;
  const nKv = k.shape[1];
  const kPos = k.shape[2];
  const group = nHeads / nKv;
  const qGrouped = q.reshape([batch, nKv, group * qPos, headDim]); // heads of a group stacked on pos
  let scores = tf.matMul(qGrouped, k, false, true).reshape([batch, nHeads, qPos, kPos]); // [batch, head_index, q_pos, k_pos]
  scores = softcapReference(scores.mul(config.attnScale), config.attnSoftcap);
  const probs = tf.softmax(scores.add(mask), -1); // [batch, head_index, q_pos, k_pos]
  const z = tf.matMul(probs.reshape([batch, nKv, group * qPos, kPos]), v); // [batch, kv_head, group*q_pos, d_head]
  return z
    .reshape([batch, nHeads, qPos, headDim])
    .transpose([0, 2, 1, 3])
    .reshape([batch, qPos, nHeads * headDim]); // [batch, q_pos, head_index*d_head]
};
