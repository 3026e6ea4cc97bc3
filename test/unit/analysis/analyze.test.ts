// analyzeSae end to end on the tiny GPT-2 and Llama fixtures (wasm): everything the catalog shows
// is checked against a brute-force computation over every token — the model run one window at a
// time and the SAE applied in plain float64 JS — and against W_dec·W_U computed directly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import { getFeaturePage, searchFeatures } from '../../../src/catalog/queries';
import { listSaes } from '../../../src/catalog/saes';
import type { StoredExample } from '../../../src/catalog/types';
import { insertModel, insertSae } from '../../../src/catalog/writes';
import { analyzeSae, type AnalyzeOptions } from '../../../src/engine/analysis/analyze';
import { contextSlice } from '../../../src/engine/analysis/examples';
import { computeLogitEffects } from '../../../src/engine/analysis/logitEffects';
import { type BucketSampler, sampleKey } from '../../../src/engine/analysis/quantileSampler';
import { initBackend } from '../../../src/engine/backend';
import { type CorpusSpec, readCorpus, scanCorpus } from '../../../src/engine/capture/corpus';
import { makeWindows, type WindowSettings } from '../../../src/engine/capture/windows';
import { WeightStore } from '../../../src/engine/formats/sharded';
import { createJobContext } from '../../../src/engine/jobs/context';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { createSae } from '../../../src/engine/sae/registry';
import type { Sae, SaeArchitecture } from '../../../src/engine/sae/sae';
import { saveSaeLens } from '../../../src/engine/sae/io/saelens';
import type { Progress } from '../../../src/shared/contract';
import { FeaturescopeError } from '../../../src/shared/errors';
import { seededFloats } from '../sae/helpers/backend';

