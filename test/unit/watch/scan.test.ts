// scanWatchedFeatures on the GPT-2 fixture (wasm) with a hand-built SAE whose feature 5 is planted
// to fire on " dog": every count, maximum and kept context is checked against a dense reference —
// each window run through the model alone and every SAE feature computed in float64 JS — and the
// thresholds sit in gaps between activation values, so "exceeds" has one answer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextSlice } from '../../../src/engine/analysis/examples';
import { FeatureTopK } from '../../../src/engine/analysis/topExamples';
import { initBackend } from '../../../src/engine/backend';
import { type CorpusSpec, readCorpus, scanCorpus } from '../../../src/engine/capture/corpus';
import { makeWindows, type WindowSettings } from '../../../src/engine/capture/windows';
import { createJobContext } from '../../../src/engine/jobs/context';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { createSae } from '../../../src/engine/sae/registry';
import type { Sae } from '../../../src/engine/sae/sae';
import { encodePrompt, prefixOf, replayFlag, scanWatchedFeatures, type FeatureScan, type WatchedFeature } from '../../../src/engine/watch/scan';
import { loggedPrefix, scanLogOutputs } from '../../../src/engine/watch/scan-log';
import { PROMPT_CHARS_MAX, ScanRunInput, type Progress } from '../../../src/shared/contract';
import { seededFloats } from '../sae/helpers/backend';

