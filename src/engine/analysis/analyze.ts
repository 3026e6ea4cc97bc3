// analyzeSae: fill the catalog's feature pages for one SAE from one pass of the model + SAE over an
// evaluation corpus, with memory bounded by the SAE's size, not the corpus's.
//
//   scan corpus → windows → model (capture the SAE's hook) → SAE encode → per window, per feature:
//     stats over every kept token (FeatureStats), the window's peak → top-k heap (FeatureTopK)
//     and bucket sampler (BucketSampler)
//   logit effects from the weights (no corpus)
//   pass 2: re-read the corpus (tokenizing only) and run the model + SAE again on just the windows
//     that some example needs, to get each example's token ids and per-token values
//   explanations from the examples; features sharing one get separators (explain-separators.ts)
//   pass 3: run the held-out windows (every 5th: explanationScores.ts), which gave no examples,
//     and score each explanation on them
//   write features in batches inside one running analysis; commit makes it visible at once.
//
// Window token ids are not kept in pass 1: the corpus is re-tokenized in pass 2 instead (cheap next
// to a forward pass, and bounded: one piece at a time), so pass-1 memory is only the per-feature
// structures. Special tokens (BOS, separators) are context for the model but are not analysed:
// like SAELens, their activations count nowhere, and examples show 0 at them.

import type * as tf from '@tensorflow/tfjs';
import type { Catalog } from '../../catalog/open';
import type { ExampleRecord, FeatureRecord, LogitEffects } from '../../catalog/types';
import { abortAnalysis, beginAnalysis, commitAnalysis, updateSaeMetrics, writeFeatures, EXAMPLES_PER_FEATURE_MAX } from '../../catalog/writes';
import { FeaturescopeError } from '../../shared/errors';
import { type CorpusCursor, type CorpusPiece, type CorpusScan, type CorpusSpec, readCorpus, scanCorpus } from '../capture/corpus';
import { type BosMode, makeWindows, type TokenWindow, type WindowSettings } from '../capture/windows';
import { windowSettingsFor } from '../capture/model-windows';
import type { JobContext } from '../jobs/context';
import { type LoadedModel, loadModel } from '../model/load';
import { loadSae } from '../sae/io/loadSae';
import type { Sae } from '../sae/sae';
import { explainFeature, explanationExamples, predictedKeys, tokenKeys } from '../../catalog/explain';
import { neighboursOf, separatorsOf, sharedExplanations } from '../../catalog/explain-separators';
import { contextSlice, type ExamplePlan, TokenTextCache } from './examples';
import { ExplanationScorer, HELD_OUT_EVERY, isHeldOut } from './explanationScores';
import { FeatureStats } from './featureStats';
import { computeLogitEffects, type LogitEffectTable } from './logitEffects';
import { BucketSampler } from './quantileSampler';
import { FeatureTopK } from './topExamples';
import { WindowOriginTracker } from './windowOrigins';

export interface AnalyzeOptions {
  /** Hugging Face model folder the SAE was trained on. */
  modelDir: string;
  /** SAELens folder or Gemma Scope params.npz; its cfg names the hook. */
  saePath: string;
  /** The evaluation corpus. */
  corpus: CorpusSpec;
  /** Tokens per window given to the model. */
  contextLength: number;
  /** Stop after this many analysed (non-special) tokens; default: the whole corpus. */
  maxTokens?: number;
  /** Top-activating examples per feature; default 20. */
  topExamples?: number;
  /** Equal-width activation buckets between 0 and the max to sample from; default 10. */
  quantileBuckets?: number;
  /** Examples sampled per bucket; default 5. */
  samplesPerBucket?: number;
  /** Tokens shown around an example's peak; default 32. */
  contextWindow?: number;
  /** Promoted and suppressed tokens per feature; default 10. */
  logitTokens?: number;
  /** Windows per forward pass; default 8. */
  batchSize?: number;
  /** 'auto' (default): 'prepend' if the tokenizer adds BOS, else 'separator' with EOS, else 'none'. */
  bos?: BosMode | 'auto';
  /** Seed of the quantile samples; default 0. */
  seed?: number;
  /** Features per catalog transaction; default 256. */
  writeBatch?: number;
  /** The SAE's catalog row (insertSae) and the corpus's (insertCorpus), or null. */
  saeId: number;
  corpusId: number | null;
}

