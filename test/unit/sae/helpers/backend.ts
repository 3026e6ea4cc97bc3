// Test helpers: the engine's own backend choice (wasm with threads on this machine), and
// deterministic numbers for inputs.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../../src/engine/backend/index';

/** Starts the engine's backend, as the app does. */
export async function useEngineBackend(): Promise<void> {
  await initBackend();
}

/** Whether the JS kernels registered for wasm can run here (the 'kernel' implementation). */
export function kernelsAvailable(): boolean {
  return tf.getBackend() === 'wasm';
}

/** Deterministic pseudo-random floats in [-1, 1) for test inputs (mulberry32). */
export function seededFloats(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
