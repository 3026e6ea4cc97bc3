// Forward and capture throughput (tokens/s) of the engine's model runtime beside PyTorch on the same
// safetensors, measured in the same run on the same machine, printed as ratios, with the peak RSS
// of both (issue #15). Models: the bundled default model, and random-weight folders at the real
// shapes of GPT-2-small (F32), Llama-3.2-1B (BF16) and Gemma-2-2B (F32, sharded) written by
// make-real-shapes.ts (fixed seed) into a cache folder, kept between runs, never in the repository.
// A forward computes full logits [batch, seq, d_vocab]; a capture returns the last block's
// hook_resid_post (the engine unembeds only the last position, torch stops before the head). The
// first shape's row-0 logits of both are compared (max abs diff) so we know they computed the same.
// Each model runs in its own child process, so its peak RSS is its own. Benchmarks never gate CI:
// this prints numbers and exits 0 unless a measurement could not run.
//
//   npx tsx scripts/bench/forward.ts [--models tiny,gpt2-small,llama-3.2-1b,gemma-2-2b]
//        [--shapes 1x128,8x512] [--modes forward,capture] [--runs 3] [--warmup 1] [--threads 2]
//        [--layers N] [--cache DIR]
//   (older flags: --batches 1,8 --seq 128 mean --shapes 1x128,8x128)
//
// Peer: /usr/bin/python3 scripts/reference/torch_forward_bench.py (Debian's torch, same thread
// count). When that python has no torch the engine is still measured and the line says so.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend/index';
import { loadModel } from '../../src/engine/model/index';
import { Rng } from '../../src/engine/random';
import { readback } from '../../src/engine/readback';
import { makeRealShape, REAL_SHAPES, type RealShape } from './make-real-shapes';

const ROOT = resolve(__dirname, '../..');
const BUNDLED = join(ROOT, 'resources/models/featurescope-tiny');
const PEER_SCRIPT = join(ROOT, 'scripts/reference/torch_forward_bench.py');
const TORCH_PYTHON = '/usr/bin/python3';
const MODELS = ['tiny', ...REAL_SHAPES] as const;
type ModelName = (typeof MODELS)[number];
type Mode = 'forward' | 'capture';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: MODELS.join(',') },
    shapes: { type: 'string' },
    batches: { type: 'string' },
    seq: { type: 'string' },
    modes: { type: 'string', default: 'forward,capture' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    layers: { type: 'string' },
    cache: { type: 'string', default: join(tmpdir(), 'featurescope-real-shapes') },
    child: { type: 'string' }, // internal: measure one model in this process, write JSON to --out
    out: { type: 'string' },
  },
});
const models = args.models!.split(',').map((m) => {
  if (!(MODELS as readonly string[]).includes(m)) throw new Error(`--models: unknown model "${m}" (known: ${MODELS.join(', ')})`);
  return m as ModelName;
});
const SHAPES: [number, number][] = (
  args.shapes ?? (args.batches !== undefined || args.seq !== undefined ? (args.batches ?? '1,8').split(',').map((b) => `${b}x${args.seq ?? '128'}`).join(',') : '1x128,8x512')
)
  .split(',')
  .map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s.trim());
    if (m === null) throw new Error(`--shapes: "${s}" is not BATCHxSEQ, e.g. 1x128`);
    return [Number(m[1]), Number(m[2])];
  });
const MODES = args.modes!.split(',').map((m) => {
  if (m !== 'forward' && m !== 'capture') throw new Error(`--modes: "${m}" is not forward or capture`);
  return m as Mode;
});
const RUNS = Number(args.runs);
const WARMUP = Number(args.warmup);
const THREADS = Number(args.threads);
const LAYERS = args.layers === undefined ? undefined : Number(args.layers);

interface Cell {
  mode: Mode;
  shape: string;
  medianS: number;
  tokensPerS: number;
}
/** What a child reports for one model. */
interface OursReport {
  label: string;
  describe: string;
  weightBytes: number;
  seqCap: number;
  cells: Cell[];
  error: string | null;
  peakRssBytes: number;
  backend: string;
}
interface PeerOutput {
  torch: string;
  threads: number;
  load_s: number;
  peak_rss_bytes: number;
  results: Record<string, { median_s: number; runs_s: number[]; tokens_per_s: number }>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function randomIds(vocab: number, rows: number, seq: number, seed: number): number[][] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: rows }, () => Array.from({ length: seq }, () => rng.nextUint32() % vocab));
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;
const shapeLabel = (b: number, t: number): string => `${b}x${t}`;

function modelDir(name: ModelName): { dir: string; bytes: number } {
  if (name === 'tiny') return { dir: BUNDLED, bytes: 0 };
  const dir = join(args.cache!, LAYERS === undefined ? name : `${name}-L${LAYERS}`);
  mkdirSync(args.cache!, { recursive: true });
  const t0 = performance.now();
  const { bytes, reused } = makeRealShape(name as RealShape, dir, LAYERS === undefined ? {} : { layers: LAYERS });
  console.log(`  ${name}: ${gb(bytes)} of random weights in ${dir} (${reused ? 'kept from an earlier run' : `written in ${((performance.now() - t0) / 1000).toFixed(1)} s`})`);
  return { dir, bytes };
}

