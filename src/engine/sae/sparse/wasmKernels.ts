// Sparse SAE kernels for the tfjs wasm backend, written as plain JS loops over the backend's
// heap (rangeLoops.ts, split across cores by kernelThreads.ts). They read rows of W/V in place
// (contiguous d floats each), so an M-entry code costs M·d multiply-adds and no [M, d] temporary.
// Indices are checked in one pass before the loops touch memory; the loops themselves hold only
// typed-array reads and writes. Registered once; other backends use the tfjs-op fallbacks in
// sparseOps.ts, which the tests hold to the same numbers.
import type * as tf from '@tensorflow/tfjs';
import { at, checkIndices, f32, heapOf, i32, input } from './heap';
import { runRanges } from './kernelThreads';
import { registerForWasm } from './kernelChoice';

export const SPARSE_KERNEL_NAMES = {
  decode: 'FeaturescopeSparseDecode',
  rowDots: 'FeaturescopeSparseRowDots',
  scatterOuter: 'FeaturescopeSparseScatterOuter',
} as const;

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
  const o = f32(be, out, 'out'), W = f32(be, Winfo, 'W'), vals = f32(be, input(inputs, 'vals'), 'vals');
  runRanges('scatterAxpyRows', o.buffer, [at(o), at(rows), at(W), at(cols), at(vals), vals.length, d], numRows, vals.length * d);
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
  const o = f32(be, out, 'out'), W = f32(be, Winfo, 'W'), V = f32(be, Vinfo, 'V');
  runRanges('rowDots', o.buffer, [at(o), at(W), at(V), at(rows), at(cols), d], rows.length, rows.length * d);
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
  const o = f32(be, out, 'out'), V = f32(be, Vinfo, 'V'), vals = f32(be, input(inputs, 'vals'), 'vals');
  // Split by output row (latent): each thread owns a block of latents.
  runRanges('scatterAxpyRows', o.buffer, [at(o), at(cols), at(V), at(rows), at(vals), vals.length, d], numCols, vals.length * d);
  return out;
};

export function registerWasmSparseKernels(): void {
  registerForWasm([
    [SPARSE_KERNEL_NAMES.decode, decodeKernel],
    [SPARSE_KERNEL_NAMES.rowDots, rowDotsKernel],
    [SPARSE_KERNEL_NAMES.scatterOuter, scatterOuterKernel],
  ]);
}
