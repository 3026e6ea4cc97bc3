// Benchmark: topk SAE training throughput (tokens/s) at d_in 512, 16384 latents, k 32,
// batch 4096, beside the dense PyTorch peer (../shared/peers/torch_sae_step.py, 2 threads)
// measured in the same run, printed as a ratio. Also times the parts of our step so the
// report can say what dominates. Run: npx tsx scripts/bench/sae.ts
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend/index';
import { topKCode } from '../../src/engine/sae/architectures/topk';
import { sparseDecode, sparseRowDots, sparseScatterOuter } from '../../src/engine/sae/sparse/sparseOps';
import { trainSae } from '../../src/engine/sae/train/trainer';
import { Rng } from '../../src/engine/sae/train/rng';

const D_IN = 512, D_SAE = 16384, K = 32, BATCH = 4096, STEPS = Number(process.env.SAE_BENCH_STEPS ?? 4);

function timeIt(f: () => tf.Tensor | tf.Tensor[]): number {
  const t0 = performance.now();
  const out = f();
  for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
  const ms = performance.now() - t0;
  tf.dispose(out);
  return ms;
}

async function main(): Promise<void> {
  const backend = await initBackend();
  console.error(`backend: ${backend.reason}`);
  const batch = Rng.fromSeed(0).normals(BATCH * D_IN);
  const stepEnds: number[] = [];
  const t0 = performance.now();
  await trainSae({
    architecture: 'topk', dIn: D_IN, dSae: D_SAE, k: K, hookName: 'bench', modelName: 'bench',
    totalSteps: STEPS + 1, batchSize: BATCH, seed: 0, lr: 1e-4, warmupSteps: 0,
    deadTokens: Number.MAX_SAFE_INTEGER, // no AuxK, like the peer
    data: { nextBatch: () => batch },
    metricsEvery: 1,
    onMetrics: () => stepEnds.push(performance.now()),
  });
  const totalS = (performance.now() - t0) / 1000;
  const stepMs = stepEnds.slice(1).map((t, i) => t - stepEnds[i]!).sort((a, b) => a - b);
  const median = stepMs[Math.floor(stepMs.length / 2)]!;
  const ours = BATCH / (median / 1000);

  // Parts of one step, timed alone.
  const x = tf.tensor2d(batch, [BATCH, D_IN]);
  const Wenc = tf.randomNormal([D_IN, D_SAE]) as tf.Tensor2D;
  const Wdec = tf.randomNormal([D_SAE, D_IN]) as tf.Tensor2D;
  const benc = tf.zeros([D_SAE]) as tf.Tensor1D;
  const parts: Record<string, number> = {};
  parts.encoder_matmul = timeIt(() => tf.fused.matMul({ a: x, b: Wenc, bias: benc }));
  const pre = tf.fused.matMul({ a: x, b: Wenc, bias: benc }) as tf.Tensor2D;
  parts.topk = timeIt(() => { const c = topKCode(pre, K); return [c.rows, c.cols, c.vals]; });
  const code = topKCode(pre, K);
  parts.sparse_decode = timeIt(() => sparseDecode(code, Wdec));
  parts.sparse_row_dots = timeIt(() => sparseRowDots(code, Wdec, x));
  parts.sparse_scatter_outer_x2 = 2 * timeIt(() => sparseScatterOuter(code, x, D_SAE));
  parts.transpose_dWenc = timeIt(() => tf.transpose(Wdec));
  parts.adam_one_big_param = timeIt(() => tf.tidy(() => {
    const g = Wdec, m = tf.mul(Wdec, 0.9), v = tf.mul(tf.square(Wdec), 0.999);
    return tf.sub(Wdec, tf.div(tf.add(m, g), tf.add(tf.sqrt(v), 1e-8)));
  }));

  let peer: { tokens_per_s: number; step_s_median: number; blas?: string } | undefined;
  const peerScript = resolve(__dirname, '../../../shared/peers/torch_sae_step.py');
  const altPeer = '/work/shared/peers/torch_sae_step.py';
  const script = existsSync(peerScript) ? peerScript : altPeer;
  try {
    const outText = execFileSync('/usr/bin/python3', [script, '--d-in', String(D_IN), '--latents', String(D_SAE), '--k', String(K), '--batch', String(BATCH), '--steps', '3', '--threads', '2'], { encoding: 'utf8' });
    peer = JSON.parse(outText.trim().split('\n').pop()!) as typeof peer;
  } catch (err) {
    console.log(`peer not run: ${(err as Error).message.split('\n')[0]}`);
  }
  console.log(JSON.stringify({
    bench: 'sae-topk-train', backend: tf.getBackend(), d_in: D_IN, latents: D_SAE, k: K, batch: BATCH,
    step_ms_median: Math.round(median), step_ms_all: stepMs.map(Math.round), tokens_per_s: Math.round(ours), wall_s: Number(totalS.toFixed(1)),
    parts_ms: Object.fromEntries(Object.entries(parts).map(([k2, v]) => [k2, Math.round(v)])),
    peer_tokens_per_s: peer?.tokens_per_s ?? null, peer_step_s: peer?.step_s_median ?? null, peer_blas: peer?.blas ?? null,
    ratio_vs_peer: peer ? Number((ours / peer.tokens_per_s).toFixed(3)) : null,
  }, null, 1));
}

void main();