export interface AnalyzeResult {
  analysisId: number;
  /** Features written (d_sae). */
  features: number;
  /** Tokens analysed: the density denominator. */
  tokens: number;
  deadFeatures: number;
  /** Windows read in pass 1, and how many pass 2 ran again for examples. */
  windows: number;
  exampleWindows: number;
  /** Held-out windows pass 3 ran to score the explanations (every 5th window), and their analysed tokens. */
  heldOutWindows: number;
  heldOutTokens: number;
}

/** What analysis uses of a job context (JobContext satisfies it). */
export type AnalyzeContext = Pick<JobContext, 'signal' | 'meter' | 'catalogChanged'>;

export interface AnalyzeDeps {
  /** An already loaded model for modelDir; loaded and disposed here otherwise. */
  model?: LoadedModel;
  /** An already loaded SAE; loaded from saePath and disposed here otherwise. */
  sae?: Sae;
  /** Test hook: called after each pass-1 batch with the structures (memory checks). */
  onBatch?: (state: { topK: FeatureTopK; sampler: BucketSampler; stats: FeatureStats }) => void;
}

/** Tables an analysis changes, for catalog.changed. */
export const ANALYSIS_TABLES = ['analyses', 'saes', 'features', 'examples', 'logit_effects'];

const DEFAULTS = { topExamples: 20, quantileBuckets: 10, samplesPerBucket: 5, contextWindow: 32, logitTokens: 10, batchSize: 8, seed: 0, writeBatch: 256 };
const GUESS_TOKENS_PER_BYTE = 0.25;

export async function analyzeSae(opts: AnalyzeOptions, catalog: Catalog, ctx: AnalyzeContext, deps: AnalyzeDeps = {}): Promise<AnalyzeResult> {
  const o = checkOptions(opts);
  const model = deps.model ?? (await loadModel(opts.modelDir));
  let sae: Sae | undefined;
  try {
    sae = deps.sae ?? loadSae(opts.saePath);
    const hook = checkSaeFitsModel(sae, model, opts.saePath);
    const settings = windowSettingsFor(model, { contextLength: o.contextLength, bos: o.bos, maskSpecialTokens: true });
    const scanMeter = ctx.meter('bytes', 0);
    const scan = await scanCorpus(opts.corpus, {
      signal: ctx.signal,
      onProgress: (done, total) => {
        scanMeter.setTotal(total);
        scanMeter.update(done, { message: 'hashing and checking the corpus' });
      },
    });
    if (ctx.signal.aborted) throw cancelled();

    const analysisId = beginAnalysis(catalog, { saeId: opts.saeId, corpusId: opts.corpusId });
    try {
      const result = await runAnalysis(o, { model, sae, hook, settings, scan, analysisId, catalog, ctx, deps });
      commitAnalysis(catalog, analysisId);
      // The SAE's figures say what its analysis found and over how many tokens: the dead fraction
      // the app shows is this one, not a short evaluation's (see renderer ui/sae-figures).
      updateSaeMetrics(catalog, opts.saeId, { analysis_tokens: result.tokens, analysis_dead_fraction: result.features > 0 ? result.deadFeatures / result.features : 0 });
      ctx.catalogChanged(ANALYSIS_TABLES);
      return result;
    } catch (err) {
      const reason = err instanceof FeaturescopeError && err.code === 'cancelled' ? 'cancelled by user' : `failed: ${(err as Error).message}`;
      abortAnalysis(catalog, analysisId, reason);
      throw err;
    }
  } finally {
    if (deps.sae === undefined) sae?.dispose();
    if (deps.model === undefined) model.dispose();
  }
}

