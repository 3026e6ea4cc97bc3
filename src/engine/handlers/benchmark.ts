import * as tf from '@tensorflow/tfjs';
import type { JobHandlers } from './registry';
import { yieldToEventLoop } from '../jobs/context';
import { readback } from '../readback';

/** fp32 matmul throughput of the active backend: what doctor's "is this machine fast enough" rests on. */
export const benchmarkMatmul: JobHandlers['engine.benchmark'] = async ({ size, seconds }, ctx) => {
  const meter = ctx.meter('seconds', seconds);
  const [a, b] = tf.tidy(() => [tf.randomNormal([size, size], 0, 1, 'float32', 1), tf.randomNormal([size, size], 0, 1, 'float32', 2)]);
  try {
    readback(() => tf.matMul(a!, b!)); // warm-up: kernel compilation, thread start
    let iterations = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < seconds) {
      ctx.throwIfCancelled();
      readback(() => tf.matMul(a!, b!));
      iterations++;
      elapsed = (performance.now() - t0) / 1000;
      const gflops = (2 * size ** 3 * iterations) / elapsed / 1e9;
      meter.update(Math.min(elapsed, seconds), { metrics: { gflops } });
      await yieldToEventLoop();
    }
    const gflops = (2 * size ** 3 * iterations) / elapsed / 1e9;
    return { size, iterations, seconds: elapsed, gflops, backend: tf.getBackend() };
  } finally {
    a!.dispose();
    b!.dispose();
  }
};
