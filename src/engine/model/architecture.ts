// What distinguishes one transformer family from another once config.json is read: where its
// checkpoint keeps each module, how it stores linear weights, which norm it uses, and whether a
// sublayer's output is normalized again. A new family is one of these plus its config reader
// (config.ts); the forward (forward.ts, blocks.ts) and the weight table below are shared.

import type { ModelConfig } from './config';

/** LayerNorm (weight and bias), LlamaRMSNorm (w · x̂), Gemma2RMSNorm ((1 + w) · x̂). */
export type NormKind = 'layer_norm' | 'rms_norm' | 'rms_norm_plus_one';

/**
 * Module paths inside the checkpoint (Hugging Face names; ".weight" / ".bias" are appended).
 * TransformerLens roles: ln1 → attention → ln2 → MLP (W_gate, W_in, W_out).
 */
export interface BlockModules {
  ln1: string;
  /** q, k, v as one fused projection (GPT-2's c_attn: q | k | v along the output) or three. */
  qkv: string | { q: string; k: string; v: string };
  o: string;
  /** Gemma-2 normalizes the attention output before adding it to the residual stream. */
  attnOutNorm: string | null;
  ln2: string;
  /** Gated MLPs (SwiGLU, GeGLU): act(x W_gate) · (x W_in); plain MLPs: act(x W_in). */
  mlpGate: string | null;
  mlpIn: string;
  mlpOut: string;
  /** Gemma-2 normalizes the MLP output before adding it to the residual stream. */
  mlpOutNorm: string | null;
}

export interface Architecture {
  /** GPT-2's Conv1D stores [in, out] and is applied as is; nn.Linear stores [out, in]. */
  linearLayout: 'in_out' | 'out_in';
  norm: NormKind;
  embed: string; // [d_vocab, d_model]
  /** Learned position table [n_positions, d_model] (GPT-2); null where positions are rotary. */
  posEmbed: string | null;
  finalNorm: string;
  /** The unembedding when it is not tied to the embedding, stored [d_vocab, d_model]. */
  lmHead: string;
  block: (layer: number) => BlockModules;
}

/**
 * Every tensor the config implies, with its shape, in checkpoint order per block. Which linear
 * layers carry a bias is the config's (qkvBias, outBias, mlpBias); only LayerNorm has one.
 */
export function weightShapes(arch: Architecture, c: ModelConfig): [string, number[]][] {
  const d = c.dModel;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const shapes: [string, number[]][] = [[`${arch.embed}.weight`, [c.vocabSize, d]]];
  const norm = (m: string): void => {
    shapes.push([`${m}.weight`, [d]]);
    if (arch.norm === 'layer_norm') shapes.push([`${m}.bias`, [d]]);
  };
  const linear = (m: string, dIn: number, dOut: number, bias: boolean): void => {
    shapes.push([`${m}.weight`, arch.linearLayout === 'in_out' ? [dIn, dOut] : [dOut, dIn]]);
    if (bias) shapes.push([`${m}.bias`, [dOut]]);
  };

  if (arch.posEmbed !== null) shapes.push([`${arch.posEmbed}.weight`, [c.maxPositions ?? 0, d]]);
  norm(arch.finalNorm);
  for (let L = 0; L < c.nLayers; L++) {
    const b = arch.block(L);
    norm(b.ln1);
    if (typeof b.qkv === 'string') linear(b.qkv, d, qDim + 2 * kvDim, c.qkvBias);
    else for (const [m, dOut] of [[b.qkv.q, qDim], [b.qkv.k, kvDim], [b.qkv.v, kvDim]] as const) linear(m, d, dOut, c.qkvBias);
    linear(b.o, qDim, d, c.outBias);
    if (b.attnOutNorm !== null) norm(b.attnOutNorm);
    norm(b.ln2);
    if (b.mlpGate !== null) linear(b.mlpGate, d, c.dMlp, c.mlpBias);
    linear(b.mlpIn, d, c.dMlp, c.mlpBias);
    linear(b.mlpOut, c.dMlp, d, c.mlpBias);
    if (b.mlpOutNorm !== null) norm(b.mlpOutNorm);
  }
  if (!c.tieWordEmbeddings) shapes.push([`${arch.lmHead}.weight`, [c.vocabSize, d]]);
  return shapes;
}
