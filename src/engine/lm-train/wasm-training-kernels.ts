// Makes the engine's forward trainable and fast on the wasm backend, without touching it:
//  1. GatherV2's gradient: tfjs computes it with UnsortedSegmentSum, a kernel the wasm backend
//     lacks (backprop through the embedding would throw). Replaced by ScatterNd, which sums rows
//     of repeated ids, for the axis-0 gathers an embedding lookup does.
//  2. BatchMatMul with transposeA/transposeB runs 10-20× slower on wasm than an explicit
//     Transpose followed by a plain matMul (measured: [2048,128]·[4096,128]ᵀ 2.1 s vs 0.22 s),
//     and tfjs's matMul gradient uses those flags. The wasm kernel is wrapped to transpose first.
// Call once, after the wasm backend is active and before training.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type WasmBackendLike = { disposeData(dataId: object): void };

function patchGatherGradient(): void {
  tf.registerGradient({
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved as [tf.Tensor, tf.Tensor];
      const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
      const dyTensor = Array.isArray(dy) ? dy[0]! : dy;
      const scatterRows = (table: number[], rows: tf.Tensor, ids: tf.Tensor): tf.Tensor => {
        const rowSize = table.slice(1).reduce((a, b) => a * b, 1);
        return tf.reshape(tf.scatterND(tf.reshape(ids, [-1, 1]), tf.reshape(rows, [-1, rowSize]), [table[0]!, rowSize]), table);
      };
      if (batchDims === 0 && axis === 0) return { x: () => scatterRows(x.shape, dyTensor, indices), indices: () => tf.zerosLike(indices) };
      // A tied embedding kept as its transpose [d_model, d_vocab] is gathered by columns
      // (axis 1, 1-D ids): dy is [d_model, N]; scatter its transpose and transpose back.
      if (batchDims === 0 && axis === 1 && x.rank === 2 && indices.rank === 1) {
        return {
          x: () => tf.transpose(scatterRows([x.shape[1]!, x.shape[0]!], tf.transpose(dyTensor), indices)),
          indices: () => tf.zerosLike(indices),
        };
      }
      throw new Error(`GatherV2 gradient: only axis-0 gathers and column gathers of a matrix are patched (got axis ${axis})`);
    },
  });
}

function patchTransposedMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (original === undefined || transposeKernel === undefined) throw new Error('wasm BatchMatMul/Transpose kernels are not registered');
  const transposeLast2 = (x: tf.TensorInfo, backend: unknown): tf.TensorInfo => {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return transposeKernel.kernelFunc({ inputs: { x }, backend, attrs: { perm } } as unknown as KernelArgs) as tf.TensorInfo;
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args: KernelArgs) => {
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return original.kernelFunc(args);
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const backend = args.backend as WasmBackendLike;
      const aPlain = transposeA ? transposeLast2(a, backend) : a;
      const bPlain = transposeB ? transposeLast2(b, backend) : b;
      const out = original.kernelFunc({
        ...args,
        inputs: { a: aPlain, b: bPlain },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      } as KernelArgs);
      if (transposeA) backend.disposeData(aPlain.dataId);
      if (transposeB) backend.disposeData(bPlain.dataId);
      return out;
    },
  });
}

/**
 * Pow with a constant scalar exponent of 2 or 3 (gelu_new's x³ and its gradient's x²) as
 * repeated Multiply: wasm's Pow calls std::pow per element, ~10× slower than a SIMD multiply.
 */
function patchSmallIntegerPow(): void {
  const original = tf.getKernel('Pow', 'wasm');
  const multiply = tf.getKernel('Multiply', 'wasm');
  if (original === undefined || multiply === undefined) throw new Error('wasm Pow/Multiply kernels are not registered');
  tf.unregisterKernel('Pow', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args: KernelArgs) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const backend = args.backend as WasmBackendLike & { readSync(dataId: object): ArrayLike<number> };
      if (b.shape.length !== 0 || a.dtype !== 'float32') return original.kernelFunc(args);
      const exponent = backend.readSync(b.dataId)[0];
      if (exponent !== 2 && exponent !== 3) return original.kernelFunc(args);
      const mul = (x: tf.TensorInfo, y: tf.TensorInfo): tf.TensorInfo =>
        multiply.kernelFunc({ inputs: { a: x, b: y }, backend, attrs: {} } as unknown as KernelArgs) as tf.TensorInfo;
      const square = mul(a, a);
      if (exponent === 2) return square;
      const cube = mul(square, a);
      backend.disposeData(square.dataId);
      return cube;
    },
  });
}

let patched = false;

export function patchWasmForTraining(): void {
  if (patched) return;
  if (tf.getBackend() !== 'wasm') throw new Error(`training kernels patch the wasm backend, but the active backend is ${tf.getBackend()}`);
  patchGatherGradient();
  patchTransposedMatMul();
  patchSmallIntegerPow();
  patched = true;
}
