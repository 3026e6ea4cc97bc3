// Forward-pass throughput (tokens/s) of the engine's model runtime beside a PyTorch forward of the
// same safetensors weights, measured in the same run on the same machine, printed as a ratio.
// Models: (a) the bundled default model, (b) a random GPT-2-small-shaped model (d_model 768,
// 12 layers, 12 heads, vocab 50257, ctx 1024) written with the engine's safetensors writer into a
// temp folder (fixed seed). Both sides compute full logits [batch, 128, d_vocab] for the same ids;
// the batch-1 logits of the two are compared (max abs diff) so we know they computed the same thing.
// Benchmarks never gate CI: this prints numbers and exits 0 unless a measurement could not run.
//
//   npx tsx scripts/bench/forward.ts [--models tiny,gpt2-small] [--batches 1,8] [--seq 128]
//                                    [--runs 5] [--warmup 1] [--threads 2]
//
// Peer: /usr/bin/python3 scripts/reference/torch_forward_bench.py (Debian's torch, same thread
// count). When that python has no torch the engine is still measured and the line says so.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend/index';
import { type TensorToWrite, writeSafetensors } from '../../src/engine/formats/safetensors';
import { loadModel } from '../../src/engine/model/index';
import { Rng } from '../../src/engine/random';

const ROOT = resolve(__dirname, '../..');
const BUNDLED = join(ROOT, 'resources/models/featurescope-tiny');
const PEER_SCRIPT = join(ROOT, 'scripts/reference/torch_forward_bench.py');
const TORCH_PYTHON = '/usr/bin/python3';
const MODELS = ['tiny', 'gpt2-small'] as const;
type ModelName = (typeof MODELS)[number];

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: MODELS.join(',') },
    batches: { type: 'string', default: '1,8' },
    seq: { type: 'string', default: '128' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string', default: String(Math.min(2, availableParallelism())) },
  },
});
const models = args.models!.split(',').map((m) => {
  if (!(MODELS as readonly string[]).includes(m)) throw new Error(`--models: unknown model "${m}" (known: ${MODELS.join(', ')})`);
  return m as ModelName;
});
const batches = args.batches!.split(',').map(Number);
const SEQ = Number(args.seq);
const RUNS = Number(args.runs);
const WARMUP = Number(args.warmup);
const THREADS = Number(args.threads);
if (!batches.includes(1)) batches.unshift(1); // batch 1 carries the logits agreement check
const MAX_BATCH = Math.max(...batches);

interface Timing {
  medianS: number;
  tokensPerS: number;
}
interface PeerOutput {
  torch: string;
  threads: number;
  results: Record<string, { median_s: number; runs_s: number[]; tokens_per_s: number }>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** GPT-2 small's shapes with random weights, initialised loosely like GPT-2 (std 0.02, c_proj scaled by 1/√(2·layers)). */
function writeRandomGpt2Small(dir: string): void {
  const d = 768, L = 12, H = 12, V = 50257, P = 1024, F = 4 * d;
  const rng = Rng.fromSeed(20240611);
  const normal = (shape: number[], std: number, mean = 0): Float32Array => {
    const out = rng.normals(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < out.length; i++) out[i] = mean + std * out[i]!;
    return out;
  };
  const tensors: TensorToWrite[] = [];
  // Biases and norm gains are small random values, not 0/1, so a loader that skipped one would show in the logits check.
  const add = (name: string, shape: number[], std: number, mean = 0): void => {
    tensors.push({ name, dtype: 'F32', shape, data: normal(shape, std, mean) });
  };
  add('wte.weight', [V, d], 0.02);
  add('wpe.weight', [P, d], 0.01);
  const projStd = 0.02 / Math.sqrt(2 * L);
  for (let l = 0; l < L; l++) {
    const p = `h.${l}.`;
    add(`${p}ln_1.weight`, [d], 0.1, 1);
    add(`${p}ln_1.bias`, [d], 0.02);
    add(`${p}attn.c_attn.weight`, [d, 3 * d], 0.02);
    add(`${p}attn.c_attn.bias`, [3 * d], 0.02);
    add(`${p}attn.c_proj.weight`, [d, d], projStd);
    add(`${p}attn.c_proj.bias`, [d], 0.02);
    add(`${p}ln_2.weight`, [d], 0.1, 1);
    add(`${p}ln_2.bias`, [d], 0.02);
    add(`${p}mlp.c_fc.weight`, [d, F], 0.02);
    add(`${p}mlp.c_fc.bias`, [F], 0.02);
    add(`${p}mlp.c_proj.weight`, [F, d], projStd);
    add(`${p}mlp.c_proj.bias`, [d], 0.02);
  }
  add('ln_f.weight', [d], 0.1, 1);
  add('ln_f.bias', [d], 0.02);
  mkdirSync(dir, { recursive: true });
  // Key names as the hub's gpt2 checkpoint has them (no "transformer." prefix; the bundled model has it).
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const config = {
    architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: V, n_positions: P, n_ctx: P, n_embd: d,
    n_layer: L, n_head: H, n_inner: null, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5,
    tie_word_embeddings: true, bos_token_id: 50256, eos_token_id: 50256, torch_dtype: 'float32',
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  // loadModel needs a tokenizer.json; the bench feeds ids directly, so the bundled one stands in.
  copyFileSync(join(BUNDLED, 'tokenizer.json'), join(dir, 'tokenizer.json'));
}

function randomIds(vocab: number, rows: number, seq: number, seed: number): number[][] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: rows }, () => Array.from({ length: seq }, () => rng.nextUint32() % vocab));
}

