// llama2.c checkpoints (Karpathy's run.c "legacy" format, version 0): a header of 7 int32 —
// dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative: a separate classifier
// follows), seq_len — then float32 weights in run.c's order: token embedding, rms_att, wq, wk,
// wv, wo, rms_ffn, w1, w2, w3, rms_final, the two RoPE tables (skipped), [wcls].
//
// The header is untrusted: every number is bounded before anything is sized by it, and the file
// must be exactly as long as the header says, so a truncated or padded file is refused by name.
// The weights come out named and laid out as a Hugging Face Llama checkpoint: llama2.c's RoPE
// rotates adjacent pairs (x[2i], x[2i+1]) of each head while HF's rotates halves (x[i],
// x[i+d/2]), so wq and wk rows are permuted per head, as HF's convert_llama_weights_to_hf does.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';
import { CONFIG_LIMITS } from '../model/config';
import type { TensorToWrite } from './safetensors';

export const LLAMA2C_HEADER_BYTES = 28;
/** export.py's version 1/2 files start with this uint32 ("ak42"); only the legacy layout is read. */
const VERSIONED_MAGIC = 0x616b3432;

export interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  /** A positive vocab_size in the file: the classifier is the token embedding. */
  sharedClassifier: boolean;
}

export interface Llama2cCheckpoint {
  header: Llama2cHeader;
  /** HF Llama names and shapes ([out, in] matrices), float32, in the file's order. */
  tensors: TensorToWrite[];
}

function badFile(path: string, rule: string, field?: string): FeaturescopeError {
  return new FeaturescopeError('bad_file', `${basename(path)}: ${rule}`, field);
}

/** Reads and checks the header of a llama2.c checkpoint from its first 28 bytes. */
export function parseLlama2cHeader(path: string, bytes: Uint8Array, fileBytes: number): Llama2cHeader {
  if (fileBytes < LLAMA2C_HEADER_BYTES) {
    throw badFile(path, `is ${fileBytes} bytes, shorter than the ${LLAMA2C_HEADER_BYTES}-byte llama2.c header (7 int32: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, LLAMA2C_HEADER_BYTES);
  if (view.getUint32(0, true) === VERSIONED_MAGIC) {
    throw new FeaturescopeError('unsupported', `${basename(path)}: starts with the "ak42" magic of llama2.c's export.py version 1/2 files; only the legacy (version 0) format that run.c reads is supported: re-export with export.py --version 0`, 'magic');
  }
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = [0, 1, 2, 3, 4, 5, 6].map((i) => view.getInt32(i * 4, true)) as [number, number, number, number, number, number, number];
  const field = (name: string, value: number, min: number, max: number): void => {
    if (value < min || value > max) throw badFile(path, `header field ${name} is ${value}; it must be from ${min} to ${max.toLocaleString('en-US')}`, name);
  };
  field('dim', dim, 1, CONFIG_LIMITS.width);
  field('hidden_dim', hiddenDim, 1, CONFIG_LIMITS.width);
  field('n_layers', nLayers, 1, CONFIG_LIMITS.layers);
  field('n_heads', nHeads, 1, CONFIG_LIMITS.heads);
  field('n_kv_heads', nKvHeads, 1, nHeads);
  // 3 specials and the 256 byte-fallback tokens come first in every llama2.c vocabulary.
  field('vocab_size', Math.abs(vocab), 259, CONFIG_LIMITS.vocab);
  field('seq_len', seqLen, 1, CONFIG_LIMITS.context);
  if (dim % nHeads !== 0) throw badFile(path, `header field dim (${dim}) must be a multiple of n_heads (${nHeads})`, 'dim');
  if ((dim / nHeads) % 2 !== 0) throw badFile(path, `header fields dim / n_heads (${dim} / ${nHeads}) must be even: RoPE rotates pairs of a head's dimensions`, 'n_heads');
  if (nHeads % nKvHeads !== 0) throw badFile(path, `header field n_heads (${nHeads}) must be a multiple of n_kv_heads (${nKvHeads})`, 'n_kv_heads');
  return { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocab), seqLen, sharedClassifier: vocab > 0 };
}

interface Section {
  /** HF name, or null for the RoPE tables run.c recomputes. */
  name: string | null;
  shape: number[];
  /** One tensor per layer (stored one after another), not one for the model. */
  perLayer?: boolean;
  /** A q/k projection whose rows are permuted for HF's RoPE: its head count. */
  ropeHeads?: number;
}

