// Child process for exit.test.ts: starts the threaded backend, computes, and then simply ends
// its script. If a pthread worker kept the event loop alive, this process would never exit.
// (No top-level await: tsx runs this package's .ts files as CommonJS.)
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend';

async function main(): Promise<void> {
  const info = await initBackend({ threads: 2 });
  const sum = tf.tidy(() => tf.matMul(tf.ones([128, 64]), tf.ones([64, 32])).sum().dataSync()[0]); // [128, 32] of 64s
  process.stdout.write(`${JSON.stringify({ kind: info.kind, threads: info.threads, sum })}\n`);
}

void main();
