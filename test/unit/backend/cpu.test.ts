// FEATURESCOPE_BACKEND=cpu is honoured, loudly: the reason must say the backend is slow.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { worstMatmulRelativeError } from './reference';

describe('FEATURESCOPE_BACKEND=cpu', () => {
  afterAll(() => {
    delete process.env.FEATURESCOPE_BACKEND;
  });

  it('gives kind cpu with a reason that says it is slow, and warns on stderr', async () => {
    process.env.FEATURESCOPE_BACKEND = 'cpu';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const info = await initBackend(); // env wins over the (default) 'auto'
    expect(info.kind).toBe('cpu');
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.threads).toBe(1);
    expect(info.simd).toBe(false);
    expect(info.reason).toMatch(/^cpu: SLOW/);
    expect(info.reason).toMatch(/0\.3 GFLOP\/s/);
    // The better ones were passed over because of the request, and the reason says so.
    for (const name of ['tfjs-node-gpu', 'tfjs-node', 'wasm']) {
      expect(info.reason).toContain(`${name}: not tried, FEATURESCOPE_BACKEND or the caller asked for 'cpu'`);
    }
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/running on the tfjs 'cpu' backend/));
    warn.mockRestore();
  });

  it('still computes matmul right (small: this backend is slow)', () => {
    expect(worstMatmulRelativeError(17, 33, 9, 4)).toBeLessThan(1e-4);
  });
});
