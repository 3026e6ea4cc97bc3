// Which implementation the SAE's custom-kernel ops take. Each op has a JS kernel registered for
// the wasm backend and a fallback of plain tfjs ops (every other backend); the tests run both
// and hold them to the same numbers.
import * as tf from '@tensorflow/tfjs';

export type KernelImpl = 'auto' | 'kernel' | 'fallback';

let forcedImpl: KernelImpl = 'auto';

/** Tests and benchmarks pick an implementation; the engine leaves it on 'auto'. */
export function setKernelImpl(impl: KernelImpl): void {
  forcedImpl = impl;
}

/** Whether to run the registered kernel `name` (after `register` has run) on the current backend. */
export function useKernel(name: string, register: () => void): boolean {
  if (forcedImpl === 'fallback') return false;
  register();
  const has = tf.getKernel(name, tf.getBackend()) !== undefined;
  if (forcedImpl === 'kernel' && !has) throw new Error(`kernel ${name} is not registered for backend ${tf.getBackend()}`);
  return has;
}

/** Registers wasm kernels once per process. */
export function registerForWasm(configs: ReadonlyArray<readonly [string, tf.KernelFunc]>): void {
  for (const [kernelName, kernelFunc] of configs) {
    if (tf.getKernel(kernelName, 'wasm') === undefined) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}
