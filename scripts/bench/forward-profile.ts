// Where a forward's time goes: one model.run under tf.profile, kernel time summed by kernel (and
// by operand shapes for the matMuls), largest first (issue #15). Weights load on a first, untimed
// run. Use a model folder from make-real-shapes.ts (--layers 1 keeps it quick).
//
//   npx tsx scripts/bench/forward-profile.ts --model DIR [--batch 8] [--seq 128] [--top 25]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend/index';
import { loadModel } from '../../src/engine/model/index';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '128' },
    top: { type: 'string', default: '25' },
    threads: { type: 'string', default: '2' },
  },
});

async function main(): Promise<void> {
  if (args.model === undefined) throw new Error('--model: a model folder (see scripts/bench/make-real-shapes.ts)');
  const backend = await initBackend({ threads: Number(args.threads) });
  const model = await loadModel(args.model);
  const batch = Number(args.batch), seq = Number(args.seq);
  const rows = Array.from({ length: batch }, (_, i) => Array.from({ length: seq }, (_, j) => (i * 131 + j * 7) % model.config.vocabSize));
  model.run(rows.slice(0, 1)).logits.dispose(); // loads the weights
  console.log(`${backend.reason}\n${args.model} batch ${batch}×${seq}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const t0 = performance.now();
  const info = await tf.profile(() => model.run(rows).logits);
  const wall = performance.now() - t0;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const key = /MatMul/.test(k.name) ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += k.kernelTimeMs as number;
    entry.calls++;
    byKernel.set(key, entry);
  }
  const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  console.log(`wall ${wall.toFixed(0)} ms, kernels ${total.toFixed(0)} ms`);
  for (const [key, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(args.top))) {
    console.log(`${e.ms.toFixed(0).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}% ${String(e.calls).padStart(5)}× ${key}`);
  }
  model.dispose();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
