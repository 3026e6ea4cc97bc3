// Micro-benchmark of the forward's pieces on the engine backend, to see where a forward's time
// goes and to choose between ways of writing the same math (issue #15). Each case runs its
// variants interleaved (A B A B …) so a busy shared machine slows them alike; the median per
// variant is printed with its GFLOP/s. Never gates anything.
//
//   npx tsx scripts/bench/forward-kernels.ts [--shape gpt2-small|llama-3.2-1b|gemma-2-2b] [--batch 8] [--seq 128] [--runs 5]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend/index';
import { activate, attend, attendReference, geluTanhReference } from '../../src/engine/model/layers';

const { values: args } = parseArgs({
  options: {
    shape: { type: 'string', default: 'gpt2-small' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '128' },
    runs: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
  },
});
const SHAPES: Record<string, { d: number; heads: number; kv: number; headDim: number; mlp: number; gated: boolean }> = {
  'gpt2-small': { d: 768, heads: 12, kv: 12, headDim: 64, mlp: 3072, gated: false },
  'llama-3.2-1b': { d: 2048, heads: 32, kv: 8, headDim: 64, mlp: 8192, gated: true },
  'gemma-2-2b': { d: 2304, heads: 8, kv: 4, headDim: 256, mlp: 9216, gated: true },
};
const chosen = SHAPES[args.shape!];
if (chosen === undefined) throw new Error(`--shape: one of ${Object.keys(SHAPES).join(', ')}`);
const S = chosen;
const B = Number(args.batch), T = Number(args.seq), RUNS = Number(args.runs);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs each variant RUNS times interleaved; prints ms and GFLOP/s. */
function compare(title: string, flops: number, variants: Record<string, () => tf.Tensor>): void {
  const times = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
  for (let r = -1; r < RUNS; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const t0 = performance.now();
      const out = tf.tidy(fn);
      out.dataSync(); // synchronous backends have finished; this makes any backend finish
      const ms = performance.now() - t0;
      out.dispose();
      if (r >= 0) times.get(name)!.push(ms);
    }
  }
  console.log(title);
  for (const [name, ts] of times) {
    const ms = median(ts);
    console.log(`  ${name.padEnd(28)} ${ms.toFixed(1).padStart(8)} ms  ${flops > 0 ? `${(flops / ms / 1e6).toFixed(2)} GFLOP/s` : ''}`);
  }
}

async function main(): Promise<void> {
  const backend = await initBackend({ threads: Number(args.threads) });
  console.log(`${backend.reason}\nshape ${args.shape} batch ${B} seq ${T}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const rnd = (shape: number[], std = 1): tf.Tensor => tf.randomNormal(shape, 0, std, 'float32', 1);
  const q = rnd([B, S.heads, T, S.headDim]) as tf.Tensor4D;
  const k = rnd([B, S.kv, T, S.headDim]) as tf.Tensor4D;
  const v = rnd([B, S.kv, T, S.headDim]) as tf.Tensor4D;
  const causal = tf.tidy(() => tf.linalg.bandPart(tf.ones([T, T]), -1, 0).sub(1).mul(1e9).reshape([1, 1, T, T]).tile([B, 1, 1, 1])) as tf.Tensor4D;
  const cfg = { attnScale: 1 / Math.sqrt(S.headDim), attnSoftcap: null };
  const attnFlops = 2 * 2 * B * S.heads * T * T * S.headDim;
  compare('attention (scores, softmax, z)', attnFlops, {
    'batched matMuls (reference)': () => attendReference(q, k, v, causal, cfg),
    'engine attend': () => attend(q, k, v, causal, cfg),
  });

  const x = rnd([B * T, S.d]) as tf.Tensor2D;
  const wIn = rnd([S.d, S.mlp], 0.02) as tf.Tensor2D;
  const wInT = tf.tidy(() => wIn.transpose()) as tf.Tensor2D;
  const bias = rnd([S.mlp], 0.02);
  compare('projection x @ W_in', 2 * B * T * S.d * S.mlp, {
    'matMul [in,out]': () => tf.matMul(x, wIn),
    'matMul [out,in] transposeB': () => tf.matMul(x, wInT, false, true),
    'matMul + bias add': () => tf.matMul(x, wIn).add(bias),
    'fused matMul with bias': () => tf.fused.matMul({ a: x, b: wIn, bias }),
  });

  const h = rnd([B, T, S.mlp]) as tf.Tensor3D;
  compare('gelu_tanh on [batch, pos, d_mlp]', 0, {
    'pow/tanh form (reference)': () => geluTanhReference(h),
    'engine (x·sigmoid(2u))': () => activate(h, 'gelu_tanh'),
    'silu (for scale)': () => activate(h, 'silu'),
  });
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
