// Benchmark: topk SAE training throughput (tokens/s) at d_in 512, 16384 latents, k 32,
// batch 4096 (or, with --real, a real residual SAE for Gemma-2-2B-sized models: d_in 2304, 32768
// latents, k 64, batch 4096; or any --d-in/--latents/--k/--batch), beside the dense PyTorch peer (../shared/peers/torch_sae_step.py, 2 threads)
// measured in the same run, printed as a ratio. Rounds alternate ours and the peer so both see
// the same machine load; the ratio is of the medians. Also times the parts of our step.
// Run: npx tsx scripts/bench/sae.ts [--real] [--d-in N --latents N --k N --batch N]
//      (SAE_BENCH_ROUNDS, SAE_BENCH_STEPS to change the effort)
// Last line: one summary; the JSON before it has the details.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend/index';
import { encodeTopK } from '../../src/engine/sae/sparse/encodeTopK';
import { sparseColumnSums, sparseDecode, sparseRowDots, sparseScatterOuter } from '../../src/engine/sae/sparse/sparseOps';
import { adamStep, normalizeRows, projectOutRows } from '../../src/engine/sae/train/updateKernels';
import { trainSae } from '../../src/engine/sae/train/trainer';
import { Rng } from '../../src/engine/random';

const { values: args } = parseArgs({
  options: { real: { type: 'boolean', default: false }, 'd-in': { type: 'string' }, latents: { type: 'string' }, k: { type: 'string' }, batch: { type: 'string' } },
});
const shape = args.real ? { dIn: 2304, latents: 32768, k: 64, batch: 4096 } : { dIn: 512, latents: 16384, k: 32, batch: 4096 };
const D_IN = Number(args['d-in'] ?? shape.dIn), D_SAE = Number(args.latents ?? shape.latents), K = Number(args.k ?? shape.k), BATCH = Number(args.batch ?? shape.batch);
const ROUNDS = Number(process.env.SAE_BENCH_ROUNDS ?? 2), STEPS = Number(process.env.SAE_BENCH_STEPS ?? 3);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeIt(f: () => tf.TensorContainer): number {
  const t0 = performance.now();
  const out = f();
  for (const t of tf.tidy(() => [] as tf.Tensor[]).concat(collect(out))) t.dataSync();
  const ms = performance.now() - t0;
  tf.dispose(out);
  return ms;
}

function collect(c: tf.TensorContainer): tf.Tensor[] {
  if (c instanceof tf.Tensor) return [c];
  if (Array.isArray(c)) return c.flatMap((x) => collect(x as tf.TensorContainer));
  if (c !== null && typeof c === 'object') return Object.values(c).flatMap((x) => collect(x as tf.TensorContainer));
  return [];
}

/** Step times (ms) of our trainer, the first (warm-up) step dropped. */
async function ourSteps(batch: Float32Array): Promise<number[]> {
  const ends: number[] = [];
  await trainSae({
    architecture: 'topk', dIn: D_IN, dSae: D_SAE, k: K, hookName: 'bench', modelName: 'bench',
    steps: STEPS + 1, batchSize: BATCH, seed: 0, lr: 1e-4, warmupSteps: 0,
    deadTokens: Number.MAX_SAFE_INTEGER, // no AuxK, like the peer
    data: { nextBatch: () => batch },
    metricsEvery: 1,
    onMetrics: () => ends.push(performance.now()),
  });
  return ends.slice(1).map((t, i) => t - ends[i]!);
}

