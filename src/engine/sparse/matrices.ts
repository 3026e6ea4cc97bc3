// Which weights of a GPT-2 the sparsity projection keeps at the nonzero fraction, and on which side
// each matrix's floor sits. GPT-2's Conv1D weights are stored [in, out]; the floor protects the
// neuron/channel side, never the residual stream's: q, k and v channels (columns of the fused
// c_attn, each of q/k/v a matrix of its own), the attention output's input channels (rows of
// attn.c_proj), MLP neurons (columns of c_fc, rows of mlp.c_proj), tokens and positions (rows of
// wte, wpe). Biases and LayerNorm gains stay dense.
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../model/config';
import { projectTopK, type FloorAxis } from './topk-projection';

export interface SparsifiedMatrix {
  /** The parameter (HF GPT2Model name) the matrix lives in. */
  param: string;
  /** A label for messages: the parameter, or e.g. h.0.attn.c_attn.weight[q]. */
  label: string;
  rows: number;
  /** Columns of the parameter this matrix spans: [colStart, colStart + cols). */
  colStart: number;
  cols: number;
  floorAxis: FloorAxis;
}

export function sparsifiedMatrices(c: ModelConfig, sparsifyEmbeddings: boolean): SparsifiedMatrix[] {
  const d = c.dModel;
  const whole = (param: string, rows: number, cols: number, floorAxis: FloorAxis): SparsifiedMatrix => ({ param, label: param, rows, colStart: 0, cols, floorAxis });
  const out: SparsifiedMatrix[] = [];
  if (sparsifyEmbeddings) out.push(whole('wte.weight', c.vocabSize, d, 'rows'), whole('wpe.weight', c.maxPositions ?? 0, d, 'rows'));
  for (let L = 0; L < c.nLayers; L++) {
    const qkv = `h.${L}.attn.c_attn.weight`;
    ['q', 'k', 'v'].forEach((part, i) => out.push({ param: qkv, label: `${qkv}[${part}]`, rows: d, colStart: i * d, cols: d, floorAxis: 'columns' }));
    out.push(whole(`h.${L}.attn.c_proj.weight`, d, d, 'rows'));
    out.push(whole(`h.${L}.mlp.c_fc.weight`, d, c.dMlp, 'columns'));
    out.push(whole(`h.${L}.mlp.c_proj.weight`, c.dMlp, d, 'rows'));
  }
  return out;
}

export interface ProjectionCount {
  kept: number;
  total: number;
}

/**
 * Projects every sparsified matrix to `fraction` (at least `floor` per neuron/channel), in place on
 * the variables. Returns the nonzero entries kept and the entries of those matrices in all.
 */
export function projectWeights(params: Map<string, tf.Variable>, matrices: readonly SparsifiedMatrix[], fraction: number, floor: number): ProjectionCount {
  const byParam = new Map<string, SparsifiedMatrix[]>();
  for (const m of matrices) byParam.set(m.param, [...(byParam.get(m.param) ?? []), m]);
  let kept = 0;
  let total = 0;
  for (const [name, parts] of byParam) {
    const p = params.get(name);
    if (p === undefined) throw new Error(`no parameter ${name} to sparsify`);
    const width = p.shape[1]!;
    const data = Float32Array.from(p.dataSync() as Float32Array);
    for (const m of parts) {
      const block = new Float32Array(m.rows * m.cols);
      for (let r = 0; r < m.rows; r++) block.set(data.subarray(r * width + m.colStart, r * width + m.colStart + m.cols), r * m.cols);
      kept += projectTopK(block, { rows: m.rows, cols: m.cols, fraction, floor, floorAxis: m.floorAxis });
      total += block.length;
      for (let r = 0; r < m.rows; r++) data.set(block.subarray(r * m.cols, (r + 1) * m.cols), r * width + m.colStart);
    }
    const projected = tf.tensor(data, p.shape, 'float32');
    p.assign(projected);
    projected.dispose();
  }
  return { kept, total };
}

/** Nonzero entries of the sparsified matrices as they are now (a resumed run's starting figure). */
export function countNonzero(params: Map<string, tf.Variable>, matrices: readonly SparsifiedMatrix[]): ProjectionCount {
  let kept = 0;
  let total = 0;
  for (const m of matrices) {
    const p = params.get(m.param)!;
    const width = p.shape[1]!;
    const data = p.dataSync() as Float32Array;
    for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) if (data[r * width + m.colStart + c] !== 0) kept++;
    total += m.rows * m.cols;
  }
  return { kept, total };
}
