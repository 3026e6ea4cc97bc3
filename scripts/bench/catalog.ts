// Catalog benchmark: generate a big catalog through the real writers, then time search and
// the feature page on a read-only connection (as the host reads).
//
//   npx tsx scripts/bench/catalog.ts [--features 1000000] [--db /tmp/x.db] [--reuse]
//
// The generated file is kept at --db (default $TMPDIR/featurescope-bench-catalog.db, ~1.2 GB);
// --reuse times it again without regenerating (5 minutes), migrating it first if it is older.
//
// Default size: 1,000,000 features × 2 examples × 10 tokens = 20,000,000 example tokens.
// Per-token activations are one float32 BLOB per example (4 bytes a token), not a row per token:
// that is how the catalog stores them, and what keeps 20M tokens generable in minutes.
// Text comes from a synthetic Zipf vocabulary, so search terms have realistic frequency spread.
// Targets: search p95 < 50 ms, feature page p95 < 20 ms. Generation time is printed, not judged.
import { existsSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openCatalog } from '../../src/catalog/open';
import { getFeaturePage, searchFeatures } from '../../src/catalog/queries';
import type { FeatureRecord, SearchQuery } from '../../src/catalog/types';
import { addTag, beginAnalysis, commitAnalysis, insertModel, insertSae, setUserLabel, writeFeatures } from '../../src/catalog/writes';
import { mulberry32 } from '../../src/engine/random';

const { values: args } = parseArgs({
  options: {
    features: { type: 'string', default: '1000000' },
    db: { type: 'string', default: join(tmpdir(), 'featurescope-bench-catalog.db') },
    reuse: { type: 'boolean', default: false },
    queries: { type: 'string', default: '600' },
    pages: { type: 'string', default: '1000' },
  },
});
const N_FEATURES = Number(args.features);
const EXAMPLES = 2;
const CONTEXT = 10;
const VOCAB = 20_000;
const BATCH = 5_000;
const dbPath = args.db!;

const random = mulberry32(12345);

