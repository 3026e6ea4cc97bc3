// Sparse SAE kernels for the tfjs wasm backend, written as plain JS loops over the backend's
// heap. They read rows of W/V in place (contiguous d floats each), so an M-entry code costs
// M·d multiply-adds and no [M, d] temporary. Registered once; other backends use the tfjs-op
// fallbacks in sparseOps.ts, which the tests hold to the same numbers.

import * as tf from '@tensorflow/tfjs';

export const SPARSE_KERNEL_NAMES = {
  decode: 'FeaturescopeSparseDecode',
  rowDots: 'FeaturescopeSparseRowDots',
  scatterOuter: 'FeaturescopeSparseScatterOuter',
} as const;

/** The slice of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function f32(backend: WasmHeapBackend, info: tf.TensorInfo, what: string): Float32Array {
  const a = backend.typedArrayFromHeap(info);
  if (!(a instanceof Float32Array)) throw new Error(`sparse kernel: ${what} must be float32, got ${info.dtype}`);
  return a;
}

function i32(backend: WasmHeapBackend, info: tf.TensorInfo, what: string): Int32Array {
  const a = backend.typedArrayFromHeap(info);
  if (!(a instanceof Int32Array)) throw new Error(`sparse kernel: ${what} must be int32, got ${info.dtype}`);
  return a;
}

function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`sparse kernel: missing input ${name}`);
  return t;
}

function checkIndex(i: number, limit: number, what: string): void {
  // Out-of-range indices would read or write outside the tensor on a shared heap.
  if (i < 0 || i >= limit || !Number.isInteger(i)) throw new Error(`sparse kernel: ${what} index ${i} outside [0, ${limit})`);
}

const decodeKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as unknown as WasmHeapBackend;
  const rowsInfo = input(inputs, 'rows');
  const Winfo = input(inputs, 'W');
  const numRows = (attrs as { numRows: number }).numRows;
  const d = Winfo.shape[1] ?? 0;
  const n = Winfo.shape[0] ?? 0;
  const out = be.makeOutput([numRows, d], 'float32');
  // Views are taken after makeOutput: an allocation may grow (and replace) the heap buffer.
  const rows = i32(be, rowsInfo, 'rows');
  const cols = i32(be, input(inputs, 'cols'), 'cols');
  const vals = f32(be, input(inputs, 'vals'), 'vals');
  const W = f32(be, Winfo, 'W');
  const o = f32(be, out, 'out');
  o.fill(0);
  for (let m = 0; m < rows.length; m++) {
    const v = vals[m]!;
    if (v === 0) continue;
    const r = rows[m]!;
    const c = cols[m]!;
    checkIndex(r, numRows, 'row');
    checkIndex(c, n, 'col');
    const ob = r * d;
    const wb = c * d;
    for (let j = 0; j < d; j++) o[ob + j]! += v * W[wb + j]!;
  }
  return out;
};

const rowDotsKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const be = backend as unknown as WasmHeapBackend;
  const rowsInfo = input(inputs, 'rows');
  const Winfo = input(inputs, 'W');
  const Vinfo = input(inputs, 'V');
  const d = Winfo.shape[1] ?? 0;
  const n = Winfo.shape[0] ?? 0;
  const numRows = Vinfo.shape[0] ?? 0;
  const M = rowsInfo.shape[0] ?? 0;
  const out = be.makeOutput([M], 'float32');
  const rows = i32(be, rowsInfo, 'rows');
  const cols = i32(be, input(inputs, 'cols'), 'cols');
  const W = f32(be, Winfo, 'W');
  const V = f32(be, Vinfo, 'V');
  const o = f32(be, out, 'out');
  for (let m = 0; m < M; m++) {
    const r = rows[m]!;
    const c = cols[m]!;
    checkIndex(r, numRows, 'row');
    checkIndex(c, n, 'col');
    const vb = r * d;
    const wb = c * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += W[wb + j]! * V[vb + j]!;
    o[m] = s;
  }
  return out;
};

const scatterOuterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const be = backend as unknown as WasmHeapBackend;
  const rowsInfo = input(inputs, 'rows');
  const Vinfo = input(inputs, 'V');
  const numCols = (attrs as { numCols: number }).numCols;
  const d = Vinfo.shape[1] ?? 0;
  const numRows = Vinfo.shape[0] ?? 0;
  const out = be.makeOutput([numCols, d], 'float32');
  const rows = i32(be, rowsInfo, 'rows');
  const cols = i32(be, input(inputs, 'cols'), 'cols');
  const vals = f32(be, input(inputs, 'vals'), 'vals');
  const V = f32(be, Vinfo, 'V');
  const o = f32(be, out, 'out');
  o.fill(0);
  for (let m = 0; m < rows.length; m++) {
    const v = vals[m]!;
    if (v === 0) continue;
    const r = rows[m]!;
    const c = cols[m]!;
    checkIndex(r, numRows, 'row');
    checkIndex(c, numCols, 'col');
    const ob = c * d;
    const vb = r * d;
    for (let j = 0; j < d; j++) o[ob + j]! += v * V[vb + j]!;
  }
  return out;
};

let registered = false;

export function registerWasmSparseKernels(): void {
  if (registered) return;
  registered = true;
  const configs: Array<[string, tf.KernelFunc]> = [
    [SPARSE_KERNEL_NAMES.decode, decodeKernel],
    [SPARSE_KERNEL_NAMES.rowDots, rowDotsKernel],
    [SPARSE_KERNEL_NAMES.scatterOuter, scatterOuterKernel],
  ];
  for (const [kernelName, kernelFunc] of configs) {
    if (tf.getKernel(kernelName, 'wasm') === undefined) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}
