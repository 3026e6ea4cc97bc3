#!/usr/bin/env node
// fp32 matmul throughput of the engine's wasm backend, 1 thread vs N threads, against PyTorch
// measured in the same run on the same machine (Debian's python3-torch, CPU), printed as ratios.
// Benchmarks never gate CI: this prints numbers and exits 0 unless a measurement could not run.
//
//   node scripts/bench/matmul.mjs [--threads N] [--seconds S] [--sizes 256,512,1024]
//
// Each wasm configuration runs in its own process (tfjs keeps one backend per process), through
// the engine's initBackend, so the threaded figure is the worker_threads shim the engine uses.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const args = parseArgs(process.argv.slice(2));
const threads = args.threads ?? availableParallelism();
const seconds = args.seconds ?? 1.5;
const sizes = args.sizes ?? [256, 512, 1024];
const root = fileURLToPath(new URL('../../', import.meta.url));
const child = fileURLToPath(new URL('./matmul-child.ts', import.meta.url));
const TORCH_PYTHON = '/usr/bin/python3';

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--threads') out.threads = Number(value);
    else if (flag === '--seconds') out.seconds = Number(value);
    else if (flag === '--sizes') out.sizes = value.split(',').map(Number);
    else throw new Error(`unknown option ${flag} (use --threads N, --seconds S, --sizes a,b,c)`);
  }
  return out;
}

function wasm(threadCount) {
  const env = { ...process.env };
  delete env.FEATURESCOPE_BACKEND;
  delete env.FEATURESCOPE_THREADS;
  const out = execFileSync(process.execPath, ['--import', 'tsx', child, String(threadCount), String(seconds), ...sizes.map(String)], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop());
}

// Same protocol as the child: warm-up, ~50 ms batches, median rate.
const TORCH_SCRIPT = `
import json, sys, time, torch
threads, seconds, sizes = int(sys.argv[1]), float(sys.argv[2]), [int(s) for s in sys.argv[3:]]
torch.set_num_threads(threads)
torch.manual_seed(0)
out = {}
for n in sizes:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    rates, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end or len(rates) < 3:
        t0, it = time.perf_counter(), 0
        while time.perf_counter() - t0 < 0.05:
            torch.mm(a, b); it += 1
        rates.append(2 * n**3 * it / (time.perf_counter() - t0) / 1e9)
    rates.sort()
    out[str(n)] = rates[len(rates) // 2]
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "gflops": out}))
`;

function torch(threadCount) {
  const out = execFileSync(TORCH_PYTHON, ['-c', TORCH_SCRIPT, String(threadCount), String(seconds), ...sizes.map(String)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop());
}

const one = wasm(1);
const many = wasm(threads);
const torchOne = torch(1);
const torchMany = torch(threads);

console.log(`fp32 matmul n×n · n×n, GFLOP/s (median of ~50 ms batches over ${seconds} s per size)`);
console.log(`wasm 1 thread : ${one.backend.reason}`);
console.log(`wasm ${threads} threads: ${many.backend.reason}`);
console.log(`peer          : PyTorch ${torchMany.torch} on CPU via ${TORCH_PYTHON}`);
console.log('');
const header = ['size', 'wasm 1t', `wasm ${many.backend.threads}t`, 'speedup', 'torch 1t', `torch ${torchMany.threads}t`, 'wasm/torch 1t', `wasm/torch ${threads}t`];
const rows = sizes.map((n) => {
  const w1 = one.gflops[n];
  const wn = many.gflops[n];
  const t1 = torchOne.gflops[n];
  const tn = torchMany.gflops[n];
  return [String(n), w1.toFixed(1), wn.toFixed(1), `${(wn / w1).toFixed(2)}×`, t1.toFixed(1), tn.toFixed(1), (w1 / t1).toFixed(2), (wn / tn).toFixed(2)];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padStart(widths[i])).join('  '));
if (many.backend.threads !== threads) console.log(`\nnote: asked for ${threads} wasm threads, got ${many.backend.threads} (see the reason above)`);