/** Child: times our forward and capture at every shape, in this process (its peak RSS is this model's). */
async function measureOurs(name: ModelName, dir: string, tokensPath: string, logitsPath: string): Promise<OursReport> {
  const backend = await initBackend({ threads: THREADS });
  const report: OursReport = { label: name, describe: '', weightBytes: 0, seqCap: 0, cells: [], error: null, peakRssBytes: 0, backend: backend.reason };
  try {
    const model = await loadModel(dir);
    const c = model.config;
    report.seqCap = c.maxPositions ?? Number.MAX_SAFE_INTEGER;
    report.describe = `d_model ${c.dModel}, ${c.nLayers} layers, ${c.nHeads} heads (${c.nKvHeads} kv), vocab ${c.vocabSize}, ${(model.parameterCount() / 1e6).toFixed(1)}M parameters`;
    console.log(`  ${report.describe}; ${backend.reason.split('.')[0]}`);
    const rows = JSON.parse(readFileSync(tokensPath, 'utf8')) as number[][];
    const captureHook = `blocks.${c.nLayers - 1}.hook_resid_post`;
    const once = (mode: Mode, r: number[][]): number => {
      const t0 = performance.now();
      if (mode === 'forward') {
        const { logits } = model.run(r); // [batch, pos, d_vocab]
        const [b, p, v] = logits.shape;
        readback(() => logits.slice([b - 1, p - 1, v - 1], [1, 1, 1])); // makes any backend finish
        logits.dispose();
      } else {
        const { logits, captured } = model.run(r, { capture: [captureHook], lastPositionOnly: true });
        logits.dispose();
        const act = captured.get(captureHook)!;
        act.dataSync(); // a capture job reads the activation back to store it
        act.dispose();
      }
      return (performance.now() - t0) / 1000;
    };
    let first = true;
    for (const [b, t] of SHAPES) {
      const r = rows.slice(0, b).map((row) => row.slice(0, t));
      if (first) {
        // Weights load lazily on the first run; the row-0 logits of the first shape are the agreement check.
        const logits = model.run(r.slice(0, 1)).logits;
        const data = readback(() => logits.reshape([-1]));
        logits.dispose();
        writeFileSync(logitsPath, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        first = false;
      }
      for (const mode of MODES) {
        for (let i = 0; i < WARMUP; i++) once(mode, r);
        const times = Array.from({ length: RUNS }, () => once(mode, r));
        const medianS = median(times);
        report.cells.push({ mode, shape: shapeLabel(b, t), medianS, tokensPerS: (b * t) / medianS });
        console.log(`  ours  ${mode.padEnd(7)} ${shapeLabel(b, t)}: ${fmt((b * t) / medianS)} tok/s (median ${medianS.toFixed(3)} s of ${RUNS})`);
      }
    }
    model.dispose();
  } catch (err) {
    report.error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    console.log(`  ours  could not run: ${report.error}`);
  }
  report.peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return report;
}

function torchMissing(): string | null {
  const probe = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error) return `${TORCH_PYTHON} could not start (${probe.error.message})`;
  if (probe.status !== 0) return `${TORCH_PYTHON} has no torch (install Debian's python3-torch)`;
  return null;
}