/** Times full forwards; the wasm and native backends run ops synchronously, the 1-element read makes any backend finish. */
function timeOurs(run: (rows: number[][]) => tf.Tensor3D, rows: number[][]): Timing {
  const once = (): number => {
    const t0 = performance.now();
    const logits = run(rows); // [batch, pos, d_vocab]
    const [b, p, v] = logits.shape;
    tf.tidy(() => logits.slice([b - 1, p - 1, v - 1], [1, 1, 1]).dataSync());
    const s = (performance.now() - t0) / 1000;
    logits.dispose();
    return s;
  };
  for (let i = 0; i < WARMUP; i++) once();
  const times = Array.from({ length: RUNS }, once);
  const medianS = median(times);
  return { medianS, tokensPerS: (rows.length * rows[0]!.length) / medianS };
}

function torchMissing(): string | null {
  const probe = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return `${TORCH_PYTHON} could not start (${probe.error.message})`;
  if (probe.status !== 0) return `${TORCH_PYTHON} has no torch (install Debian's python3-torch)`;
  return null;
}

function runPeer(dir: string, tokensPath: string, logitsPath: string, peerThreads: number): PeerOutput {
  // libgomp's default active spin-wait collapses (≈30× slower here) when the cores are shared with
  // other processes; passive waiting is the peer's best setting on a busy machine, so it gets it.
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const out = execFileSync(
    TORCH_PYTHON,
    [PEER_SCRIPT, '--model', dir, '--tokens', tokensPath, '--batches', batches.join(','), '--runs', String(RUNS),
      '--warmup', String(WARMUP), '--threads', String(peerThreads), '--logits-out', logitsPath],
    { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as PeerOutput;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  if (a.length !== b.length) throw new Error(`logits sizes differ: ours ${a.length}, torch ${b.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { diff, scale };
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

async function benchModel(name: ModelName, work: string, peerProblem: string | null, peerThreads: number): Promise<string> {
  const dir = name === 'tiny' ? BUNDLED : join(work, 'gpt2-small');
  if (name === 'gpt2-small') {
    const t0 = performance.now();
    writeRandomGpt2Small(dir);
    console.log(`  wrote random GPT-2-small weights in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const model = await loadModel(dir);
  const c = model.config;
  const seq = Math.min(SEQ, c.maxPositions ?? SEQ);
  const label = name === 'tiny' ? 'featurescope-tiny' : 'gpt2-small-random';
  console.log(`${label}: d_model ${c.dModel}, ${c.nLayers} layers, ${c.nHeads} heads, vocab ${c.vocabSize}, ${(model.parameterCount() / 1e6).toFixed(1)}M parameters, seq ${seq}`);
  const rows = randomIds(c.vocabSize, MAX_BATCH, seq, 7);
  const tokensPath = join(work, `${name}-tokens.json`);
  writeFileSync(tokensPath, JSON.stringify(rows));

  const run = (r: number[][]): tf.Tensor3D => model.run(r).logits;
  const ours = new Map<number, Timing>();
  let tensorsAfterFirst = -1; // weights load lazily on the first run, so count from after it
  for (const b of batches) {
    ours.set(b, timeOurs(run, rows.slice(0, b)));
    if (tensorsAfterFirst < 0) tensorsAfterFirst = tf.memory().numTensors;
    console.log(`  ours  batch ${b}×${seq}: ${fmt(ours.get(b)!.tokensPerS)} tok/s (median ${ours.get(b)!.medianS.toFixed(3)} s of ${RUNS})`);
  }
  const oursLogits = tf.tidy(() => run(rows.slice(0, 1)).dataSync() as Float32Array); // [1, pos, d_vocab] flat
  const leaked = tf.memory().numTensors - tensorsAfterFirst;
  model.dispose();
  if (leaked !== 0) console.log(`  WARNING: ${leaked} tfjs tensors more after the timed runs than after the first one`);

  const parts = batches.map((b) => `b${b}×${seq} ours ${fmt(ours.get(b)!.tokensPerS)} tok/s`);
  if (peerProblem !== null) return `forward ${label}: ${parts.join('; ')}; torch peer missing: ${peerProblem}`;

  const logitsPath = join(work, `${name}-torch-logits.f32`);
  const peer = runPeer(dir, tokensPath, logitsPath, peerThreads);
  for (const b of batches) {
    const p = peer.results[String(b)]!;
    console.log(`  torch batch ${b}×${seq}: ${fmt(p.tokens_per_s)} tok/s (median ${p.median_s.toFixed(3)} s of ${RUNS})`);
  }
  const raw = readFileSync(logitsPath);
  const torchLogits = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const { diff, scale } = maxAbsDiff(oursLogits, torchLogits);
  rmSync(logitsPath);
  const cells = batches.map((b) => {
    const o = ours.get(b)!.tokensPerS, t = peer.results[String(b)]!.tokens_per_s;
    return `b${b}×${seq} ours ${fmt(o)} tok/s, torch ${fmt(t)} tok/s, ratio ${(o / t).toFixed(2)}`;
  });
  // fp32 with different summation orders: ~1e-6 relative per op, a few e-5 after a dozen layers.
  const verdict = diff <= 1e-3 * Math.max(1, scale) ? 'agree' : 'DISAGREE: the ratio compares different computations';
  return `forward ${label}: ${cells.join('; ')}; logits max|Δ| ${diff.toExponential(1)} (max|logit| ${scale.toFixed(2)}, ${verdict})`;
}

async function main(): Promise<void> {
  const backend = await initBackend({ threads: THREADS });
  const peerProblem = torchMissing();
  console.log(`Forward pass tokens/s, full logits, median of ${RUNS} runs after ${WARMUP} warm-up`);
  console.log(`ours : ${backend.reason}`);
  console.log(peerProblem === null
    ? `peer : PyTorch via ${TORCH_PYTHON} ${PEER_SCRIPT.slice(ROOT.length + 1)}, ${backend.threads} threads (as many as ours), no_grad, OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'}`
    : `peer : MISSING — ${peerProblem}; only our side is measured`);
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${availableParallelism()} cores)`);
  const work = mkdtempSync(join(tmpdir(), 'featurescope-bench-forward-'));
  const cleanup = (): void => rmSync(work, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const lines: string[] = [];
  try {
    for (const name of models) lines.push(await benchModel(name, work, peerProblem, backend.threads));
  } finally {
    cleanup();
    // No shutdownBackend(): the pool threads are unref'd daemons, and awaiting their termination
    // with nothing else keeping the event loop alive can end the process before the lines below.
  }
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('');
  for (const line of lines) console.log(line);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
