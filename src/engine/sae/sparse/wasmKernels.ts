// Sparse SAE kernels for the tfjs wasm backend, written as plain JS loops over the backend's
// heap. They read rows of W/V in place (contiguous d floats each), so an M-entry code costs
// M·d multiply-adds and no [M, d] temporary. Indices are checked in one pass before the loops
// touch memory; the loops themselves hold only typed-array reads and writes. Registered once;
// other backends use the tfjs-op fallbacks in sparseOps.ts, which the tests hold to the same numbers.
import type * as tf from '@tensorflow/tfjs';
import { checkIndices, f32, heapOf, i32, input } from './heap';
import { registerForWasm } from './kernelChoice';

export const SPARSE_KERNEL_NAMES = {
  decode: 'FeaturescopeSparseDecode',
  rowDots: 'FeaturescopeSparseRowDots',
  scatterOuter: 'FeaturescopeSparseScatterOuter',
} as const;

/** dst[dstIdx[m]] += vals[m] · src[srcIdx[m]] over rows of length d; dst starts zeroed. */
function scatterAxpy(dst: Float32Array, dstIdx: Int32Array, src: Float32Array, srcIdx: Int32Array, vals: Float32Array, d: number): void {
  dst.fill(0);
  const M = vals.length;
  for (let m = 0; m < M; m++) {
    const v = vals[m]!;
    if (v === 0) continue;
    const ob = dstIdx[m]! * d;
    const sb = srcIdx[m]! * d;
    for (let j = 0; j < d; j++) dst[ob + j] = dst[ob + j]! + v * src[sb + j]!;
  }
}

const decodeKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const be = heapOf(backend);
  const Winfo = input(inputs, 'W');
  const numRows = (attrs as { numRows: number }).numRows;
  const [n = 0, d = 0] = Winfo.shape;
  const out = be.makeOutput([numRows, d], 'float32');
  const rows = i32(be, input(inputs, 'rows'), 'rows');
  const cols = i32(be, input(inputs, 'cols'), 'cols');
  checkIndices(rows, numRows, 'row');
  checkIndices(cols, n, 'col');
  scatterAxpy(f32(be, out, 'out'), rows, f32(be, Winfo, 'W'), cols, f32(be, input(inputs, 'vals'), 'vals'), d);
  return out;
};

const rowDotsKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const be = heapOf(backend);
  const Winfo = input(inputs, 'W');
  const Vinfo = input(inputs, 'V');
  const [n = 0, d = 0] = Winfo.shape;
  const numRows = Vinfo.shape[0] ?? 0;
  const rowsInfo = input(inputs, 'rows');
  const out = be.makeOutput([rowsInfo.shape[0] ?? 0], 'float32');
  const rows = i32(be, rowsInfo, 'rows');
  const cols = i32(be, input(inputs, 'cols'), 'cols');
  checkIndices(rows, numRows, 'row');
  checkIndices(cols, n, 'col');
  const W = f32(be, Winfo, 'W');
  const V = f32(be, Vinfo, 'V');
  const o = f32(be, out, 'out');
  for (let m = 0; m < rows.length; m++) {
    const vb = rows[m]! * d;
    const wb = cols[m]! * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += W[wb + j]! * V[vb + j]!;
    o[m] = s;
  }
  return out;
};

const scatterOuterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const be = heapOf(backend);
  const Vinfo = input(inputs, 'V');
  const numCols = (attrs as { numCols: number }).numCols;
  const [numRows = 0, d = 0] = Vinfo.shape;
  const out = be.makeOutput([numCols, d], 'float32');
  const rows = i32(be, input(inputs, 'rows'), 'rows');
  const cols = i32(be, input(inputs, 'cols'), 'cols');
  checkIndices(rows, numRows, 'row');
  checkIndices(cols, numCols, 'col');
  scatterAxpy(f32(be, out, 'out'), cols, f32(be, Vinfo, 'V'), rows, f32(be, input(inputs, 'vals'), 'vals'), d);
  return out;
};

export function registerWasmSparseKernels(): void {
  registerForWasm([
    [SPARSE_KERNEL_NAMES.decode, decodeKernel],
    [SPARSE_KERNEL_NAMES.rowDots, rowDotsKernel],
    [SPARSE_KERNEL_NAMES.scatterOuter, scatterOuterKernel],
  ]);
}