function runPeer(dir: string, tokensPath: string, logitsPath: string, shapes: [number, number][]): PeerOutput {
  // libgomp's default active spin-wait collapses (≈30× slower here) when the cores are shared with
  // other processes; passive waiting is the peer's best setting on a busy machine, so it gets it.
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const out = execFileSync(
    TORCH_PYTHON,
    [PEER_SCRIPT, '--model', dir, '--tokens', tokensPath, '--shapes', shapes.map(([b, t]) => shapeLabel(b, t)).join(','),
      '--modes', MODES.join(','), '--runs', String(RUNS), '--warmup', String(WARMUP), '--threads', String(THREADS), '--logits-out', logitsPath],
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

const readF32 = (path: string): Float32Array => {
  const raw = readFileSync(path);
  return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
};

/** Parent: one model, ours in a child process, then the torch peer; returns the summary line. */
function benchModel(name: ModelName, work: string, peerProblem: string | null): string {
  const { dir, bytes } = modelDir(name);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { vocab_size: number; n_positions?: number; max_position_embeddings?: number };
  const context = config.n_positions ?? config.max_position_embeddings ?? Number.MAX_SAFE_INTEGER;
  const shapes = SHAPES.map(([b, t]): [number, number] => [b, Math.min(t, context)]); // the bundled model reads 128 positions at most
  const seqMax = Math.max(...shapes.map(([, t]) => t));
  const tokensPath = join(work, `${name}-tokens.json`);
  writeFileSync(tokensPath, JSON.stringify(randomIds(config.vocab_size, Math.max(...shapes.map(([b]) => b)), seqMax, 7)));
  const oursOut = join(work, `${name}-ours.json`), oursLogits = join(work, `${name}-ours-logits.f32`);
  const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, ...process.argv.slice(2), '--shapes', shapes.map(([b, t]) => shapeLabel(b, t)).join(','), '--child', name, '--out', oursOut], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (child.status !== 0) return `forward ${name}: ours FAILED (exit ${child.status ?? child.signal}; a crash, or out of memory)`;
  const ours = JSON.parse(readFileSync(oursOut, 'utf8')) as OursReport;
  const label = name === 'tiny' ? 'featurescope-tiny' : `${name}-random${LAYERS === undefined ? '' : `-L${LAYERS}`}`;
  const weights = bytes > 0 ? `, weights ${gb(bytes)} stored` : '';
  const oursRss = `ours peak RSS ${gb(ours.peakRssBytes)}`;
  if (ours.error !== null && ours.cells.length === 0) {
    return `forward ${label}: ours could not run (${ours.error}); ${oursRss}${weights}`;
  }
  const cellsOf = (mode: Mode, shape: string): Cell | undefined => ours.cells.find((c) => c.mode === mode && c.shape === shape);
  if (peerProblem !== null) {
    return `forward ${label}: ${ours.cells.map((c) => `${c.mode} ${c.shape} ours ${fmt(c.tokensPerS)} tok/s`).join('; ')}; ${oursRss}${weights}; torch peer missing: ${peerProblem}`;
  }
  const peerLogits = join(work, `${name}-torch-logits.f32`);
  let peer: PeerOutput;
  try {
    peer = runPeer(dir, tokensPath, peerLogits, shapes);
  } catch (err) {
    return `forward ${label}: torch peer FAILED (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); ${oursRss}`;
  }
  for (const [key, p] of Object.entries(peer.results)) console.log(`  torch ${key.padEnd(15)}: ${fmt(p.tokens_per_s)} tok/s (median ${p.median_s.toFixed(3)} s of ${RUNS})`);
  const cells = shapes.flatMap(([b, t]) =>
    MODES.map((mode) => {
      const o = cellsOf(mode, shapeLabel(b, t)), p = peer.results[`${mode} ${shapeLabel(b, t)}`];
      if (o === undefined || p === undefined) return `${mode} ${shapeLabel(b, t)} not measured`;
      return `${mode} ${shapeLabel(b, t)} ours ${fmt(o.tokensPerS)} tok/s, torch ${fmt(p.tokens_per_s)} tok/s, ratio ${(o.tokensPerS / p.tokens_per_s).toFixed(2)}`;
    }),
  );
  const rss = `peak RSS ours ${gb(ours.peakRssBytes)}, torch ${gb(peer.peak_rss_bytes)}${weights}`;
  if (!existsSync(peerLogits)) return `forward ${label}: ${cells.join('; ')}; ${rss}; logits not compared (no forward mode)`;
  const { diff, scale } = maxAbsDiff(readF32(oursLogits), readF32(peerLogits));
  // fp32 with different summation orders: ~1e-6 relative per op, a few e-5 after a dozen layers.
  const verdict = diff <= 1e-3 * Math.max(1, scale) ? 'agree' : 'DISAGREE: the ratio compares different computations';
  return `forward ${label}: ${cells.join('; ')}; ${rss}; logits max|Δ| ${diff.toExponential(1)} (max|logit| ${scale.toFixed(2)}, ${verdict})`;
}

async function main(): Promise<void> {
  if (args.child !== undefined) {
    const name = args.child as ModelName;
    const dir = name === 'tiny' ? BUNDLED : join(args.cache!, LAYERS === undefined ? name : `${name}-L${LAYERS}`);
    const work = resolve(args.out!, '..');
    const report = await measureOurs(name, dir, join(work, `${name}-tokens.json`), join(work, `${name}-ours-logits.f32`));
    writeFileSync(args.out!, JSON.stringify(report));
    process.exit(0); // the wasm pool's threads are unref'd; leave without waiting on them
  }
  const peerProblem = torchMissing();
  console.log(`Forward and capture tokens/s, median of ${RUNS} runs after ${WARMUP} warm-up; shapes ${SHAPES.map(([b, t]) => shapeLabel(b, t)).join(', ')}; ${THREADS} threads`);
  console.log(peerProblem === null
    ? `peer : PyTorch via ${TORCH_PYTHON} ${PEER_SCRIPT.slice(ROOT.length + 1)}, ${THREADS} threads (as many as ours), no_grad, OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'}`
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
    for (const name of models) {
      console.log(`${name}:`);
      const line = benchModel(name, work, peerProblem);
      console.log(`  load average now: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
      lines.push(line);
    }
  } finally {
    cleanup();
  }
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('');
  for (const line of lines) console.log(line);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