// Pronounceable distinct words: word i spelled in base-|SYL| syllables.
const SYL = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'po', 'gu', 'di', 'fe', 'ha', 'jo', 'bu', 'ce', 'wa', 'xi', 'yo'];
const vocab = Array.from({ length: VOCAB }, (_, i) => {
  let s = '';
  let n = i + SYL.length; // at least two syllables
  while (n > 0) {
    s = SYL[n % SYL.length]! + s;
    n = Math.floor(n / SYL.length);
  }
  return ` ${s}`;
});
// Zipf (s = 1) over the vocabulary: rank r drawn with probability ∝ 1/r.
const cumulative = new Float64Array(VOCAB);
{
  let acc = 0;
  for (let r = 0; r < VOCAB; r++) cumulative[r] = acc += 1 / (r + 1);
  for (let r = 0; r < VOCAB; r++) cumulative[r]! /= acc;
}
function zipfRank(): number {
  const u = random();
  let lo = 0;
  let hi = VOCAB - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function makeFeature(idx: number): FeatureRecord {
  // Each feature has its own favourite token, spread over the vocabulary (not Zipf: features specialise).
  const theme = vocab[50 + Math.floor(random() * (VOCAB - 50))]!;
  const maxAct = 1 + random() * 49;
  const examples = Array.from({ length: EXAMPLES }, (_, rank) => {
    const at = 3 + Math.floor(random() * 5);
    const tokens = Array.from({ length: CONTEXT }, (_, p) => (p === at ? theme : vocab[zipfRank()]!));
    const peak = maxAct * (1 - rank * 0.2);
    const values = tokens.map((_, p) => (p === at ? peak : p === at + 1 ? peak * 0.3 : 0));
    return { kind: 'top' as const, bucket: 0, rank, tokens, values, doc: Math.floor(random() * 1e6), start: Math.floor(random() * 1000) };
  });
  return {
    idx,
    density: 10 ** (-6 + random() * 5),
    maxAct,
    meanAct: maxAct / 4,
    histogram: { scale: 'log10', lo: -3, hi: 2, counts: Array.from({ length: 20 }, () => Math.floor(random() * 1000)) },
    examples,
    logitEffects: {
      promoted: Array.from({ length: 10 }, (_, i) => [vocab[zipfRank()]!, 2 - i * 0.1] as [string, number]),
      suppressed: Array.from({ length: 10 }, (_, i) => [vocab[zipfRank()]!, -2 + i * 0.1] as [string, number]),
    },
  };
}

function generate(): number {
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  const t0 = performance.now();
  const cat = openCatalog(dbPath);
  const modelId = insertModel(cat, { name: 'bench-model', path: '/models/bench', architecture: 'gpt2', config: {} });
  const saeId = insertSae(cat, {
    name: 'bench-sae',
    modelId,
    hookName: 'blocks.6.hook_resid_post',
    architecture: 'topk',
    dIn: 768,
    dSae: N_FEATURES,
    cfg: { k: 32 },
    metrics: { l0: 32 },
    provenance: { model: 'bench-model', hook: 'blocks.6.hook_resid_post', corpus: 'synthetic', seed: 1, appVersion: '0.1.0', createdAt: Date.now() },
    weightsPath: '/saes/bench',
  });
  const analysisId = beginAnalysis(cat, { saeId, corpusId: null });
  for (let start = 0; start < N_FEATURES; start += BATCH) {
    const batch: FeatureRecord[] = [];
    for (let idx = start; idx < Math.min(start + BATCH, N_FEATURES); idx++) batch.push(makeFeature(idx));
    writeFeatures(cat, analysisId, batch);
    if ((start / BATCH) % 20 === 0) process.stdout.write(`\r  written ${start.toLocaleString()} features…`);
  }
  commitAnalysis(cat, analysisId);
  // Annotations: 1% labelled, tags on 0.2% ('reviewed') and 5% ('bulk').
  cat.db.transaction(() => {
    for (let i = 0; i < N_FEATURES; i += 100) setUserLabel(cat, saeId, i, `label ${vocab[zipfRank()]!.trim()} ${vocab[zipfRank()]!.trim()}`);
    for (let i = 0; i < N_FEATURES; i += 500) addTag(cat, saeId, i, 'reviewed');
    for (let i = 0; i < N_FEATURES; i += 20) addTag(cat, saeId, i, 'bulk');
  })();
  cat.db.pragma('wal_checkpoint(TRUNCATE)');
  cat.close();
  const seconds = (performance.now() - t0) / 1000;
  console.log(`\r  generated ${N_FEATURES.toLocaleString()} features, ${(N_FEATURES * EXAMPLES * CONTEXT).toLocaleString()} example tokens in ${seconds.toFixed(0)} s`);
  return saeId;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function summarize(name: string, times: number[]): { p50: number; p95: number } {
  const s = [...times].sort((a, b) => a - b);
  const r = { p50: percentile(s, 0.5), p95: percentile(s, 0.95) };
  console.log(`  ${name.padEnd(44)} n=${String(times.length).padStart(4)}  p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms  max ${s[s.length - 1]!.toFixed(1).padStart(7)} ms`);
  return r;
}

/**
 * Text queries in the mix use words of Zipf rank ≥ 300 (in English: content words, below the
 * few hundred function words). Frequent and stop-word-like terms are timed apart below.
 */
const CONTENT_RANK = 300;

/** A word whose Zipf rank is log-uniform in [lo, hi): common and rare words alike. */
function wordOfRank(lo: number, hi: number): string {
  return vocab[Math.floor(Math.exp(Math.log(lo) + random() * (Math.log(hi) - Math.log(lo))))]!.trim();
}

function queryMix(saeId: number, n: number): Array<{ kind: string; q: SearchQuery }> {
  const sorts = ['idx', 'density', 'max_act'] as const;
  const out: Array<{ kind: string; q: SearchQuery }> = [];
  for (let i = 0; i < n; i++) {
    const page = { limit: 50, offset: 50 * Math.floor(random() * random() * 20) };
    const densityLo = 10 ** (-6 + random() * 4);
    const range = random() < 0.5 ? { densityMin: densityLo, densityMax: densityLo * 10 } : { maxActMin: 1 + random() * 40, maxActMax: 50 };
    switch (i % 6) {
      case 0:
        out.push({ kind: 'text (one word)', q: { saeId, q: wordOfRank(CONTENT_RANK, VOCAB), ...page } });
        break;
      case 1:
        out.push({ kind: 'text + filter + sort', q: { saeId, q: wordOfRank(CONTENT_RANK, VOCAB), ...range, sort: sorts[i % 3], ...page } });
        break;
      case 2:
        out.push({ kind: 'text (two words / prefix)', q: { saeId, q: random() < 0.5 ? `${wordOfRank(CONTENT_RANK, VOCAB)} ${wordOfRank(CONTENT_RANK, VOCAB)}` : `${wordOfRank(CONTENT_RANK, VOCAB).slice(0, 6)}*`, ...page } });
        break;
      case 3:
        out.push({ kind: 'browse: sort + page', q: { saeId, sort: sorts[i % 3], order: random() < 0.5 ? 'asc' : 'desc', ...page } });
        break;
      case 4:
        out.push({ kind: 'browse: range filter + sort', q: { saeId, ...range, sort: sorts[(i >> 1) % 3], ...page } });
        break;
      default:
        out.push({ kind: 'tags (+ filter)', q: { saeId, tags: [random() < 0.5 ? 'reviewed' : 'bulk'], ...(random() < 0.5 ? range : {}), sort: sorts[i % 3], ...page } });
    }
  }
  return out;
}

function main(): void {
  console.log(`Catalog benchmark: ${dbPath}`);
  let saeId: number;
  console.log(`  load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 cores; timings are wall clock)`);
  if (args.reuse && existsSync(dbPath)) {
    // The engine's open: migrates an older file and runs the integrity check its policy asks for.
    const t = performance.now();
    const c = openCatalog(dbPath);
    saeId = c.db.prepare(`SELECT id FROM saes WHERE name = 'bench-sae'`).pluck().get() as number;
    c.close();
    console.log(`  reusing the existing file; writer open ${((performance.now() - t) / 1000).toFixed(2)} s`);
  } else saeId = generate();
  console.log(`  file size ${(statSync(dbPath).size / 2 ** 20).toFixed(0)} MiB`);

  const t0 = performance.now();
  const reader = openCatalog(dbPath, { readonly: true });
  console.log(`  open (read-only, as the host): ${((performance.now() - t0) / 1000).toFixed(2)} s`);

  // Warm the page cache a little, as a running app would be.
  for (const { q } of queryMix(saeId, 30)) searchFeatures(reader, q);

  const mix = queryMix(saeId, Number(args.queries));
  const all: number[] = [];
  const byKind = new Map<string, number[]>();
  let lowerBounds = 0;
  for (const { kind, q } of mix) {
    const t = performance.now();
    if (searchFeatures(reader, q).totalIsLowerBound) lowerBounds++;
    const ms = performance.now() - t;
    all.push(ms);
    byKind.set(kind, [...(byKind.get(kind) ?? []), ms]);
  }
  console.log('search:');
  for (const [kind, times] of byKind) summarize(kind, times);
  const search = summarize('ALL SEARCHES', all);
  console.log(`  (${lowerBounds} of ${mix.length} totals were lower bounds, shown as "N+")`);

  // Shapes outside the target mix, timed apart: frequent and stop-word-like terms (tens of
  // thousands to millions of example hits), text with each column sort, and deep pages.
  const shapes: Array<[string, () => SearchQuery]> = [
    ['(frequent word, rank 30-300)', () => ({ saeId, q: wordOfRank(30, CONTENT_RANK), limit: 50 })],
    ['(stop-word-like, rank < 30)', () => ({ saeId, q: wordOfRank(1, 30), limit: 50 })],
    ['(frequent word, page at 5,000)', () => ({ saeId, q: wordOfRank(30, CONTENT_RANK), limit: 100, offset: 5000 })],
    ...(['idx', 'density', 'max_act'] as const).map((sort): [string, () => SearchQuery] => [
      `(frequent word, sort ${sort})`,
      () => ({ saeId, q: wordOfRank(30, CONTENT_RANK), sort, order: random() < 0.5 ? 'asc' : 'desc', limit: 100 }),
    ]),
    ...(['idx', 'density', 'max_act'] as const).map((sort): [string, () => SearchQuery] => [
      `(browse deep page, sort ${sort})`,
      () => ({ saeId, sort, order: random() < 0.5 ? 'asc' : 'desc', limit: 100, offset: Math.floor(random() * (N_FEATURES - 100)) }),
    ]),
    ['(filter deep page, density)', () => ({ saeId, densityMin: 1e-4, sort: 'density', limit: 100, offset: Math.floor(random() * 300_000) })],
    ['(tag bulk + range, sort max_act)', () => ({ saeId, tags: ['bulk'], maxActMin: 1 + random() * 40, sort: 'max_act', limit: 100 })],
  ];
  for (const [label, make] of shapes) {
    const times: number[] = [];
    let bounded = 0;
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      if (searchFeatures(reader, make()).totalIsLowerBound) bounded++;
      times.push(performance.now() - t);
    }
    summarize(`${label}${bounded > 0 ? ` ${bounded}/40 N+` : ''}`, times);
  }

  const pageTimes: number[] = [];
  for (let i = 0; i < Number(args.pages); i++) {
    const idx = Math.floor(random() * N_FEATURES);
    const t = performance.now();
    getFeaturePage(reader, saeId, idx);
    pageTimes.push(performance.now() - t);
  }
  console.log('feature page:');
  const page = summarize('getFeaturePage', pageTimes);
  reader.close();

  console.log(`  load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`\nsearch p95 ${search.p95.toFixed(1)} ms (target < 50): ${search.p95 < 50 ? 'met' : 'MISSED'}`);
  console.log(`feature page p95 ${page.p95.toFixed(1)} ms (target < 20): ${page.p95 < 20 ? 'met' : 'MISSED'}`);
}

main();
