// Test helpers: the engine's own backend choice (wasm with threads on this machine), and
// deterministic numbers for inputs.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../../src/engine/backend/index';
import { mulberry32 } from '../../../../src/engine/random';

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
  const random = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = random() * 2 - 1;
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
