// The components every family is built from (TransformerLens components/, nanoGPT's Block):
// normalization, attention (fused or separate q/k/v, grouped-query, rotary or not), the MLP
// (plain or gated) and the residual block with its hook points. The family's Architecture says
// which checkpoint modules they read; the config says the numbers.

import * as tf from '@tensorflow/tfjs';
import { absTopK, absTopKCount } from '../sparse/abs-topk';
import type { Architecture, BlockModules } from './architecture';
import type { ForwardStep } from './forward';
import { activate, applyRope, attend, layerNorm, linear, type RopeTables, rmsNorm, splitHeads } from './layers';

export function normalize(step: ForwardStep, arch: Architecture, module: string, x: tf.Tensor3D): tf.Tensor3D {
  const { weight: w, config: c } = step;
  switch (arch.norm) {
    case 'layer_norm':
      return layerNorm(x, w(`${module}.weight`), w(`${module}.bias`), c.normEps);
    case 'rms_norm':
      return rmsNorm(x, w(`${module}.weight`), c.normEps, false);
    case 'rms_norm_plus_one':
      return rmsNorm(x, w(`${module}.weight`), c.normEps, true);
  }
}

/** x @ W (+ b) for a checkpoint module, whichever way the family stores W. */
export function project(step: ForwardStep, arch: Architecture, module: string, hasBias: boolean, x: tf.Tensor3D): tf.Tensor3D {
  const name = `${module}.weight`;
  const bias = hasBias ? step.weight(`${module}.bias`) : null;
  if (arch.linearLayout === 'out_in' && step.storedLayout(x.shape[0] * x.shape[1])) return linearOutIn(x, step.weight(name), bias);
  const w = arch.linearLayout === 'in_out' ? step.weight(name) : step.weightT(name); // [d_in, d_out]
  return linear(x, w, bias);
}

/** x @ Wᵀ (+ b) with W as stored, [out, in]: see ForwardStep.storedLayout. */
function linearOutIn(x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor | null): tf.Tensor3D {
  const [batch, pos, dIn] = x.shape;
  let y = tf.matMul(x.reshape([batch * pos, dIn]), w as tf.Tensor2D, false, true); // [batch*pos, d_out]
  if (b !== null) y = y.add(b);
  return y.reshape([batch, pos, -1]);
}

export function maskFor(step: ForwardStep, window: number | null): tf.Tensor4D {
  const m = step.masks.get(window);
  if (m === undefined) throw new Error(`internal: no attention mask built for window ${String(window)}`);
  return m;
}

/** Self-attention of layer L on the normalized stream h; returns the o-projection [batch, pos, d_model]. */
export function attention(step: ForwardStep, arch: Architecture, b: BlockModules, L: number, h: tf.Tensor3D, rope: RopeTables | null): tf.Tensor3D {
  const c = step.config;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  let qf: tf.Tensor3D; // [batch, pos, head_index*d_head]
  let kf: tf.Tensor3D; // [batch, pos, kv_head*d_head]
  let vf: tf.Tensor3D; // [batch, pos, kv_head*d_head]
  if (typeof b.qkv === 'string') {
    [qf, kf, vf] = tf.split(project(step, arch, b.qkv, c.qkvBias, h), [qDim, kvDim, kvDim], 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  } else {
    qf = project(step, arch, b.qkv.q, c.qkvBias, h);
    kf = project(step, arch, b.qkv.k, c.qkvBias, h);
    vf = project(step, arch, b.qkv.v, c.qkvBias, h);
  }
  let q = splitHeads(qf, c.nHeads, c.headDim); // [batch, head_index, pos, d_head]
  let k = splitHeads(kf, c.nKvHeads, c.headDim); // [batch, kv_head, pos, d_head]
  let v = splitHeads(vf, c.nKvHeads, c.headDim); // [batch, kv_head, pos, d_head]
  if (rope !== null) {
    q = applyRope(q, rope);
    k = applyRope(k, rope);
  }
  if (step.cache !== null) ({ k, v } = step.cache.extend(L, k, v)); // [batch, kv_head, k_pos, d_head]
  const z = attend(q, k, v, maskFor(step, c.layerWindows[L] ?? null), c); // [batch, pos, head_index*d_head]
  return project(step, arch, b.o, c.outBias, z); // [batch, pos, d_model]
}

/** The MLP of layer L on the normalized stream h; its neurons pass through blocks.L.mlp.hook_post. */
export function mlp(step: ForwardStep, arch: Architecture, b: BlockModules, L: number, h: tf.Tensor3D): tf.Tensor3D {
  const c = step.config;
  const act =
    b.mlpGate === null
      ? activate(project(step, arch, b.mlpIn, c.mlpBias, h), c.activation) // [batch, pos, d_mlp]
      : (activate(project(step, arch, b.mlpGate, c.mlpBias, h), c.activation).mul(project(step, arch, b.mlpIn, c.mlpBias, h)) as tf.Tensor3D);
  const post = step.hook(`blocks.${L}.mlp.hook_post`, act); // [batch, pos, d_mlp]
  return project(step, arch, b.mlpOut, c.mlpBias, post); // [batch, pos, d_model]
}

/** Pre-norm residual block L: x + attn(ln1(x)), then + mlp(ln2(x)), each output optionally normalized. */
export function transformerBlock(step: ForwardStep, arch: Architecture, L: number, resid: tf.Tensor3D, rope: RopeTables | null): tf.Tensor3D {
  const { hook } = step;
  const b = arch.block(L);
  const outNorm = (module: string | null, y: tf.Tensor3D): tf.Tensor3D => (module === null ? y : normalize(step, arch, module, y));
  // AbsTopK on each sublayer's residual read and write, when config.json declares it (weight-sparse models).
  const topK = step.config.activationTopK;
  const sparse = (y: tf.Tensor3D): tf.Tensor3D => (topK === undefined ? y : absTopK(y, absTopKCount(topK, y.shape[2])));

  let x = hook(`blocks.${L}.hook_resid_pre`, resid); // [batch, pos, d_model]
  const attnOut = hook(`blocks.${L}.hook_attn_out`, sparse(outNorm(b.attnOutNorm, attention(step, arch, b, L, sparse(normalize(step, arch, b.ln1, x)), rope))));
  x = hook(`blocks.${L}.hook_resid_mid`, x.add(attnOut) as tf.Tensor3D);
  const mlpOut = hook(`blocks.${L}.hook_mlp_out`, sparse(outNorm(b.mlpOutNorm, mlp(step, arch, b, L, sparse(normalize(step, arch, b.ln2, x))))));
  return hook(`blocks.${L}.hook_resid_post`, x.add(mlpOut) as tf.Tensor3D);
}