const FIXTURE = resolve(__dirname, '../../fixtures/models/gpt2');
const EOT = 298;
const HOOK = 'blocks.0.hook_resid_post';
const D_IN = 32;
const D_SAE = 16;
const PLANTED = 5;
const WATCHED = [PLANTED, 2, 9];
const TOP = 4;
const root = mkdtempSync(join(tmpdir(), 'fs-scan-'));
let model: LoadedModel;
let dogId: number;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1 });
  model = await loadModel(FIXTURE);
  dogId = model.tokenizer.encode(' dog', { addSpecialTokens: false }).at(-1)!;
});
afterAll(() => {
  model.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** Deterministic documents; every third mentions the dog. */
function documents(count: number, seed: number): string[] {
  const words = 'the a cat sat ran on under mat tree blue green quickly slowly and with far away house river stone light'.split(' ');
  let s = seed >>> 0;
  const next = (n: number): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n;
  return Array.from({ length: count }, (_, i) => {
    const n = 4 + next(20);
    const body = Array.from({ length: n }, () => words[next(words.length)]!);
    if (i % 3 === 0) body.splice(next(n), 0, 'dog');
    return `${body.join(' ')}.`;
  });
}

interface RefContext {
  tokens: number[];
  keep: Uint8Array;
  x: Float32Array; // [L, d_in] residual at the hook
}

function residual(tokens: number[]): Float32Array {
  const { logits, captured } = model.run([tokens], { capture: [HOOK], lastPositionOnly: true });
  logits.dispose();
  const x = captured.get(HOOK)!.dataSync() as Float32Array;
  captured.get(HOOK)!.dispose();
  return x;
}

/** A standard SAE in plain JS: W_enc random except the planted column, which reads the " dog" direction. */
function buildSae(contexts: RefContext[]): { wEnc: Float64Array; bias: Float64Array } {
  const wEnc = Float64Array.from(seededFloats(D_IN * D_SAE, 7)); // [d_in, d_sae]
  const mean = new Float64Array(D_IN);
  const dog = new Float64Array(D_IN);
  let n = 0;
  let nDog = 0;
  for (const c of contexts) {
    c.tokens.forEach((id, p) => {
      if (c.keep[p] !== 1) return;
      for (let j = 0; j < D_IN; j++) mean[j]! += c.x[p * D_IN + j]!;
      n++;
      if (id === dogId) {
        for (let j = 0; j < D_IN; j++) dog[j]! += c.x[p * D_IN + j]!;
        nDog++;
      }
    });
  }
  for (let j = 0; j < D_IN; j++) wEnc[j * D_SAE + PLANTED] = 3 * (dog[j]! / nDog - mean[j]! / n);
  return { wEnc, bias: new Float64Array(D_SAE) };
}

function encodeJs(x: Float32Array, p: number, f: number, sae: { wEnc: Float64Array; bias: Float64Array }): number {
  let s = sae.bias[f]!;
  for (let j = 0; j < D_IN; j++) s += x[p * D_IN + j]! * sae.wEnc[j * D_SAE + f]!;
  return s > 0 ? s : 0;
}

function toSae(js: { wEnc: Float64Array; bias: Float64Array }): Sae {
  return createSae(
    { architecture: 'standard', d_in: D_IN, d_sae: D_SAE, apply_b_dec_to_input: false, normalize_activations: 'none', dtype: 'float32', metadata: { hook_name: HOOK, model_name: 'fixture' } },
    {
      W_enc: tf.tensor2d(Float32Array.from(js.wEnc), [D_IN, D_SAE]),
      W_dec: tf.tensor2d(seededFloats(D_SAE * D_IN, 8), [D_SAE, D_IN]),
      b_enc: tf.tensor1d(Float32Array.from(js.bias)),
      b_dec: tf.zeros([D_IN]) as tf.Tensor1D,
    },
  );
}

/** A threshold in a gap of the kept values (no float ties either side), near quantile q. */
function thresholdAt(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  let at = Math.floor(q * (sorted.length - 1));
  while (at + 2 < sorted.length && sorted[at + 1]! - sorted[at]! < 1e-3) at++;
  return (sorted[at]! + sorted[at + 1]!) / 2;
}

interface Expected {
  flagged: number;
  flaggedTokens: number;
  maxAct: number;
  /** Peaks of flagged contexts, best first (earlier context on ties). */
  peaks: { context: number; pos: number; peak: number; over: number }[];
}

function expected(contexts: RefContext[], acts: number[][][], j: number, threshold: number): Expected {
  const out: Expected = { flagged: 0, flaggedTokens: 0, maxAct: 0, peaks: [] };
  contexts.forEach((c, k) => {
    let over = 0;
    let peak = -Infinity;
    let pos = -1;
    c.keep.forEach((keep, p) => {
      if (keep !== 1) return;
      const v = acts[k]![p]![j]!;
      out.maxAct = Math.max(out.maxAct, v);
      if (v > threshold) {
        over++;
        if (v > peak) {
          peak = v;
          pos = p;
        }
      }
    });
    if (over > 0) {
      out.flagged++;
      out.flaggedTokens += over;
      out.peaks.push({ context: k, pos, peak, over });
    }
  });
  out.peaks.sort((a, b) => b.peak - a.peak || a.context - b.context);
  return out;
}

const close = (a: number, b: number, rel = 1e-4): boolean => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

function checkFeature(got: FeatureScan, want: Expected, contexts: RefContext[], acts: number[][][], j: number, docTokens: number[][] | null): void {
  expect(got.flagged).toBe(want.flagged);
  expect(got.flaggedTokens).toBe(want.flaggedTokens);
  expect(close(got.maxAct, want.maxAct)).toBe(true);
  expect(got.top.length).toBe(Math.min(TOP, want.flagged));
  got.top.forEach((flag, rank) => {
    const w = want.peaks[rank]!;
    const c = contexts[w.context]!;
    expect(close(flag.peak, w.peak), `rank ${rank}: ${flag.peak} vs ${w.peak}`).toBe(true);
    expect(flag.tokensOver).toBe(w.over);
    const [from, to] = contextSlice(c.tokens.length, w.pos, 32);
    expect(flag.peakIndex).toBe(w.pos - from);
    expect(flag.tokens).toEqual(c.tokens.slice(from, to).map((id) => model.tokenizer.decode([id])));
    flag.values.forEach((v, i) => expect(close(v, c.keep[from + i] === 1 ? acts[w.context]![from + i]![j]! : 0)).toBe(true));
    expect(prefixOf(flag)).toEqual(c.tokens.slice(0, w.pos + 1));
    // doc/position point at the peak token in its document's own token stream (or prompt).
    if (docTokens) expect(docTokens[flag.doc]![flag.position]).toBe(c.tokens[w.pos]);
    else expect({ doc: flag.doc, position: flag.position }).toEqual({ doc: w.context, position: w.pos });
  });
}

describe('scanWatchedFeatures', () => {
  let spec: CorpusSpec;
  let docs: string[];
  let contexts: RefContext[];
  let js: { wEnc: Float64Array; bias: Float64Array };
  let acts: number[][][]; // [context][pos][watched j]
  let watched: WatchedFeature[];

  beforeAll(async () => {
    docs = documents(80, 5);
    spec = { kind: 'jsonl', path: join(root, 'corpus.jsonl') };
    writeFileSync(spec.path, docs.map((text) => JSON.stringify({ text })).join('\n'));
    // The reference cuts windows with hand-written settings (GPT-2 style: <|endoftext|> between documents).
    const settings: WindowSettings = { contextLength: 16, bos: 'separator', bosTokenId: EOT, maskSpecialTokens: true, specialTokenIds: [EOT, 299] };
    const scan = await scanCorpus(spec);
    contexts = [...makeWindows(readCorpus(spec, scan), (t) => model.tokenizer.encode(t, { addSpecialTokens: false }), settings)].map((w) => ({ tokens: w.tokens, keep: w.keep, x: residual(w.tokens) }));
    js = buildSae(contexts);
    acts = contexts.map((c) => c.tokens.map((_, p) => WATCHED.map((f) => encodeJs(c.x, p, f, js))));
    const positive = (j: number) => contexts.flatMap((c, k) => c.tokens.flatMap((_, p) => (c.keep[p] === 1 && acts[k]![p]![j]! > 0 ? [acts[k]![p]![j]!] : [])));
    watched = WATCHED.map((idx, j) => ({ idx, threshold: thresholdAt(positive(j), idx === PLANTED ? 0.8 : 0.9) }));
  });

  it('flags exactly the contexts where a watched feature exceeds its threshold, with the right peaks, counts and places', async () => {
    const sae = toSae(js);
    const progress: Progress[] = [];
    const ctx = createJobContext('job-1', new AbortController().signal, (p) => progress.push(p), () => {});
    const tensorsBefore = tf.memory().numTensors;
    const r = await scanWatchedFeatures(model, sae, watched, { kind: 'corpus', corpus: spec }, { contextLength: 16, topPerFeature: TOP, batchSize: 3 }, ctx);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    sae.dispose();

    const tokens = contexts.reduce((s, c) => s + c.keep.reduce((a, k) => a + k, 0), 0);
    expect(r.tokens).toBe(tokens);
    expect(r.contexts).toBe(contexts.length);
    expect(r.hook).toBe(HOOK);
    const docTokens = docs.map((d) => [EOT, ...model.tokenizer.encode(d, { addSpecialTokens: false })]);
    r.features.forEach((f, j) => {
      expect(f.idx).toBe(WATCHED[j]);
      expect(f.flagged).toBeGreaterThan(0);
      expect(f.flagged).toBeLessThan(contexts.length);
      checkFeature(f, expected(contexts, acts, j, watched[j]!.threshold), contexts, acts, j, docTokens);
    });

    // The planted feature: its strongest flags sit on the dog, and it has more flags than TOP.
    const planted = r.features[0]!;
    expect(planted.flagged).toBeGreaterThan(TOP);
    for (const flag of planted.top) expect(flag.tokens[flag.peakIndex]).toBe('dog'); // the fixture splits " dog" into " " and "dog"
    // The log keeps each flagged window's ids once, up to the furthest kept peak in it, and every flag is replayable from it.
    const log = scanLogOutputs(r, 'corpus');
    const flags = r.features.flatMap((f, j) => f.top.map((t, rank) => ({ t, logged: log.features[j]!.top[rank]! })));
    const distinct = new Set(flags.map(({ t }) => t.scanned.context));
    expect(log.windows).toHaveLength(distinct.size);
    // Two features flagging the same windows store them once.
    const twice = scanLogOutputs({ ...r, features: [r.features[0]!, { ...r.features[0]!, idx: 99 }] }, 'corpus');
    expect(twice.windows).toHaveLength(r.features[0]!.top.length);
    expect(twice.features[1]!.top.map((t) => t.window)).toEqual(twice.features[0]!.top.map((t) => t.window));
    for (const { t, logged } of flags) {
      expect(logged).toMatchObject({ doc: t.doc, position: t.position, peak: t.peak, at: t.scanned.at });
      expect(loggedPrefix(log, logged, undefined, () => [])).toEqual(prefixOf(t));
    }
    const stored = log.windows!.reduce((n, w) => n + w.length, 0);
    expect(stored).toBe([...distinct].reduce((n, k) => n + Math.max(...flags.filter(({ t }) => t.scanned.context === k).map(({ t }) => t.scanned.at + 1)), 0));
    // Over a budget, the best ranks keep their windows and the rest are logged without ids, not replayable.
    const best = r.features.map((f) => f.top[0]!.scanned.at + 1);
    const tight = scanLogOutputs(r, 'corpus', best.reduce((a, b) => a + b, 0));
    tight.features.forEach((f) => expect(f.top[0]!.window).not.toBeNull());
    const dropped = tight.features.flatMap((f) => f.top.filter((t) => t.window === null));
    expect(dropped.length).toBeGreaterThan(0);
    expect(loggedPrefix(tight, dropped[0]!, undefined, () => [])).toMatch(/kept no tokens/);
    expect(tight.windows!.reduce((n, w) => n + w.length, 0)).toBeLessThanOrEqual(best.reduce((a, b) => a + b, 0));

    const last = progress.at(-1)!;
    expect(last).toMatchObject({ unit: 'tokens', done: tokens, total: tokens, fraction: 1 });
  });

  it('scans a prompt list one prompt at a time, stops at maxTokens, and replays a flag alone', async () => {
    const sae = toSae(js);
    const ctx = createJobContext('job-2', new AbortController().signal, () => {}, () => {});
    const prompts = docs.filter((d) => model.tokenizer.encode(d).length <= 60).slice(0, 30);
    // Prompts of mixed lengths: sorted by length, every prompt of one length shares forward passes (8 at a time).
    const lengths = new Map<number, number>();
    for (const p of prompts) {
      const n = model.tokenizer.encode(p).length;
      lengths.set(n, (lengths.get(n) ?? 0) + 1);
    }
    const run = model.run.bind(model);
    let passes = 0;
    model.run = (batch, o) => {
      passes++;
      return run(batch, o);
    };
    const r = await scanWatchedFeatures(model, sae, watched, { kind: 'prompts', prompts }, { topPerFeature: TOP }, ctx).finally(() => (model.run = run));
    expect(passes).toBe([...lengths.values()].reduce((n, k) => n + Math.ceil(k / 8), 0));
    // Batching only neighbours of equal length (in the given order) took a pass per run of equal lengths.
    const given = prompts.map((p) => model.tokenizer.encode(p).length);
    expect(passes).toBeLessThan(given.filter((n, i) => i === 0 || n !== given[i - 1]).length);
    const promptContexts: RefContext[] = prompts.map((text) => {
      const tokens = model.tokenizer.encode(text);
      return { tokens, keep: Uint8Array.from(tokens, (id) => (id === EOT ? 0 : 1)), x: residual(tokens) };
    });
    const promptActs = promptContexts.map((c) => c.tokens.map((_, p) => WATCHED.map((f) => encodeJs(c.x, p, f, js))));
    expect(r.contexts).toBe(prompts.length);
    r.features.forEach((f, j) => checkFeature(f, expected(promptContexts, promptActs, j, watched[j]!.threshold), promptContexts, promptActs, j, null));

    const flag = r.features[0]!.top[0]!;
    expect(close(replayFlag(model, sae, PLANTED, prefixOf(flag)), flag.peak)).toBe(true);
    // The log keeps no ids for prompts: a flag is its prompt's index and peak position, cut from the prompt encoded again.
    const log = scanLogOutputs(r, 'prompts');
    expect(log.windows).toBeUndefined();
    expect(JSON.stringify(log)).not.toContain('"ids"');
    r.features.forEach((f, j) => f.top.forEach((t, rank) => expect(loggedPrefix(log, log.features[j]!.top[rank]!, prompts, (text) => encodePrompt(model, text))).toEqual(prefixOf(t))));

    const limited = await scanWatchedFeatures(model, sae, watched, { kind: 'corpus', corpus: spec }, { contextLength: 16, maxTokens: 50 }, ctx);
    expect(limited.tokens).toBe(50);
    // maxTokens cuts a prompt list in its own order (not the length order it is batched in), the last prompt part way.
    const scanned = (c: RefContext) => c.keep.reduce((n, k) => n + k, 0);
    const first10 = promptContexts.slice(0, 10).reduce((n, c) => n + scanned(c), 0);
    const cut = await scanWatchedFeatures(model, sae, watched, { kind: 'prompts', prompts }, { topPerFeature: TOP, maxTokens: first10 + 2 }, ctx);
    expect(cut).toMatchObject({ tokens: first10 + 2, contexts: 11 });
    const part = promptContexts[10]!;
    const end = [...part.keep].findIndex((_, p) => part.keep.slice(0, p).reduce((n, k) => n + k, 0) === 2 && part.keep[p] === 1);
    const refCut = [...promptContexts.slice(0, 10), { ...part, keep: part.keep.map((k, p) => (p < end ? k : 0)) }];
    cut.features.forEach((f, j) => {
      const want = expected(refCut, promptActs, j, watched[j]!.threshold);
      expect([f.flagged, f.flaggedTokens]).toEqual([want.flagged, want.flaggedTokens]);
      expect(close(f.maxAct, want.maxAct)).toBe(true);
      for (const t of f.top) expect(t.doc).toBeLessThanOrEqual(10);
    });
    sae.dispose();
  });

  it('keeps the earlier context on equal peaks whatever order contexts arrive in (prompts arrive sorted by length)', () => {
    const heap = new FeatureTopK(1, 2);
    heap.offer(0, 1, 5, 0);
    heap.offer(0, 2, 7, 0);
    expect(heap.offer(0, 1, 3, 0)).toBe(true); // ties context 5's peak, comes from an earlier prompt
    expect(heap.offer(0, 1, 4, 0)).toBe(false);
    expect(heap.entries(0).map((e) => e.window)).toEqual([7, 3]);
  });

  it('replays logs written before windows were shared (ids per flag)', () => {
    const old = { hook: HOOK, tokens: 3, contexts: 1, features: [{ idx: 5, threshold: 1, flagged: 1, flaggedTokens: 1, maxAct: 2, top: [{ doc: 0, position: 2, peak: 2, prefixIds: [7, 8, 9] }] }] };
    expect(loggedPrefix(old, old.features[0]!.top[0]!, undefined, () => [])).toEqual([7, 8, 9]);
  });

  it('the contract caps the prompt text a scan logs (PROMPT_CHARS_MAX in all)', () => {
    const input = (prompts: string[]) => ScanRunInput.safeParse({ sae: 1, watchlist: 'w', source: { kind: 'prompts', prompts } });
    const prompt = 'x'.repeat(20_000);
    expect(input(Array.from({ length: PROMPT_CHARS_MAX / prompt.length }, () => prompt)).success).toBe(true);
    const over = input(Array.from({ length: PROMPT_CHARS_MAX / prompt.length + 1 }, () => prompt));
    expect(over.success ? null : over.error.issues[0]).toMatchObject({ path: ['source', 'prompts'], message: expect.stringContaining('as a corpus file') });
  });

  it('stops when cancelled and refuses a feature outside the SAE', async () => {
    const sae = toSae(js);
    const abort = new AbortController();
    const ctx = createJobContext('job-3', abort.signal, () => abort.abort(), () => {});
    await expect(scanWatchedFeatures(model, sae, watched, { kind: 'corpus', corpus: spec }, { contextLength: 16, batchSize: 1 }, ctx)).rejects.toMatchObject({ code: 'cancelled' });
    const quiet = createJobContext('job-4', new AbortController().signal, () => {}, () => {});
    await expect(scanWatchedFeatures(model, sae, [{ idx: D_SAE, threshold: 1 }], { kind: 'prompts', prompts: ['a'] }, {}, quiet)).rejects.toMatchObject({ code: 'invalid_input' });
    sae.dispose();
  });
});
