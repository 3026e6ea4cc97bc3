// When the threaded wasm build cannot start, the engine must not crash (emscripten rethrows
// worker errors) but fall back to the single-threaded SIMD build and say so.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { livePthreadWorkers } from '../../../src/engine/backend/node-pthread-worker';
import { initWasmBackend } from '../../../src/engine/backend/wasm';
import { worstMatmulRelativeError } from './reference';

describe('threaded wasm init failure', () => {
  it('falls back to one thread with the cause in the detail, leaving no worker behind', async () => {
    // Expect emscripten's own "worker sent an error! … ENOENT" line on stderr: that is this failure.
    const missing = '/nonexistent/featurescope/tfjs-backend-wasm-threaded-simd.js';
    const landing = await initWasmBackend(2, { threadedMainScript: missing });

    expect(tf.getBackend()).toBe('wasm');
    expect(landing.threads).toBe(1);
    expect(getThreadsCount()).toBe(1);
    expect(landing.simd).toBe(true);
    expect(landing.detail).toMatch(/^single-threaded SIMD build, 1 thread: the threaded SIMD build failed to initialise \(.*(ENOENT|no such file)/);
    expect(livePthreadWorkers().size).toBe(0);
    expect((globalThis as { Worker?: unknown }).Worker).toBeUndefined();
  });

  it('the single-threaded fallback computes matmul right', () => {
    expect(worstMatmulRelativeError(130, 70, 90, 5)).toBeLessThan(1e-4);
  });
});
