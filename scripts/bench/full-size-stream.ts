// The full-size run of issue #15: a Gemma-2-2B-shaped folder (26 layers, d_model 2304, vocab
// 256,000, BF16, 5.2 GB of random weights from scripts/reference/real_width_gemma2.py) through the
// engine under its own memory plan (no forced limits), beside PyTorch's forward of the same file:
// last-position logits compared (max |ours − torch| / max |torch|), greedy continuations compared,
// tokens/s of generation and peak RSS of this process. Needs ~10 GB RAM and minutes: run it by hand,
// once, on an idle machine. Benchmarks never gate CI: prints one JSON line and exits 0 unless a
// measurement could not run.
//
//   npx tsx scripts/bench/full-size-stream.ts [--dir /tmp/featurescope-gemma-2-2b-bf16] [--generate 8]
//        [--tokens 2,651,3413,...]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../src/engine/backend/index';
import { loadModel } from '../../src/engine/model/index';

const ROOT = resolve(__dirname, '../..');
const PEER = join(ROOT, 'scripts/reference/real_width_gemma2.py');

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: join(tmpdir(), 'featurescope-gemma-2-2b-bf16') },
    generate: { type: 'string', default: '8' },
    tokens: { type: 'string', default: '2,651,3413,11031,576,1105,17,30,9000,128000' },
    'skip-torch': { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const tokens = args.tokens.split(',').map(Number);
  const generate = Number(args.generate);
  const logitsPath = join(tmpdir(), 'featurescope-full-size.torch-logits.f32');
  const backend = await initBackend({});
  const t0 = Date.now();
  const model = await loadModel(args.dir);
  const plan = model.memoryPlan;

  const f0 = Date.now();
  const { logits, captured } = model.run([tokens], { lastPositionOnly: true });
  for (const t of captured.values()) t.dispose();
  const ours = logits.dataSync().slice();
  logits.dispose();
  // Kept for a later comparison when the torch side runs separately (--skip-torch).
  writeFileSync(join(tmpdir(), 'featurescope-full-size.ours-logits.f32'), ours);
  const forwardSeconds = (Date.now() - f0) / 1000;

  const g0 = Date.now();
  const continuation: number[] = [];
  for await (const t of model.generate(tokens, { maxNewTokens: generate, stopTokens: [] })) continuation.push(t.token);
  const generateSeconds = (Date.now() - g0) / 1000;
  model.dispose();
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;

  let torch: Record<string, unknown> = { skipped: true };
  if (!args['skip-torch']) {
    const py = spawnSync('/usr/bin/python3', [PEER, '--out', args.dir, '--layers', '26', '--vocab', '256000', '--tokens', JSON.stringify([tokens]), '--logits-out', logitsPath, '--last-only', '--greedy', String(generate)], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(`torch peer failed: ${py.stderr}`);
    const peer = JSON.parse(py.stdout.trim().split('\n').pop() ?? '{}') as { greedy: number[]; seconds: number };
    const bytes = readFileSync(logitsPath);
    const theirs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < theirs.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((ours[i] ?? NaN) - theirs[i]!));
      maxRef = Math.max(maxRef, Math.abs(theirs[i]!));
    }
    torch = { relativeError: maxDiff / maxRef, greedy: peer.greedy, sameContinuation: JSON.stringify(peer.greedy) === JSON.stringify(continuation), forwardSeconds: peer.seconds };
  }
  console.log(JSON.stringify({
    backend: backend.name,
    threads: backend.threads,
    plan: { mode: plan.mode, peakBackendBytes: plan.peakBackendBytes, peakProcessBytes: plan.peakProcessBytes, backendLimitBytes: plan.backendLimitBytes },
    promptTokens: tokens.length,
    openSeconds: (f0 - t0) / 1000,
    forwardSeconds,
    generateSeconds,
    tokensPerSecond: generate / generateSeconds,
    continuation,
    peakRssBytes,
    torch,
  }));
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
