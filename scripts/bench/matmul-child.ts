// One measurement process for scripts/bench/matmul.mjs: starts the engine's backend through
// initBackend (so the worker_threads shim is what gets measured) with the thread count given on
// the command line, times fp32 matmul at each size, and prints one JSON line.
// Run: node --import tsx scripts/bench/matmul-child.ts <threads> <seconds-per-size> <size>...
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';

function medianGflops(n: number, seconds: number): number {
  return tf.tidy(() => {
    const a = tf.randomNormal([n, n]); // [n, n]
    const b = tf.randomNormal([n, n]); // [n, n]
    const once = (): void => {
      const c = tf.matMul(a, b); // [n, n]
      c.dataSync();
      c.dispose();
    };
    once(); // warm-up: XNNPACK packs weights and sizes its buffers on first use
    const rates: number[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end || rates.length < 3) {
      const t0 = performance.now();
      let iterations = 0;
      // batches of ~50 ms so one scheduling hiccup on a shared machine spoils one sample, not all
      while (performance.now() - t0 < 50) {
        once();
        iterations++;
      }
      rates.push((2 * n ** 3 * iterations) / ((performance.now() - t0) / 1000) / 1e9);
    }
    rates.sort((x, y) => x - y);
    return rates[Math.floor(rates.length / 2)]!;
  });
}

async function main(): Promise<void> {
  const [threadsArg, secondsArg, ...sizeArgs] = process.argv.slice(2);
  const info = await initBackend({ prefer: 'wasm', threads: Number(threadsArg) });
  const gflops: Record<string, number> = {};
  for (const size of sizeArgs.map(Number)) gflops[size] = medianGflops(size, Number(secondsArg));
  process.stdout.write(`${JSON.stringify({ backend: info, gflops })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