const FIXTURES = resolve(__dirname, '../../fixtures/models');
const EOT = 298;
const BOS = 299;
const root = mkdtempSync(join(tmpdir(), 'fs-analysis-'));
let gpt2: LoadedModel;
let llama: LoadedModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1 });
  gpt2 = await loadModel(join(FIXTURES, 'gpt2'));
  llama = await loadModel(join(FIXTURES, 'llama'));
});
afterAll(() => {
  gpt2.dispose();
  llama.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** Deterministic English-like documents (LCG). */
function documents(count: number, seed: number): string[] {
  const words = 'the a cat dog sat ran on under mat tree blue green quickly slowly and with far away house river stone light'.split(' ');
  let s = seed >>> 0;
  const next = (n: number): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n;
  return Array.from({ length: count }, () => {
    const n = 3 + next(25);
    return `${Array.from({ length: n }, () => words[next(words.length)]).join(' ')}.`;
  });
}

function writeJsonl(name: string, docs: string[]): CorpusSpec {
  const path = join(root, name);
  writeFileSync(path, docs.map((text) => JSON.stringify({ text })).join('\n'));
  return { kind: 'jsonl', path };
}

interface Reference {
  windows: { tokens: number[]; keep: Uint8Array; acts: Float64Array /* [L, d_sae] */ }[];
  tokens: number;
}

/** Every window the analysis should see, the model run on each alone, the SAE in float64 JS. */
async function reference(model: LoadedModel, spec: CorpusSpec, settings: WindowSettings, hook: string, encode: (x: Float32Array) => Float64Array): Promise<Reference> {
  const scan = await scanCorpus(spec);
  const windows: Reference['windows'] = [];
  let tokens = 0;
  for (const w of makeWindows(readCorpus(spec, scan), (t) => model.tokenizer.encode(t, { addSpecialTokens: false }), settings)) {
    const { logits, captured } = model.run([w.tokens], { capture: [hook], lastPositionOnly: true });
    logits.dispose();
    const x = captured.get(hook)!.dataSync() as Float32Array;
    captured.get(hook)!.dispose();
    windows.push({ tokens: w.tokens, keep: w.keep, acts: encode(x) });
    for (const k of w.keep) tokens += k;
  }
  return { windows, tokens };
}

/** A hand-built SAE: feature i reads direction u_i with threshold −b_i; decoder rows random. */
function buildSae(arch: SaeArchitecture, dIn: number, dSae: number, hook: string, bias: Float32Array, seed: number, k?: number): { sae: Sae; wEnc: Float32Array; encode: (x: Float32Array) => Float64Array } {
  const wEnc = seededFloats(dIn * dSae, seed); // [d_in, d_sae]
  const wDec = seededFloats(dSae * dIn, seed + 1); // [d_sae, d_in]
  const sae = createSae(
    { architecture: arch, d_in: dIn, d_sae: dSae, apply_b_dec_to_input: false, normalize_activations: 'none', dtype: 'float32', ...(k ? { k } : {}), metadata: { hook_name: hook, model_name: 'fixture' } },
    { W_enc: tf.tensor2d(wEnc, [dIn, dSae]), W_dec: tf.tensor2d(wDec, [dSae, dIn]), b_enc: tf.tensor1d(bias), b_dec: tf.zeros([dIn]) as tf.Tensor1D },
  );
  const encode = (x: Float32Array): Float64Array => {
    const L = x.length / dIn;
    const out = new Float64Array(L * dSae);
    for (let p = 0; p < L; p++) {
      const pre = new Float64Array(dSae);
      for (let i = 0; i < dSae; i++) {
        let s = bias[i]!;
        for (let j = 0; j < dIn; j++) s += x[p * dIn + j]! * wEnc[j * dSae + i]!;
        pre[i] = s;
      }
      const cut = k ? [...pre].sort((a, b) => b - a)[k - 1]! : -Infinity;
      for (let i = 0; i < dSae; i++) out[p * dSae + i] = pre[i]! >= cut && pre[i]! > 0 ? pre[i]! : 0;
    }
    return out;
  };
  return { sae, wEnc, encode };
}

/** Biases putting feature i's threshold between two neighbouring projections at quantile q_i (no float ties at 0). */
function thresholds(model: LoadedModel, ref: { windows: { keep: Uint8Array }[] }, xs: Float32Array[], wEnc: Float32Array, dIn: number, dSae: number, quantiles: number[]): Float32Array {
  const bias = new Float32Array(dSae).fill(-1e6); // features without a quantile are dead
  quantiles.forEach((q, i) => {
    const proj: number[] = [];
    xs.forEach((x, w) => {
      const keep = ref.windows[w]!.keep;
      for (let p = 0; p < keep.length; p++) {
        if (keep[p] !== 1) continue;
        let s = 0;
        for (let j = 0; j < dIn; j++) s += x[p * dIn + j]! * wEnc[j * dSae + i]!;
        proj.push(s);
      }
    });
    proj.sort((a, b) => a - b);
    let at = Math.floor(q * (proj.length - 1));
    // Equal projections (same token at the same position) must not straddle the threshold.
    while (at + 2 < proj.length && proj[at + 1]! - proj[at]! < 1e-3) at++;
    bias[i] = -(proj[at]! + proj[at + 1]!) / 2;
  });
  return bias;
}

function residuals(model: LoadedModel, windows: { tokens: number[] }[], hook: string): Float32Array[] {
  return windows.map((w) => {
    const { logits, captured } = model.run([w.tokens], { capture: [hook], lastPositionOnly: true });
    logits.dispose();
    const x = captured.get(hook)!.dataSync() as Float32Array;
    captured.get(hook)!.dispose();
    return x;
  });
}

function quietContext(signal = new AbortController().signal, onProgress: (p: Progress) => void = () => {}) {
  const changed: string[][] = [];
  const ctx = createJobContext('job-1', signal, onProgress, (t) => changed.push(t));
  return { ctx, changed };
}

function newCatalog(name: string, dSae: number, hook: string, dIn = 32): { cat: Catalog; saeId: number } {
  const cat = openCatalog(join(root, name));
  const modelId = insertModel(cat, { name: 'fixture', path: '/fixture', architecture: 'gpt2', config: {} });
  const saeId = insertSae(cat, {
    name: 'hand-built',
    modelId,
    hookName: hook,
    architecture: 'standard',
    dIn,
    dSae,
    cfg: {},
    metrics: {},
    provenance: { model: 'fixture', hook, corpus: null, seed: 1, appVersion: '0.0.0', createdAt: 1 },
    weightsPath: '/sae',
  });
  return { cat, saeId };
}

const close = (a: number, b: number, rel = 1e-4): boolean => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

/** Every 5th window (ids 4, 9, …) is held out: it gives no examples and scores the explanations. */
const heldOut = (window: number): boolean => window % 5 === 4;

/** Brute-force window peaks of feature f over the windows examples come from: first position of the max over kept tokens. */
function peaks(ref: Reference, f: number, dSae: number): { act: number; window: number; pos: number }[] {
  const out: { act: number; window: number; pos: number }[] = [];
  ref.windows.forEach((w, window) => {
    if (heldOut(window)) return;
    let best = 0;
    let pos = -1;
    for (let p = 0; p < w.keep.length; p++) {
      const a = w.acts[p * dSae + f]!;
      if (w.keep[p] === 1 && a > best) {
        best = a;
        pos = p;
      }
    }
    if (pos >= 0) out.push({ act: best, window, pos });
  });
  return out.sort((a, b) => b.act - a.act || a.window - b.window);
}

/**
 * The explanation's score by brute force over the held-out windows: a token is predicted when it
 * is one of the explanation's tokens (case and spaces folded), and fires at ½ of the feature's max.
 */
function bruteForceScore(ref: Reference, f: number, dSae: number, max: number, topTokens: string[], model: LoadedModel) {
  const fold = (t: string) => (t.trim() === '' ? t : t.trim().toLowerCase());
  const named = new Set(topTokens.map(fold));
  let tokens = 0;
  let predicted = 0;
  let firing = 0;
  let hits = 0;
  ref.windows.forEach((w, window) => {
    if (!heldOut(window)) return;
    w.tokens.forEach((id, p) => {
      if (w.keep[p] !== 1) return;
      tokens++;
      const fires = w.acts[p * dSae + f]! >= max / 2;
      const says = named.has(fold(model.tokenizer.decode([id])));
      if (fires) firing++;
      if (says) predicted++;
      if (fires && says) hits++;
    });
  });
  const near = (v: number | null) => (v === null ? null : expect.closeTo(v, 9));
  return {
    precision: near(predicted === 0 ? null : hits / predicted),
    recall: near(firing === 0 ? null : hits / firing),
    f1: near(predicted + firing === 0 ? null : (2 * hits) / (predicted + firing)),
    heldOutTokens: tokens,
    heldOutFirings: firing,
  };
}

/** Checks one example against the reference window it must come from. */
function checkExample(e: StoredExample, w: Reference['windows'][number], pos: number, f: number, dSae: number, model: LoadedModel, docTokens: number[][], contextWindow: number): void {
  const [from, to] = contextSlice(w.tokens.length, pos, contextWindow);
  expect(e.tokens).toEqual(w.tokens.slice(from, to).map((id) => model.tokenizer.decode([id])));
  e.values.forEach((v, j) => {
    const p = from + j;
    const expected = w.keep[p] === 1 ? w.acts[p * dSae + f]! : 0;
    expect(close(v, expected), `value at ${p}: ${v} vs ${expected}`).toBe(true);
  });
  // doc/start point at the same tokens in the document's own token stream.
  const stream = docTokens[e.doc]!;
  const shown = w.tokens.slice(from, to);
  const offsetInShown = stream[e.start] === shown[0] ? 0 : 1; // an added BOS has no place in the corpus
  for (let j = offsetInShown; j < shown.length && e.start + j - offsetInShown < stream.length; j++) {
    expect(stream[e.start + j - offsetInShown]).toBe(shown[j]);
  }
}

async function runAndCheck(model: LoadedModel, opts: { arch: SaeArchitecture; hook: string; bos: 'separator' | 'prepend'; k?: number; dbName: string; dIn?: number }) {
  const dIn = opts.dIn ?? 32;
  const dSae = 12;
  const docs = documents(60, 11);
  const spec = writeJsonl(`${opts.dbName}.jsonl`, docs);
  const bosId = opts.bos === 'separator' ? EOT : BOS;
  const settings: WindowSettings = { contextLength: 16, bos: opts.bos, bosTokenId: bosId, maskSpecialTokens: true, specialTokenIds: [EOT, BOS] };
  const docTokens = docs.map((d) => [bosId, ...model.tokenizer.encode(d, { addSpecialTokens: false })]);

  // Windows and residuals first, then thresholds from their projections, then the reference acts.
  const scan = await scanCorpus(spec);
  const rawWindows = [...makeWindows(readCorpus(spec, scan), (t) => model.tokenizer.encode(t, { addSpecialTokens: false }), settings)];
  const xs = residuals(model, rawWindows, opts.hook);
  const probe = buildSae(opts.arch, dIn, dSae, opts.hook, new Float32Array(dSae), 3, opts.k);
  probe.sae.dispose();
  const quantiles = opts.arch === 'topk' ? [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99] : [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999];
  const bias = thresholds(model, { windows: rawWindows }, xs, probe.wEnc, dIn, dSae, quantiles);
  const built = buildSae(opts.arch, dIn, dSae, opts.hook, bias, 3, opts.k);
  const ref = await reference(model, spec, settings, opts.hook, built.encode);
  const saeDir = join(root, `${opts.dbName}-sae`);
  saveSaeLens(saeDir, built.sae);
  built.sae.dispose();

  const { cat, saeId } = newCatalog(`${opts.dbName}.db`, dSae, opts.hook, dIn);
  let sampler: BucketSampler | undefined;
  let largestHeap = 0;
  const progress: Progress[] = [];
  const { ctx, changed } = quietContext(undefined, (p) => progress.push(p));
  const options: AnalyzeOptions = { modelDir: model.dir, saePath: saeDir, corpus: spec, contextLength: 16, topExamples: 5, quantileBuckets: 4, samplesPerBucket: 3, contextWindow: 10, bos: opts.bos, saeId, corpusId: null, batchSize: 4, seed: 9, writeBatch: 5 };
  const result = await analyzeSae(options, cat, ctx, {
    model,
    onBatch: (s) => {
      sampler = s.sampler;
      largestHeap = Math.max(largestHeap, s.topK.largestSize());
    },
  });

  expect(result.tokens).toBe(ref.tokens);
  expect(result.windows).toBe(ref.windows.length);
  expect(result.heldOutWindows).toBe(ref.windows.filter((_, w) => heldOut(w)).length);
  expect(result.features).toBe(dSae);
  expect(result.deadFeatures).toBe(2);
  // The SAE's figures carry the analysis's dead fraction and its token count (#18 finding 3).
  expect(listSaes(cat).find((s) => s.id === saeId)!.metrics).toMatchObject({ analysis_tokens: ref.tokens, analysis_dead_fraction: 2 / dSae });
  expect(ref.windows.length).toBeGreaterThan(40); // many more candidate windows than k
  expect(largestHeap).toBe(5);
  expect(changed.at(-1)).toContain('features');
  const tokenProgress = progress.filter((p) => p.unit === 'tokens');
  expect(tokenProgress.at(-1)!.done).toBe(ref.tokens);
  expect(tokenProgress.at(-1)!.metrics!.tokensPerSecond).toBeGreaterThan(0);

  const f1s: number[] = [];
  for (let f = 0; f < dSae; f++) {
    const page = getFeaturePage(cat, saeId, f);
    if (page.explanationScore?.f1 != null) f1s.push(page.explanationScore.f1);
    let active = 0;
    let sum = 0;
    let max = 0;
    for (const w of ref.windows) {
      for (let p = 0; p < w.keep.length; p++) {
        const a = w.acts[p * dSae + f]!;
        if (w.keep[p] === 1 && a > 0) {
          active++;
          sum += a;
          max = Math.max(max, a);
        }
      }
    }
    expect(page.feature.density).toBeCloseTo(active / ref.tokens, 12);
    if (active === 0) {
      expect(page.feature).toMatchObject({ density: 0, maxAct: 0, meanAct: 0, histogram: null });
      expect(page.examples).toEqual([]);
      expect(page.label.auto).toBe('');
      continue;
    }
    expect(close(page.feature.maxAct, max)).toBe(true);
    expect(close(page.feature.meanAct, sum / active)).toBe(true);
    expect(page.feature.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(active);
    expect(page.label.auto).not.toBe('');
    expect(page.explanationScore).toEqual(bruteForceScore(ref, f, dSae, max, page.feature.topTokens, model));

    // Top examples: the 5 best window peaks, in order, each with its context and per-token values.
    const expected = peaks(ref, f, dSae);
    const top = page.examples.filter((e) => e.kind === 'top').sort((a, b) => a.rank - b.rank);
    expect(top.length).toBe(Math.min(5, expected.length));
    top.forEach((e, r) => {
      const want = expected[r]!;
      expect(close(e.maxAct, want.act), `feature ${f} rank ${r}: ${e.maxAct} vs ${want.act}`).toBe(true);
      const tied = expected.some((o, j) => j !== r && close(o.act, want.act, 1e-5));
      if (!tied) checkExample(e, ref.windows[want.window]!, want.pos, f, dSae, model, docTokens, 10);
    });

    // Quantile samples: per bucket, the 3 smallest seeded keys among the window peaks in that bucket.
    const quant = page.examples.filter((e) => e.kind === 'quantile');
    for (let b = 0; b < 4; b++) {
      const [lo, hi] = sampler!.bucketRange(f, page.feature.maxAct, b)!;
      const want = expected
        .filter((e) => e.act >= lo && e.act < hi)
        .map((e) => ({ ...e, key: sampleKey(e.window, f, 9) }))
        .sort((x, y) => x.key - y.key || x.window - y.window)
        .slice(0, 3)
        .sort((x, y) => y.act - x.act || x.window - y.window);
      const got = quant.filter((e) => e.bucket === b).sort((x, y) => x.rank - y.rank);
      expect(got.map((e) => e.maxAct).length).toBe(want.length);
      got.forEach((e, r) => {
        expect(close(e.maxAct, want[r]!.act)).toBe(true);
        checkExample(e, ref.windows[want[r]!.window]!, want[r]!.pos, f, dSae, model, docTokens, 10);
      });
    }
  }
  // Every live feature is scored, and the scores tell explanations apart (not all perfect, not all 0).
  expect(f1s.length).toBe(dSae - 2);
  expect(Math.max(...f1s) - Math.min(...f1s)).toBeGreaterThan(0.05);
  const all = searchFeatures(cat, { saeId, sort: 'density', limit: 50 });
  expect(all.total).toBe(dSae);
  expect(all.rows[0]!.idx).toBe(0); // threshold at the lowest quantile: the densest feature
  const word = getFeaturePage(cat, saeId, 0).feature.topTokens[0]!.trim();
  expect(searchFeatures(cat, { saeId, q: word }).rows.map((r) => r.idx)).toContain(0);
  return { cat, saeId, options, spec };
}

describe('analyzeSae', () => {
  it('GPT-2, standard SAE on resid_post: stats, top and quantile examples, contexts and values equal brute force; reads back', async () => {
    const { cat } = await runAndCheck(gpt2, { arch: 'standard', hook: 'blocks.1.hook_resid_post', bos: 'separator', dbName: 'gpt2' });
    cat.close();
  }, 60_000);

  it('Llama (BOS prepended to every window), topk SAE on mlp.hook_post: the same checks', async () => {
    const { cat } = await runAndCheck(llama, { arch: 'topk', hook: 'blocks.0.mlp.hook_post', bos: 'prepend', k: 3, dbName: 'llama', dIn: 64 });
    cat.close();
  }, 60_000);

  it('cancel during pass 1 or during the writes leaves nothing of the new analysis visible', async () => {
    const { cat, saeId, options } = await runAndCheck(gpt2, { arch: 'standard', hook: 'blocks.1.hook_attn_out', bos: 'separator', dbName: 'cancel' });
    const before = getFeaturePage(cat, saeId, 3);
    const countRows = () => Number(cat.db.prepare(`SELECT count(*) FROM features`).pluck().get());
    const rowsBefore = countRows();

    for (const when of ['pass1', 'writes'] as const) {
      const controller = new AbortController();
      let batches = 0;
      let writesSeen = 0;
      const { ctx } = quietContext(controller.signal, (p) => {
        if (when === 'writes' && p.message === 'writing the catalog' && ++writesSeen === 2) controller.abort();
      });
      const run = analyzeSae(options, cat, ctx, {
        model: gpt2,
        onBatch: () => {
          if (when === 'pass1' && ++batches === 2) controller.abort();
        },
      });
      await expect(run).rejects.toBeInstanceOf(FeaturescopeError);
      await expect(run).rejects.toMatchObject({ code: 'cancelled' });
      if (when === 'writes') expect(writesSeen).toBe(2); // two batches had been written before the cancel
      const last = cat.db.prepare(`SELECT state, message FROM analyses ORDER BY id DESC LIMIT 1`).get();
      expect(last).toEqual({ state: 'failed', message: 'cancelled by user' });
      expect(countRows()).toBe(rowsBefore);
      expect(getFeaturePage(cat, saeId, 3)).toEqual(before);
    }
    cat.close();
  }, 60_000);

  it('refuses an SAE whose hook is not in the model, before starting an analysis', async () => {
    const { sae } = buildSae('standard', 32, 4, 'blocks.9.hook_resid_post', new Float32Array(4), 1);
    const { cat, saeId } = newCatalog('refuse.db', 4, 'blocks.9.hook_resid_post');
    const spec = writeJsonl('refuse.jsonl', documents(3, 1));
    const { ctx } = quietContext();
    await expect(
      analyzeSae({ modelDir: gpt2.dir, saePath: '/nowhere', corpus: spec, contextLength: 16, saeId, corpusId: null }, cat, ctx, { model: gpt2, sae }),
    ).rejects.toThrow(/blocks\.9\.hook_resid_post.*not a hook point/);
    expect(cat.db.prepare(`SELECT count(*) FROM analyses`).pluck().get()).toBe(0);
    sae.dispose();
    cat.close();
  });
});

describe('logit effects', () => {
  /** Direct float64 W_dec · (norm) · W_U from the checkpoint tensors. */
  function direct(model: LoadedModel, wDec: Float32Array, dSae: number, dIn: number, path: { project?: (row: Float64Array) => Float64Array; centre: boolean; norm: Float32Array; unembed: Float32Array }) {
    const d = model.config.dModel;
    const V = model.config.vocabSize;
    return Array.from({ length: dSae }, (_, f) => {
      let row: Float64Array = Float64Array.from(wDec.subarray(f * dIn, (f + 1) * dIn));
      if (path.project) row = path.project(row);
      if (path.centre) {
        const mean = row.reduce((a, b) => a + b, 0) / d;
        row = row.map((v) => v - mean);
      }
      row = row.map((v, j) => v * path.norm[j]!);
      const logits = Array.from({ length: V }, (_, t) => {
        let s = 0;
        for (let j = 0; j < d; j++) s += row[j]! * path.unembed[t * d + j]!;
        return s;
      });
      const order = logits.map((v, t) => [t, v] as const).sort((a, b) => b[1] - a[1]);
      return { promoted: order.slice(0, 10), suppressed: order.slice(-10).reverse() };
    });
  }

  function compare(table: NonNullable<ReturnType<typeof computeLogitEffects>>, want: ReturnType<typeof direct>): void {
    want.forEach((w, f) => {
      for (let j = 0; j < 10; j++) {
        expect(table.promotedIds[f * 10 + j]).toBe(w.promoted[j]![0]);
        expect(close(table.promotedValues[f * 10 + j]!, w.promoted[j]![1])).toBe(true);
        expect(table.suppressedIds[f * 10 + j]).toBe(w.suppressed[j]![0]);
        expect(close(table.suppressedValues[f * 10 + j]!, w.suppressed[j]![1])).toBe(true);
      }
    });
  }

  it('GPT-2 resid stream: centred, times ln_f.weight, times the tied embedding', () => {
    const weights = WeightStore.open(gpt2.dir);
    // GPT-2 checkpoints may or may not carry the "transformer." prefix.
    const store = { readFloat32: (n: string) => weights.readFloat32(weights.has(n) ? n : `transformer.${n}`), close: () => weights.close() };
    const wDec = seededFloats(6 * 32, 5);
    const table = computeLogitEffects(gpt2.dir, gpt2.config, 'blocks.1.hook_resid_mid', tf.tensor2d(wDec, [6, 32]), 10)!;
    compare(table, direct(gpt2, wDec, 6, 32, { centre: true, norm: store.readFloat32('ln_f.weight'), unembed: store.readFloat32('wte.weight') }));
    // Already normalized: straight to W_U.
    const normed = computeLogitEffects(gpt2.dir, gpt2.config, 'ln_final.hook_normalized', tf.tensor2d(wDec, [6, 32]), 10)!;
    compare(normed, direct(gpt2, wDec, 6, 32, { centre: false, norm: new Float32Array(32).fill(1), unembed: store.readFloat32('wte.weight') }));
    store.close();
  });

  it('Llama mlp.hook_post: through down_proj, times model.norm.weight, times lm_head', () => {
    const store = WeightStore.open(llama.dir);
    const dMlp = llama.config.dMlp;
    const down = store.readFloat32('model.layers.1.mlp.down_proj.weight'); // [d_model, d_mlp]
    const project = (row: Float64Array) => Float64Array.from({ length: 32 }, (_, i) => row.reduce((s, v, j) => s + v * down[i * dMlp + j]!, 0));
    const wDec = seededFloats(5 * dMlp, 6);
    const table = computeLogitEffects(llama.dir, llama.config, 'blocks.1.mlp.hook_post', tf.tensor2d(wDec, [5, dMlp]), 10)!;
    const want = direct(llama, wDec, 5, dMlp, { project, centre: false, norm: store.readFloat32('model.norm.weight'), unembed: store.readFloat32('lm_head.weight') });
    compare(table, want);
    // Issue #15: W_U read in vocabulary chunks (7 rows here, fewer than the top 10 of a chunk) gives the same table.
    compare(computeLogitEffects(llama.dir, llama.config, 'blocks.1.mlp.hook_post', tf.tensor2d(wDec, [5, dMlp]), 10, undefined, 7)!, want);
    expect(computeLogitEffects(llama.dir, llama.config, 'blocks.1.hook_attn_in', tf.tensor2d(wDec, [5, dMlp]), 10)).toBeNull();
    store.close();
  });
});
