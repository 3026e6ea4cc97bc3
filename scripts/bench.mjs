#!/usr/bin/env node
// `npm run bench`: runs the benchmarks under scripts/bench/ one after another, each in its own
// process (tfjs keeps one backend per process, and one benchmark's memory must not skew the next),
// then prints a summary of the lines that compare us with a peer. Benchmarks never gate CI.
//
//   npm run bench                      # matmul, forward, sae, catalog
//   npm run bench -- --only forward,sae
//   npm run bench -- --list
//   npm run bench -- --only forward --forward-args "--models tiny --runs 3"   # options for one child
//
// Each child's stdout is shown as it comes and also kept, to pull its summary lines out at the end;
// stderr and stdin are the child's own. The load average is recorded around each one, since the
// machine may be shared and a ratio measured on busy cores says less.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TORCH_PYTHON = '/usr/bin/python3';
const tsx = (file) => [process.execPath, ['--import', 'tsx', file]];

const BENCHES = [
  { name: 'matmul', file: 'scripts/bench/matmul.mjs', argv: (f) => [process.execPath, [f]], needsTorch: true, summarize: summarizeMatmul },
  { name: 'forward', file: 'scripts/bench/forward.ts', argv: tsx, needsTorch: false, summarize: summarizeForward },
  { name: 'sae', file: 'scripts/bench/sae.ts', argv: tsx, needsTorch: false, summarize: summarizeSae },
  { name: 'catalog', file: 'scripts/bench/catalog.ts', argv: tsx, needsTorch: false, summarize: summarizeCatalog },
];

function parseCli(argv) {
  let only = null;
  const extra = new Map(); // bench name → its own options, split on whitespace
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const argsFor = /^--([a-z]+)-args$/.exec(flag);
    if (argsFor && BENCHES.some((b) => b.name === argsFor[1])) {
      const value = argv[++i];
      if (value === undefined) fail(`${flag} needs a value, e.g. ${flag} "--runs 3"`);
      extra.set(argsFor[1], value.trim().split(/\s+/).filter(Boolean));
    } else if (flag === '--list') {
      for (const b of BENCHES) console.log(`${b.name.padEnd(8)} ${b.file}`);
      process.exit(0);
    } else if (flag === '--only' || flag.startsWith('--only=')) {
      const value = flag === '--only' ? argv[++i] : flag.slice('--only='.length);
      if (!value) fail('--only needs a comma-separated list, e.g. --only forward,sae');
      only = value.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = only.filter((n) => !BENCHES.some((b) => b.name === n));
      if (unknown.length > 0) fail(`--only: unknown benchmark ${unknown.join(', ')} (known: ${BENCHES.map((b) => b.name).join(', ')})`);
    } else {
      fail(`unknown option ${flag} (use --only a,b, --<name>-args "...", or --list)`);
    }
  }
  const chosen = only === null ? BENCHES : BENCHES.filter((b) => only.includes(b.name));
  return chosen.map((b) => ({ ...b, extraArgs: extra.get(b.name) ?? [] }));
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

/** null when the peer can run, else why not. */
function torchProblem() {
  const probe = spawnSync(TORCH_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.error) return `${TORCH_PYTHON} could not start (${probe.error.code ?? probe.error.message})`;
  if (probe.status !== 0) return `${TORCH_PYTHON} has no torch module (install Debian's python3-torch)`;
  return null;
}

function runChild(bench) {
  const [cmd, base] = bench.argv(join(ROOT, bench.file));
  const args = [...base, ...bench.extraArgs];
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['inherit', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk.toString('utf8');
    });
    child.on('error', (err) => resolvePromise({ code: -1, signal: null, out, error: err.message }));
    child.on('close', (code, signal) => resolvePromise({ code, signal, out, error: null }));
  });
}

// ---- summary lines, one parser per benchmark's own output format ----------------------------

/** matmul.mjs prints a table; its last two columns are wasm/torch ratios at 1 and N threads. */
function summarizeMatmul(out) {
  const lines = out.split('\n');
  const headerAt = lines.findIndex((l) => l.includes('wasm/torch'));
  if (headerAt < 0) return [];
  const header = lines[headerAt].trim().split(/\s{2,}/);
  const ratioCols = header.map((h, i) => [h, i]).filter(([h]) => h.startsWith('wasm/torch'));
  const rows = [];
  for (const line of lines.slice(headerAt + 1)) {
    const cells = line.trim().split(/\s{2,}/);
    if (cells.length !== header.length) break;
    rows.push(`matmul ${cells[0]}×${cells[0]}: ${ratioCols.map(([h, i]) => `${h} ${cells[i]}`).join(', ')}`);
  }
  return rows;
}

/** forward.ts ends with one "forward <model>: ..." line per model. */
function summarizeForward(out) {
  return out.split('\n').filter((l) => l.startsWith('forward '));
}

/** sae.ts ends with an indented JSON object. */
function summarizeSae(out) {
  // scripts/bench/sae.ts ends with one line: "sae-topk-train: ours N tokens/s (…), torch peer M tokens/s (…), ratio R".
  return out.split('\n').filter((l) => l.startsWith('sae-topk-train:'));
}

/** catalog.ts judges itself against fixed latency targets (no peer). */
function summarizeCatalog(out) {
  return out.split('\n').filter((l) => /p95 .*\(target/.test(l)).map((l) => `catalog ${l.trim()}`);
}

// ---------------------------------------------------------------------------------------------

const chosen = parseCli(process.argv.slice(2));
const peerProblem = torchProblem();
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`bench: ${chosen.map((b) => b.name).join(', ')} on ${availableParallelism()} cores; load average ${load()}`);
if (peerProblem !== null) {
  console.log(`bench: PEER MISSING — ${peerProblem}. Benchmarks that need the PyTorch peer print no ratio or fail; ours are still measured where the script allows.`);
}

const results = [];
for (const bench of chosen) {
  const path = join(ROOT, bench.file);
  if (!existsSync(path)) {
    results.push({ bench, status: `not present (${bench.file})`, lines: [] });
    continue;
  }
  const before = load();
  console.log(`\n=== ${bench.name}: ${bench.file} (load average ${before}) ===`);
  const t0 = performance.now();
  const r = await runChild(bench);
  const seconds = (performance.now() - t0) / 1000;
  const ok = r.code === 0;
  let status = ok ? 'ok' : r.error ? `could not start (${r.error})` : r.signal ? `killed by ${r.signal}` : `FAILED (exit ${r.code})`;
  if (!ok && bench.needsTorch && peerProblem !== null) status += ` — peer missing: ${peerProblem}`;
  results.push({ bench, status, seconds, loadBefore: before, loadAfter: load(), lines: bench.summarize(r.out) });
}

console.log('\n=== summary ===');
if (peerProblem !== null) console.log(`PEER MISSING: ${peerProblem}`);
for (const { bench, status, seconds, loadBefore, loadAfter, lines } of results) {
  const timing = seconds === undefined ? '' : `, ${seconds.toFixed(0)} s, load ${loadBefore.split(' ')[0]} → ${loadAfter.split(' ')[0]}`;
  console.log(`${bench.name}: ${status}${timing}`);
  if (lines.length === 0 && status === 'ok') console.log('  (no summary line found in its output; see above)');
  for (const line of lines) console.log(`  ${line}`);
}
process.exitCode = results.some((r) => r.status !== 'ok' && !r.status.startsWith('not present')) ? 1 : 0;
