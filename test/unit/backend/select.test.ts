// Backend choice on this machine: the native packages cannot load, so the engine lands on wasm,
// and with two threads the threaded build (worker_threads shim) must compute matmul correctly.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, shutdownBackend } from '../../../src/engine/backend';
import { livePthreadWorkers } from '../../../src/engine/backend/node-pthread-worker';
import { BackendInfo } from '../../../src/shared/contract';
import { worstMatmulRelativeError } from './reference';

describe('initBackend on a machine without libtensorflow', () => {
  let info: BackendInfo;
  const realCpuCount = os.cpus().length;

  beforeAll(async () => {
    delete process.env.FEATURESCOPE_BACKEND;
    delete process.env.FEATURESCOPE_THREADS;
    delete process.env.FEATURESCOPE_ALLOW_CPU;
    info = await initBackend({ threads: 2 });
  });

  it('lands on wasm and the info fits the contract', () => {
    expect(BackendInfo.parse(info)).toEqual(info);
    expect(info.kind).toBe('wasm');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.tfjsVersion).toBe(tf.version.tfjs);
  });

  it('names why each native backend was skipped', () => {
    // Either package may be absent or present without its addon, depending on the install.
    expect(info.reason).toMatch(/tfjs-node-gpu: (not installed|installed but its native addon is missing|no NVIDIA driver)/);
    expect(info.reason).toMatch(/tfjs-node: (not installed|installed but its native addon is missing)/);
    expect(info.reason).toMatch(/^wasm: threaded SIMD build on 2 threads/);
  });

  it('runs 2 threads, as reported by the wasm module itself', () => {
    expect(info.threads).toBe(2);
    expect(getThreadsCount()).toBe(2);
  });

  it('leaves os.cpus() and the global Worker as they were', () => {
    // init pads os.cpus() to lift tfjs's cores/2 cap, and installs a Worker shim, for init only
    expect(os.cpus().length).toBe(realCpuCount);
    expect((globalThis as { Worker?: unknown }).Worker).toBeUndefined();
  });

  it('computes matmul like a plain-JS triple loop to 1e-4 relative', () => {
    // Large enough for XNNPACK to split the work across both threads; odd sizes hit edge tiles.
    expect(worstMatmulRelativeError(256, 320, 192, 1)).toBeLessThan(1e-4);
    expect(worstMatmulRelativeError(67, 129, 45, 2)).toBeLessThan(1e-4);
    expect(worstMatmulRelativeError(1, 513, 300, 3)).toBeLessThan(1e-4);
  });

  it('returns the same info on a second call, whatever its options', async () => {
    await expect(initBackend({ prefer: 'cpu', threads: 1 })).resolves.toBe(info);
  });

  it('shutdownBackend terminates every pthread worker (run last: no op may follow)', async () => {
    expect(livePthreadWorkers().size).toBeGreaterThan(0);
    await shutdownBackend();
    expect(livePthreadWorkers().size).toBe(0);
  });
});
