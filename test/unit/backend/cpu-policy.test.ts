// Landing on the slow 'cpu' backend by accident must never be silent: when wasm fails the engine
// refuses to start unless FEATURESCOPE_ALLOW_CPU=1, and then says loudly why it is on 'cpu'.
// wasm is made to fail through a module mock; the native attempts run for real.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';

vi.mock('../../../src/engine/backend/wasm', () => ({
  initWasmBackend: vi.fn(async () => {
    throw new Error('simulated: wasm module could not be compiled');
  }),
}));

const { initBackend } = await import('../../../src/engine/backend');

describe('wasm failure', () => {
  beforeAll(() => {
    delete process.env.FEATURESCOPE_BACKEND;
    delete process.env.FEATURESCOPE_ALLOW_CPU;
  });
  afterAll(() => {
    delete process.env.FEATURESCOPE_ALLOW_CPU;
  });

  it('refuses the cpu fallback by default, with every cause and the way out in the message', async () => {
    const err = await initBackend().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FeaturescopeError);
    const { code, message } = err as FeaturescopeError;
    expect(code).toBe('failed');
    expect(message).toContain('wasm: failed to initialise (simulated: wasm module could not be compiled)');
    expect(message).toMatch(/tfjs-node-gpu: /);
    expect(message).toMatch(/tfjs-node: /);
    expect(message).toContain('FEATURESCOPE_ALLOW_CPU=1');
    expect(tf.getBackend()).not.toBe('cpu');
  });

  it('lands on cpu once FEATURESCOPE_ALLOW_CPU=1, saying it is slow and why wasm was skipped', async () => {
    process.env.FEATURESCOPE_ALLOW_CPU = '1';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const info = await initBackend(); // the failed start above was not cached
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]?.[0]).toMatch(/running on the tfjs 'cpu' backend\. cpu: SLOW/);
    warn.mockRestore();
    expect(info.kind).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.reason).toMatch(/^cpu: SLOW/);
    expect(info.reason).toContain('every faster backend failed and FEATURESCOPE_ALLOW_CPU=1 accepts it');
    expect(info.reason).toContain('wasm: failed to initialise (simulated: wasm module could not be compiled)');
  });
});