function peerStep(): { step_s_median: number; blas?: string } | undefined {
  const local = resolve(__dirname, '../../../shared/peers/torch_sae_step.py');
  const script = existsSync(local) ? local : '/work/shared/peers/torch_sae_step.py';
  try {
    const out = execFileSync('/usr/bin/python3', [script, '--d-in', String(D_IN), '--latents', String(D_SAE), '--k', String(K), '--batch', String(BATCH), '--steps', String(STEPS), '--threads', '2'], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!) as { step_s_median: number; blas?: string };
  } catch (err) {
    console.error(`peer not run: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/** Each part of one training step, timed alone on the same shapes with the same functions. */
function stepParts(batch: Float32Array): Record<string, number> {
  const rng = Rng.fromSeed(1);
  const x = tf.tensor2d(batch, [BATCH, D_IN]);
  const Wdec = normalizeRows(tf.tensor2d(rng.normals(D_SAE * D_IN), [D_SAE, D_IN]));
  const Wenc = tf.transpose(Wdec) as tf.Tensor2D;
  const benc = tf.zeros([D_SAE]) as tf.Tensor1D;
  const parts: Record<string, number> = {};
  parts.encoder_matmul_topk = timeIt(() => encodeTopK(x, Wenc, benc, K) as unknown as tf.TensorContainer);
  parts.encoder_matmul_only = timeIt(() => tf.matMul(x, Wenc));
  const { code } = encodeTopK(x, Wenc, benc, K);
  parts.sparse_decode = timeIt(() => sparseDecode(code, Wdec));
  parts.sparse_row_dots = timeIt(() => sparseRowDots(code, Wdec, x));
  parts.sparse_scatter_outer_x2 = 2 * timeIt(() => sparseScatterOuter(code, x, D_SAE));
  parts.column_sums_x2 = 2 * timeIt(() => sparseColumnSums(code, D_SAE));
  parts.project_out_rows = timeIt(() => projectOutRows(Wdec, Wenc.transpose()));
  const attrs = { beta1: 0.9, beta2: 0.999, stepSize: 1e-4, epsHat: 1e-9 };
  parts.adam_W_dec = timeIt(() => adamStep(Wdec, Wdec, Wdec, tf.abs(Wdec), attrs) as unknown as tf.TensorContainer);
  parts.adam_W_enc_transposed_grad = timeIt(() => adamStep(Wenc, Wdec, Wenc, tf.abs(Wenc), attrs, true) as unknown as tf.TensorContainer);
  parts.normalize_rows = timeIt(() => normalizeRows(Wdec));
  tf.dispose([x, Wdec, Wenc, benc, code.rows, code.cols, code.vals]);
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Math.round(v)]));
}

async function main(): Promise<void> {
  const backend = await initBackend();
  console.log(`sae bench: d_in ${D_IN}, ${D_SAE} latents, k ${K}, batch ${BATCH}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const batch = Rng.fromSeed(0).normals(BATCH * D_IN);
  const ours: number[] = [], peer: number[] = [];
  let blas: string | undefined;
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(...(await ourSteps(batch)));
    const p = peerStep();
    if (p) (peer.push(p.step_s_median * 1000), (blas = p.blas));
  }
  const parts = stepParts(batch);
  const oursMs = median(ours);
  const peerMs = peer.length > 0 ? median(peer) : undefined;
  const tokensPerS = BATCH / (oursMs / 1000);
  const peerTokensPerS = peerMs === undefined ? undefined : BATCH / (peerMs / 1000);
  const ratio = peerTokensPerS === undefined ? undefined : tokensPerS / peerTokensPerS;
  console.log(JSON.stringify({
    bench: 'sae-topk-train', backend: backend.name, threads: backend.threads, d_in: D_IN, latents: D_SAE, k: K, batch: BATCH,
    step_ms_median: Math.round(oursMs), step_ms_all: ours.map(Math.round), parts_ms: parts,
    peer_step_ms_median: peerMs === undefined ? null : Math.round(peerMs), peer_step_ms_all: peer.map(Math.round), peer_blas: blas ?? null,
  }));
  console.log(
    `sae-topk-train: ours ${Math.round(tokensPerS)} tokens/s (${(oursMs / 1000).toFixed(2)} s/step, ${backend.name}×${backend.threads}), ` +
      `torch peer ${peerTokensPerS === undefined ? 'not run' : `${Math.round(peerTokensPerS)} tokens/s (${(peerMs! / 1000).toFixed(2)} s/step)`}, ` +
      `ratio ${ratio === undefined ? 'n/a' : ratio.toFixed(2)} at d_in ${D_IN}, ${D_SAE} latents, k ${K}, batch ${BATCH}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  );
}

void main();