type Options = Required<Omit<AnalyzeOptions, 'maxTokens' | 'corpusId'>> & { maxTokens: number; corpusId: number | null };

interface Run {
  model: LoadedModel;
  sae: Sae;
  hook: string;
  settings: WindowSettings;
  scan: CorpusScan;
  analysisId: number;
  catalog: Catalog;
  ctx: AnalyzeContext;
  deps: AnalyzeDeps;
}

async function runAnalysis(o: Options, run: Run): Promise<Omit<AnalyzeResult, 'analysisId'> & { analysisId: number }> {
  const dSae = run.sae.cfg.d_sae;
  const stats = new FeatureStats(dSae);
  const topK = new FeatureTopK(dSae, o.topExamples);
  const sampler = new BucketSampler(dSae, o.quantileBuckets, o.samplesPerBucket, o.seed);

  const windows = await firstPass(o, run, { stats, topK, sampler });

  const logitMeter = run.ctx.meter('features', dSae);
  const logits = computeLogitEffects(run.model.dir, run.model.config, run.hook, run.sae.weights.W_dec, o.logitTokens, (done) =>
    logitMeter.update(done, { message: 'computing logit effects' }),
  );
  if (run.ctx.signal.aborted) throw cancelled();

  const plans = planExamples(dSae, stats, topK, sampler);
  const exampleWindows = await secondPass(o, run, plans);

  const text = new TokenTextCache(run.model.tokenizer);
  const explained = explainAll(dSae, plans, text);
  const scored = await scorePass(o, run, stats, explained.keys, text, windows);

  const writeMeter = run.ctx.meter('features', dSae);
  let dead = 0;
  for (let start = 0; start < dSae; start += o.writeBatch) {
    const records: FeatureRecord[] = [];
    for (let f = start; f < Math.min(dSae, start + o.writeBatch); f++) {
      const s = stats.summary(f);
      if (s.active === 0) dead++;
      records.push({
        idx: f,
        density: s.density,
        maxAct: s.maxAct,
        meanAct: s.meanAct,
        histogram: s.histogram,
        examples: (plans.byFeature[f] ?? []).map((p) => exampleRecord(p, text)),
        logitEffects: logits === null ? null : logitEffectsOf(logits, f, text),
        explanationScore: scored.scorer?.score(f) ?? null,
        separator: explained.separators.get(f) ?? null,
      });
    }
    writeFeatures(run.catalog, run.analysisId, records);
    writeMeter.update(Math.min(dSae, start + o.writeBatch), { message: 'writing the catalog' });
    await breathe();
    if (run.ctx.signal.aborted) throw cancelled();
  }
  return {
    analysisId: run.analysisId,
    features: dSae,
    tokens: stats.tokens,
    deadFeatures: dead,
    windows,
    exampleWindows,
    heldOutWindows: scored.windows,
    heldOutTokens: scored.scorer?.tokens ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Pass 1

interface Structures {
  stats: FeatureStats;
  topK: FeatureTopK;
  sampler: BucketSampler;
}

/** Streams every window once; returns the number of windows read. */
async function firstPass(o: Options, run: Run, s: Structures): Promise<number> {
  const { model, scan, ctx } = run;
  const dSae = run.sae.cfg.d_sae;
  const expected = Math.max(1, Math.round(Math.min(o.maxTokens, scan.bytes * GUESS_TOKENS_PER_BYTE)));
  const meter = ctx.meter('tokens', expected);
  const started = performance.now();
  let bytesRead = 0;
  const report = (force = false): void => {
    const done = s.stats.tokens;
    if (o.maxTokens === Infinity && bytesRead > 0) meter.setTotal(Math.max(done, Math.round((done / bytesRead) * scan.bytes)));
    const seconds = (performance.now() - started) / 1000;
    meter.update(done, {
      message: `${done.toLocaleString('en-US')} tokens analysed`,
      metrics: { tokens: done, tokensPerSecond: seconds > 0 ? done / seconds : 0 },
      force,
    });
  };

  const pieces = trackBytes(readCorpus(o.corpus, scan), scan, (b) => (bytesRead = b));
  const encode = (text: string): number[] => model.tokenizer.encode(text, { addSpecialTokens: false });
  // Per-window peak of every feature; winMax 0 = not active in this window yet.
  const winMax = new Float32Array(dSae);
  const winPos = new Uint32Array(dSae);
  const touched = new Uint32Array(dSae);

  let windowId = 0;
  let batch: TokenWindow[] = [];
  const runBatch = (): boolean => {
    const acts = encodeBatch(run, batch);
    let reachedLimit = false;
    try {
      const data = acts.dataSync() as Float32Array;
      const L = batch[0]!.tokens.length;
      for (let b = 0; b < batch.length && !reachedLimit; b++) {
        const keep = batch[b]!.keep;
        let nTouched = 0;
        for (let p = 0; p < L; p++) {
          if (keep[p] !== 1) continue;
          if (s.stats.tokens >= o.maxTokens) {
            reachedLimit = true;
            break;
          }
          s.stats.tokens++;
          const row = (b * L + p) * dSae;
          for (let i = 0; i < dSae; i++) {
            const a = data[row + i]!;
            if (a > 0) {
              if (a === Infinity) throw nonFinite(i);
              s.stats.add(i, a);
              if (a > winMax[i]!) {
                if (winMax[i] === 0) touched[nTouched++] = i;
                winMax[i] = a;
                winPos[i] = p;
              }
            } else if (a !== a) throw nonFinite(i);
          }
        }
        // A held-out window counts for the statistics but gives no examples: the explanation is scored on it.
        const heldOut = isHeldOut(windowId);
        for (let t = 0; t < nTouched; t++) {
          const i = touched[t]!;
          if (!heldOut) {
            s.topK.offer(i, winMax[i]!, windowId, winPos[i]!);
            s.sampler.offer(i, winMax[i]!, windowId, winPos[i]!);
          }
          winMax[i] = 0;
        }
        windowId++;
      }
    } finally {
      acts.dispose();
    }
    batch = [];
    run.deps.onBatch?.(s);
    return reachedLimit || s.stats.tokens >= o.maxTokens;
  };

  for (const window of makeWindows(pieces, encode, run.settings)) {
    const sameLength = batch.length === 0 || batch[0]!.tokens.length === window.tokens.length;
    if (batch.length === o.batchSize || !sameLength) {
      if (runBatch()) break;
      report();
      await breathe();
      if (ctx.signal.aborted) throw cancelled();
    }
    batch.push(window);
  }
  if (batch.length > 0 && s.stats.tokens < o.maxTokens) runBatch();
  report(true);
  return windowId;
}

/** Model forward with the SAE's hook captured, then SAE encode: [batch·pos, d_sae]. */
function encodeBatch(run: Run, batch: TokenWindow[]): tf.Tensor {
  const { logits, captured } = run.model.run(
    batch.map((w) => w.tokens),
    { capture: [run.hook], lastPositionOnly: true },
  );
  logits.dispose();
  const x = captured.get(run.hook)!; // [batch, pos, d_in]
  try {
    return run.sae.encode(x); // [batch, pos, d_sae]
  } finally {
    for (const t of captured.values()) t.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Choosing examples and pass 2

interface Plans {
  byFeature: ExamplePlan[][];
  /** Window id → the plans that need it, windows ascending. */
  byWindow: Map<number, ExamplePlan[]>;
  lastWindow: number;
}

function planExamples(dSae: number, stats: FeatureStats, topK: FeatureTopK, sampler: BucketSampler): Plans {
  const byFeature: ExamplePlan[][] = [];
  const byWindow = new Map<number, ExamplePlan[]>();
  let lastWindow = -1;
  const add = (p: ExamplePlan): void => {
    byFeature[p.feature]!.push(p);
    let list = byWindow.get(p.window);
    if (list === undefined) byWindow.set(p.window, (list = []));
    list.push(p);
    if (p.window > lastWindow) lastWindow = p.window;
  };
  for (let f = 0; f < dSae; f++) {
    byFeature.push([]);
    topK.entries(f).forEach((e, rank) => add({ feature: f, kind: 'top', bucket: 0, rank, window: e.window, pos: e.pos }));
    sampler.samples(f, stats.max[f]!).forEach((bucket, b) =>
      bucket.forEach((e, rank) => add({ feature: f, kind: 'quantile', bucket: b, rank, window: e.window, pos: e.pos })),
    );
  }
  return { byFeature, byWindow, lastWindow };
}

/** Re-reads the corpus up to the last window an example needs and runs just those windows. */
async function secondPass(o: Options, run: Run, plans: Plans): Promise<number> {
  const needed = plans.byWindow.size;
  const meter = run.ctx.meter('windows', needed);
  if (needed === 0) return 0;
  const tracker = new WindowOriginTracker(run.settings.bos, run.settings.bosTokenId);
  const encode = tracker.encoder((text) => run.model.tokenizer.encode(text, { addSpecialTokens: false }));
  const pieces = tracker.pieces(readCorpus(o.corpus, run.scan));
  const dSae = run.sae.cfg.d_sae;
  let done = 0;
  let batch: { window: TokenWindow; id: number; origins: ReturnType<WindowOriginTracker['origins']> }[] = [];

  const runBatch = (): void => {
    const acts = encodeBatch(
      run,
      batch.map((b) => b.window),
    );
    try {
      const data = acts.dataSync() as Float32Array;
      batch.forEach(({ window, id, origins }, b) => {
        const L = window.tokens.length;
        for (const plan of plans.byWindow.get(id)!) {
          const [from, to] = contextSlice(L, plan.pos, o.contextWindow);
          plan.ids = Int32Array.from(window.tokens.slice(from, to));
          plan.values = new Float32Array(to - from);
          for (let p = from; p < to; p++) {
            // Special tokens are not analysed: shown with 0, like they count nowhere else.
            plan.values[p - from] = window.keep[p] === 1 ? data[(b * L + p) * dSae + plan.feature]! : 0;
          }
          // Where the shown context starts; an added BOS has no place in the corpus, so use the next token's.
          const origin = origins[from]!.offset >= 0 || from + 1 >= to ? origins[from]! : origins[from + 1]!;
          plan.doc = origin.doc;
          plan.start = Math.max(0, origin.offset);
        }
      });
    } finally {
      acts.dispose();
    }
    done += batch.length;
    batch = [];
    meter.update(done, { message: 'collecting example contexts' });
  };

  let id = 0;
  for (const window of makeWindows(pieces, encode, run.settings)) {
    if (id > plans.lastWindow) break;
    const origins = tracker.origins(window);
    if (plans.byWindow.has(id)) {
      const sameLength = batch.length === 0 || batch[0]!.window.tokens.length === window.tokens.length;
      if (batch.length === o.batchSize || !sameLength) {
        runBatch();
        await breathe();
        if (run.ctx.signal.aborted) throw cancelled();
      }
      batch.push({ window, id, origins });
    }
    id++;
  }
  if (batch.length > 0) runBatch();
  if (done !== needed) throw new FeaturescopeError('failed', `The corpus changed while it was analysed: ${needed - done} example windows could not be read again.`);
  return needed;
}

// ---------------------------------------------------------------------------------------------
// Explanations, separators and pass 3

interface Explained {
  /** What each feature's explanation predicts (explain.ts predictedKeys); empty: no explanation. */
  keys: string[][];
  /** Feature → what tells it apart from the features with the same explanation. */
  separators: Map<number, string>;
}

/**
 * Each feature's explanation, built from the same examples writeFeatures builds it from (so the
 * text scored is the text stored), and separators for features that share one.
 */
function explainAll(dSae: number, plans: Plans, text: TokenTextCache): Explained {
  const examplesOf = (f: number) => explanationExamples((plans.byFeature[f] ?? []).map((p) => exampleRecord(p, text)));
  const keys: string[][] = [];
  const texts: string[] = [];
  for (let f = 0; f < dSae; f++) {
    const e = explainFeature(examplesOf(f));
    texts.push(e.text);
    keys.push(e.text === '' ? [] : predictedKeys(e));
  }
  const separators = new Map<number, string>();
  for (const group of sharedExplanations(texts)) {
    separatorsOf(group.map((f) => neighboursOf(examplesOf(f)))).forEach((label, k) => {
      if (label !== null) separators.set(group[k]!, label);
    });
  }
  return { keys, separators };
}

/**
 * Pass 3: re-reads the corpus as far as pass 1 analysed it and runs the held-out windows, scoring
 * every explanation on their analysed tokens. The same windows and the same token limit as pass 1:
 * every window's analysed tokens are counted, held out or not, and scoring stops where pass 1 did.
 */
async function scorePass(
  o: Options,
  run: Run,
  stats: FeatureStats,
  keys: string[][],
  text: TokenTextCache,
  passOneWindows: number,
): Promise<{ scorer: ExplanationScorer | null; windows: number }> {
  const scorer = new ExplanationScorer(stats.max, keys);
  if (!scorer.anyScored) return { scorer, windows: 0 };
  const meter = run.ctx.meter('windows', Math.floor(passOneWindows / HELD_OUT_EVERY));
  const dSae = run.sae.cfg.d_sae;
  const encode = (t: string): number[] => run.model.tokenizer.encode(t, { addSpecialTokens: false });
  let analysed = 0;
  let windows = 0;
  let batch: { window: TokenWindow; scored: Uint8Array }[] = [];

  const runBatch = (): void => {
    const acts = encodeBatch(
      run,
      batch.map((b) => b.window),
    );
    try {
      const data = acts.dataSync() as Float32Array;
      batch.forEach(({ window, scored }, b) => {
        const L = window.tokens.length;
        const tokenKeysOfWindow = tokenKeys(text.texts(window.tokens));
        for (let p = 0; p < L; p++) if (scored[p] === 1) scorer.addToken(tokenKeysOfWindow[p]!, data, (b * L + p) * dSae);
      });
    } finally {
      acts.dispose();
    }
    windows += batch.length;
    batch = [];
    meter.update(windows, { message: 'scoring explanations on held-out windows' });
  };

  let id = 0;
  for (const window of makeWindows(readCorpus(o.corpus, run.scan), encode, run.settings)) {
    if (analysed >= o.maxTokens || analysed >= stats.tokens) break;
    // The positions pass 1 analysed in this window: kept ones, up to the token limit.
    const scored = new Uint8Array(window.tokens.length);
    for (let p = 0; p < scored.length && analysed < stats.tokens; p++) {
      if (window.keep[p] !== 1) continue;
      analysed++;
      scored[p] = 1;
    }
    if (isHeldOut(id)) {
      const sameLength = batch.length === 0 || batch[0]!.window.tokens.length === window.tokens.length;
      if (batch.length === o.batchSize || !sameLength) {
        runBatch();
        await breathe();
        if (run.ctx.signal.aborted) throw cancelled();
      }
      batch.push({ window, scored });
    }
    id++;
  }
  if (batch.length > 0) runBatch();
  return { scorer, windows };
}

function exampleRecord(p: ExamplePlan, text: TokenTextCache): ExampleRecord {
  if (p.ids === undefined || p.values === undefined) throw new FeaturescopeError('internal', `example of feature ${p.feature} in window ${p.window} was not filled`);
  return {
    kind: p.kind,
    bucket: p.bucket,
    rank: p.rank,
    tokens: text.texts(p.ids),
    values: Array.from(p.values),
    doc: p.doc ?? 0,
    start: p.start ?? 0,
  };
}

function logitEffectsOf(t: LogitEffectTable, f: number, text: TokenTextCache): LogitEffects {
  const list = (ids: Int32Array, values: Float32Array): [string, number][] =>
    Array.from({ length: t.n }, (_, j) => [text.text(ids[f * t.n + j]!), values[f * t.n + j]!]);
  return { promoted: list(t.promotedIds, t.promotedValues), suppressed: list(t.suppressedIds, t.suppressedValues) };
}

// ---------------------------------------------------------------------------------------------
// Settings and checks

function checkOptions(opts: AnalyzeOptions): Options {
  const o = { ...DEFAULTS, ...stripUndefined(opts), maxTokens: opts.maxTokens ?? Infinity, corpusId: opts.corpusId } as Options;
  const int = (v: number, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw new FeaturescopeError('invalid_input', `${field}: must be an integer from ${min} to ${max}, got ${v}`, field);
  };
  int(o.contextLength, 'contextLength', 2);
  if (opts.maxTokens !== undefined) int(opts.maxTokens, 'maxTokens', 1);
  int(o.topExamples, 'topExamples', 0, 1024);
  int(o.quantileBuckets, 'quantileBuckets', 1, 100);
  int(o.samplesPerBucket, 'samplesPerBucket', 0, 255);
  int(o.contextWindow, 'contextWindow', 1, 4096);
  int(o.logitTokens, 'logitTokens', 0, 1000);
  int(o.batchSize, 'batchSize', 1, 4096);
  int(o.writeBatch, 'writeBatch', 1, 100_000);
  int(o.seed, 'seed', 0, 0xffffffff);
  int(o.saeId, 'saeId', 1);
  const perFeature = o.topExamples + o.quantileBuckets * o.samplesPerBucket;
  if (perFeature > EXAMPLES_PER_FEATURE_MAX) {
    throw new FeaturescopeError('invalid_input', `topExamples + quantileBuckets × samplesPerBucket is ${perFeature}; the catalog keeps at most ${EXAMPLES_PER_FEATURE_MAX} examples per feature`, 'topExamples');
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The SAE's hook must be a hook point of the model, with the SAE's d_in as its width. */
function checkSaeFitsModel(sae: Sae, model: LoadedModel, saePath: string): string {
  const hook = sae.cfg.metadata.hook_name;
  if (typeof hook !== 'string' || !model.hookNames().includes(hook)) {
    throw new FeaturescopeError(
      'invalid_input',
      `${saePath}: the SAE reads hook ${JSON.stringify(hook)}, which is not a hook point of ${model.dir}; e.g. ${model.hookNames().slice(1, 4).join(', ')}`,
      'saePath',
    );
  }
  const width = /\.mlp\.hook_post$/.test(hook) ? model.config.dMlp : model.config.dModel;
  if (sae.cfg.d_in !== width) {
    throw new FeaturescopeError('invalid_input', `${saePath}: the SAE's d_in is ${sae.cfg.d_in}, but ${hook} of this model has width ${width}`, 'saePath');
  }
  return hook;
}

/** Passes pieces through, reporting how many corpus bytes come before the next one. */
function* trackBytes(pieces: Iterable<CorpusPiece>, scan: CorpusScan, onBytes: (bytes: number) => void): Generator<CorpusPiece> {
  const before = (c: CorpusCursor): number => scan.files.slice(0, c.file).reduce((s, f) => s + f.bytes, 0) + c.offset;
  for (const piece of pieces) {
    yield piece;
    onBytes(before(piece.next));
  }
}

function cancelled(): FeaturescopeError {
  return new FeaturescopeError('cancelled', 'Analysis cancelled; nothing of it was written to the catalog.');
}

function nonFinite(feature: number): FeaturescopeError {
  return new FeaturescopeError('failed', `Feature ${feature} has a non-finite activation (NaN or Infinity); the model or SAE weights are broken.`);
}

function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
