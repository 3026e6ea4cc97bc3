// Micro-benchmark behind the choice of sparse kernels (src/engine/sae/sparse): times the wasm
// JS kernels against the tfjs-op fallbacks and the dense matmul they replace, at the bench
// shapes (B 4096, d_in 512, d_sae 16384, k 32). Run: npx tsx scripts/bench/sae-kernels.ts
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend/index';
import { setSparseImpl, sparseDecode, sparseRowDots, sparseScatterOuter, type SparseCode } from '../../src/engine/sae/sparse/sparseOps';

const B = Number(process.env.B ?? 4096), d = 512, n = 16384, k = 32;

function time(name: string, f: () => tf.Tensor, reps = 3): void {
  tf.dispose(f());
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const o = f();
    o.dataSync();
    o.dispose();
  }
  console.log(`${name.padEnd(34)} ${((performance.now() - t0) / reps).toFixed(1)} ms`);
}

async function main(): Promise<void> {
await initBackend();
const x = tf.randomNormal([B, d]) as tf.Tensor2D;
const Wenc = tf.randomNormal([d, n]) as tf.Tensor2D;
const Wdec = tf.randomNormal([n, d]) as tf.Tensor2D;
time('dense encoder matmul x@W_enc', () => tf.matMul(x, Wenc), 2);
const pre = tf.matMul(x, Wenc);
time('topk k=32 on [B, d_sae]', () => tf.topk(pre, k).indices, 2);
const top = tf.topk(pre, k);
const code: SparseCode = {
  rows: tf.tidy(() => tf.reshape(tf.tile(tf.expandDims(tf.range(0, B, 1, 'int32'), 1), [1, k]), [-1])) as tf.Tensor1D,
  cols: tf.reshape(top.indices, [-1]) as tf.Tensor1D,
  vals: tf.reshape(tf.relu(top.values), [-1]) as tf.Tensor1D,
  numRows: B,
};
for (const impl of ['kernel', 'fallback'] as const) {
  setSparseImpl(impl);
  time(`${impl}: decode`, () => sparseDecode(code, Wdec), impl === 'kernel' ? 3 : 1);
  time(`${impl}: rowDots`, () => sparseRowDots(code, Wdec, x), impl === 'kernel' ? 3 : 1);
  time(`${impl}: scatterOuter`, () => sparseScatterOuter(code, x, n), impl === 'kernel' ? 3 : 1);
}
}

void main();