/** run.c's layout: each weight kind for all layers at once ({layer} stands for the layer). */
function layout(h: Llama2cHeader): Section[] {
  const head = h.dim / h.nHeads;
  const kv = h.nKvHeads * head;
  const p = 'model.layers.{layer}.';
  return [
    { name: 'model.embed_tokens.weight', shape: [h.vocabSize, h.dim] },
    { name: `${p}input_layernorm.weight`, shape: [h.dim], perLayer: true },
    { name: `${p}self_attn.q_proj.weight`, shape: [h.dim, h.dim], perLayer: true, ropeHeads: h.nHeads },
    { name: `${p}self_attn.k_proj.weight`, shape: [kv, h.dim], perLayer: true, ropeHeads: h.nKvHeads },
    { name: `${p}self_attn.v_proj.weight`, shape: [kv, h.dim], perLayer: true },
    { name: `${p}self_attn.o_proj.weight`, shape: [h.dim, h.dim], perLayer: true },
    { name: `${p}post_attention_layernorm.weight`, shape: [h.dim], perLayer: true },
    { name: `${p}mlp.gate_proj.weight`, shape: [h.hiddenDim, h.dim], perLayer: true },
    { name: `${p}mlp.down_proj.weight`, shape: [h.dim, h.hiddenDim], perLayer: true },
    { name: `${p}mlp.up_proj.weight`, shape: [h.hiddenDim, h.dim], perLayer: true },
    { name: 'model.norm.weight', shape: [h.dim] },
    { name: null, shape: [h.seqLen, head / 2] },
    { name: null, shape: [h.seqLen, head / 2] },
    ...(h.sharedClassifier ? [] : [{ name: 'lm_head.weight', shape: [h.vocabSize, h.dim] }]),
  ];
}

const elements = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The file size the header implies, in bytes. */
export function expectedLlama2cBytes(h: Llama2cHeader): number {
  const floats = layout(h).reduce((n, s) => n + elements(s.shape) * (s.perLayer ? h.nLayers : 1), 0);
  return LLAMA2C_HEADER_BYTES + floats * 4;
}

/**
 * HF's permute for one [heads·head_dim, in] matrix: row h·d + 2i + t (llama2.c's pair order) goes
 * to row h·d + t·d/2 + i (HF's halves).
 */
export function permuteForHfRope(w: Float32Array, heads: number, rows: number, cols: number): Float32Array {
  const head = rows / heads;
  const half = head / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let t = 0; t < 2; t++) {
        const from = (h * head + 2 * i + t) * cols;
        const to = (h * head + t * half + i) * cols;
        out.set(w.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

/** Reads a whole llama2.c checkpoint, checked, as HF Llama tensors. */
export function readLlama2cCheckpoint(path: string): Llama2cCheckpoint {
  const fd = openSync(path, 'r');
  try {
    const fileBytes = fstatSync(fd).size;
    const head = new Uint8Array(LLAMA2C_HEADER_BYTES);
    readSync(fd, head, 0, Math.min(LLAMA2C_HEADER_BYTES, fileBytes), 0);
    const header = parseLlama2cHeader(path, head, fileBytes);
    const expected = expectedLlama2cBytes(header);
    const described = `dim ${header.dim}, hidden_dim ${header.hiddenDim}, n_layers ${header.nLayers}, n_heads ${header.nHeads}, n_kv_heads ${header.nKvHeads}, vocab_size ${header.sharedClassifier ? '' : '-'}${header.vocabSize}, seq_len ${header.seqLen}`;
    if (fileBytes < expected) throw badFile(path, `is ${fileBytes} bytes but its header (${described}) needs ${expected}: the file is truncated (${expected - fileBytes} bytes missing)`);
    if (fileBytes > expected) throw badFile(path, `is ${fileBytes} bytes but its header (${described}) needs ${expected}: ${fileBytes - expected} unexpected trailing bytes`);

    let offset = LLAMA2C_HEADER_BYTES;
    const read = (count: number): Float32Array => {
      const data = new Float32Array(count);
      readSync(fd, new Uint8Array(data.buffer), 0, count * 4, offset);
      offset += count * 4;
      return data;
    };
    // run.c stores each kind for all layers in a row; HF's order is layer by layer.
    const whole: TensorToWrite[] = [];
    const layers: TensorToWrite[][] = Array.from({ length: header.nLayers }, () => []);
    for (const section of layout(header)) {
      const [rows = 1, cols = 1] = section.shape;
      for (let layer = 0; layer < (section.perLayer ? header.nLayers : 1); layer++) {
        let data = read(elements(section.shape));
        if (section.name === null) continue;
        if (section.ropeHeads !== undefined) data = permuteForHfRope(data, section.ropeHeads, rows, cols);
        const tensor: TensorToWrite = { name: section.name.replace('{layer}', String(layer)), dtype: 'F32', shape: section.shape, data };
        (section.perLayer ? layers[layer]! : whole).push(tensor);
      }
    }
    const [embedding, ...rest] = whole;
    const tensors = [embedding!, ...layers.flat(), ...rest];
    return { header, tensors };
  } finally {
    closeSync(fd);
  }
}
