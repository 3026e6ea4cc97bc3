// Shared plumbing of the JS kernels registered for tfjs-backend-wasm: typed views over the
// backend's heap (taken once per call, after every makeOutput, since an allocation may grow
// and replace the heap buffer), input lookup and index checks.
import type * as tf from '@tensorflow/tfjs';

/** The slice of tfjs-backend-wasm's BackendWasm these kernels use. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function heapOf(backend: unknown): WasmHeapBackend {
  return backend as WasmHeapBackend;
}

export function f32(backend: WasmHeapBackend, info: tf.TensorInfo, what: string): Float32Array {
  const a = backend.typedArrayFromHeap(info);
  if (!(a instanceof Float32Array)) throw new Error(`kernel: ${what} must be float32, got ${info.dtype}`);
  return a;
}

export function i32(backend: WasmHeapBackend, info: tf.TensorInfo, what: string): Int32Array {
  const a = backend.typedArrayFromHeap(info);
  if (!(a instanceof Int32Array)) throw new Error(`kernel: ${what} must be int32, got ${info.dtype}`);
  return a;
}

export function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`kernel: missing input ${name}`);
  return t;
}

/** Throws unless every index is an integer in [0, limit): out-of-range indices would touch a shared heap. */
export function checkIndices(indices: Int32Array, limit: number, what: string): void {
  for (let m = 0; m < indices.length; m++) {
    const i = indices[m]!;
    if (i < 0 || i >= limit) throw new Error(`kernel: ${what} index ${i} outside [0, ${limit})`);
  }
}

/** Where a heap view starts, in 4-byte elements: the offset the range loops index with. */
export function at(view: Float32Array | Int32Array): number {
  // Unsigned: the wasm heap reaches 4 GiB, and a signed shift turns offsets past 2 GiB negative
  // (a real-size SAE, d_in 2304 × 32768 latents at batch 4096, crashed in topKRows on that).
  return view.byteOffset >>> 2;
}
