// Scanning for watched features: stream a corpus (or a list of prompts) through the model to the
// SAE's hook, encode, keep only the watched columns, and flag every context — a corpus window or
// one prompt — where a watched feature exceeds its threshold.
//
//   source → contexts (token ids, keep mask, origin of each token; prompts sorted by length) →
//   batches of equal length →
//   model forward (capture the hook) → SAE encode → gather the watched features: [B, L, n] →
//   per feature: max over every token, tokens over threshold, the context's peak → bounded top-k
//
// Memory is bounded by the batch and by n × topPerFeature kept contexts, never by the corpus.
// Windows are cut exactly as capture and analysis cut them (windowSettingsFor, makeWindows), and
// special tokens (BOS, separators) are context for the model but never flagged, as in analysis.
// Each kept flag also points at its context's token ids (one array per context, shared by its
// flags), so one flag can be re-run alone from the prefix up to its peak (replayFlag): the model is
// causal, so the prefix gives the same value. scan-log.ts decides what of this the log keeps.

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import { contextSlice, TokenTextCache } from '../analysis/examples';
import { FeatureTopK } from '../analysis/topExamples';
import { WindowOriginTracker, type TokenOrigin } from '../analysis/windowOrigins';
import { type CorpusCursor, type CorpusPiece, type CorpusScan, type CorpusSpec, readCorpus, scanCorpus } from '../capture/corpus';
import { windowSettingsFor } from '../capture/model-windows';
import { makeWindows, type WindowSettings } from '../capture/windows';
import type { JobContext } from '../jobs/context';
import type { LoadedModel } from '../model/load';
import type { Sae } from '../sae/sae';

export interface WatchedFeature {
  idx: number;
  /** Activation units: a token flags its context when the feature's value exceeds this. */
  threshold: number;
}

export type ScanSourceInput = { kind: 'corpus'; corpus: CorpusSpec } | { kind: 'prompts'; prompts: string[] };

export interface ScanOptions {
  /** Tokens per corpus window; prompts are scanned whole. Default: as analysis (128 or the model's positions). */
  contextLength?: number;
  /** Stop after this many scanned (non-special) tokens. */
  maxTokens?: number;
  /** Contexts kept per feature, highest peak first. Default 10. */
  topPerFeature?: number;
  /** Tokens shown around a peak. Default 32. */
  contextWindow?: number;
  /** Contexts per forward pass. Default 8. */
  batchSize?: number;
}

export interface Flag {
  tokens: string[];
  values: number[];
  peakIndex: number;
  peak: number;
  doc: number;
  position: number;
  tokensOver: number;
  /**
   * Where it was scanned: the context's number in scan order, its token ids (the same array for
   * every flag of that context) and the peak's index in them; ids[0..at] re-run it (replayFlag).
   */
  scanned: ScannedAt;
}

export interface ScannedAt {
  context: number;
  ids: readonly number[];
  at: number;
}

/** The token ids that re-run a flag: its context up to and including the peak. */
export const prefixOf = (flag: Pick<Flag, 'scanned'>): number[] => flag.scanned.ids.slice(0, flag.scanned.at + 1);

export interface FeatureScan {
  idx: number;
  threshold: number;
  flagged: number;
  flaggedTokens: number;
  maxAct: number;
  top: Flag[];
}

export interface ScanOutcome {
  hook: string;
  tokens: number;
  contexts: number;
  seconds: number;
  features: FeatureScan[];
}

export type ScanContext = Pick<JobContext, 'signal' | 'meter'>;

interface Context {
  /** A corpus window's number in reading order, or a prompt's index: ties between equal peaks go to the lower id. */
  id: number;
  tokens: number[];
  keep: Uint8Array;
  origins: TokenOrigin[];
  /** Positions from here on are read by the model but not scanned (a prompt cut by maxTokens). */
  end?: number;
}

const GUESS_TOKENS_PER_BYTE = 0.25;

export async function scanWatchedFeatures(model: LoadedModel, sae: Sae, watched: readonly WatchedFeature[], source: ScanSourceInput, opts: ScanOptions, ctx: ScanContext): Promise<ScanOutcome> {
  const started = performance.now();
  if (watched.length === 0) throw new FeaturescopeError('invalid_input', 'Nothing to scan for: the watchlist has no features of this SAE.', 'watchlist');
  for (const w of watched) {
    if (!Number.isInteger(w.idx) || w.idx < 0 || w.idx >= sae.cfg.d_sae) throw new FeaturescopeError('invalid_input', `Feature ${w.idx} is outside the SAE (d_sae ${sae.cfg.d_sae}).`, 'watchlist');
    if (!(w.threshold > 0)) throw new FeaturescopeError('invalid_input', `Feature ${w.idx}: the threshold must be above 0, got ${w.threshold}.`, 'watchlist');
  }
  const hook = saeHookOn(model, sae);
  const topPerFeature = opts.topPerFeature ?? 10;
  const contextWindow = opts.contextWindow ?? 32;
  const batchSize = opts.batchSize ?? 8;
  // A prompt list is cut to maxTokens before it is sorted for batching (contextSource), so the same prompts are scanned.
  const maxTokens = source.kind === 'prompts' ? Infinity : (opts.maxTokens ?? Infinity);
  const settings = windowSettingsFor(model, { ...(opts.contextLength === undefined ? {} : { contextLength: opts.contextLength }), maskSpecialTokens: true });

  const n = watched.length;
  const thresholds = Float32Array.from(watched, (w) => w.threshold);
  const maxAct = new Float64Array(n);
  const flagged = new Float64Array(n);
  const flaggedTokens = new Float64Array(n);
  const heap = new FeatureTopK(n, topPerFeature);
  const kept: Map<number, Flag>[] = watched.map(() => new Map());
  const text = new TokenTextCache(model.tokenizer);
  const columns = tf.tensor1d(Int32Array.from(watched, (w) => w.idx), 'int32');

  const progress = await contextSource(model, settings, source, opts.maxTokens ?? Infinity, ctx);
  const meter = ctx.meter('tokens', Math.max(1, Math.min(maxTokens, progress.expectedTokens())));
  let tokens = 0;
  let contexts = 0;
  let batch: Context[] = [];

  /** Runs one batch; returns true when maxTokens is reached. */
  const runBatch = (): boolean => {
    const L = batch[0]!.tokens.length;
    const acts = watchedActivations(model, sae, hook, batch.map((c) => c.tokens), columns); // [B, L, n]
    let reachedLimit = false;
    try {
      const data = acts.dataSync() as Float32Array;
      for (let b = 0; b < batch.length && !reachedLimit; b++) {
        const c = batch[b]!;
        // Positions this context scans: kept tokens, up to its end and the token limit.
        let last = c.end ?? L;
        for (let p = 0; p < last; p++) {
          if (c.keep[p] !== 1) continue;
          if (tokens >= maxTokens) {
            last = p;
            reachedLimit = true;
            break;
          }
          tokens++;
        }
        if (last === 0) break;
        for (let j = 0; j < n; j++) {
          let over = 0;
          let peak = -Infinity;
          let peakPos = -1;
          for (let p = 0; p < last; p++) {
            if (c.keep[p] !== 1) continue;
            const v = data[(b * L + p) * n + j]!;
            if (v !== v || v === Infinity) throw new FeaturescopeError('failed', `Feature ${watched[j]!.idx} has a non-finite activation (NaN or Infinity); the model or SAE weights are broken.`);
            if (v > maxAct[j]!) maxAct[j] = v;
            if (v > thresholds[j]!) {
              over++;
              if (v > peak) {
                peak = v;
                peakPos = p;
              }
            }
          }
          if (over === 0) continue;
          flagged[j]!++;
          flaggedTokens[j]! += over;
          if (heap.offer(j, peak, c.id, peakPos)) {
            kept[j]!.set(c.id, flagOf(c, data, b, L, n, j, peakPos, over, contextWindow, text));
            if (kept[j]!.size > 2 * topPerFeature) prune(heap, kept, j);
          }
        }
        contexts++;
      }
    } finally {
      acts.dispose();
    }
    batch = [];
    return reachedLimit;
  };

  try {
    let stopped = false;
    for (const context of progress.contexts()) {
      const sameLength = batch.length === 0 || batch[0]!.tokens.length === context.tokens.length;
      if (batch.length === batchSize || !sameLength) {
        stopped = runBatch();
        report(meter, tokens, maxTokens, progress, started);
        if (stopped) break;
        await breathe();
        if (ctx.signal.aborted) throw cancelled();
      }
      batch.push(context);
    }
    if (!stopped && batch.length > 0) runBatch();
    report(meter, tokens, maxTokens, progress, started, true);
  } finally {
    columns.dispose();
  }

  const features = watched.map((w, j): FeatureScan => {
    prune(heap, kept, j);
    return {
      idx: w.idx,
      threshold: w.threshold,
      flagged: flagged[j]!,
      flaggedTokens: flaggedTokens[j]!,
      maxAct: maxAct[j]!,
      top: heap.entries(j).map((e) => kept[j]!.get(e.window)!),
    };
  });
  return { hook, tokens, contexts, seconds: (performance.now() - started) / 1000, features };
}

/** The feature's value at the last token of `ids`, the model run on `ids` alone: one flag re-run. */
export function replayFlag(model: LoadedModel, sae: Sae, idx: number, ids: readonly number[]): number {
  const hook = saeHookOn(model, sae);
  const columns = tf.tensor1d([idx], 'int32');
  try {
    const acts = watchedActivations(model, sae, hook, [[...ids]], columns); // [1, L, 1]
    try {
      const data = acts.dataSync();
      return data[data.length - 1]!;
    } finally {
      acts.dispose();
    }
  } finally {
    columns.dispose();
  }
}

/** A prompt's ids as a prompt scan reads them (with the tokenizer's special tokens): replay encodes logged prompts the same way. */
export function encodePrompt(model: LoadedModel, prompt: string): number[] {
  return model.tokenizer.encode(prompt);
}

/** The SAE's hook must be a hook point of the model, with the SAE's d_in as its width. */
export function saeHookOn(model: LoadedModel, sae: Sae): string {
  const hook = sae.cfg.metadata.hook_name;
  if (!model.hookNames().includes(hook)) {
    throw new FeaturescopeError('invalid_input', `The SAE reads hook ${JSON.stringify(hook)}, which is not a hook point of ${model.dir}; pick the model the SAE was trained on.`, 'model');
  }
  const width = /\.mlp\.hook_post$/.test(hook) ? model.config.dMlp : model.config.dModel;
  if (sae.cfg.d_in !== width) throw new FeaturescopeError('invalid_input', `The SAE's d_in is ${sae.cfg.d_in}, but ${hook} of ${model.dir} has width ${width}.`, 'model');
  return hook;
}

/** Model forward with the hook captured, SAE encode, then only the watched columns: [B, L, n]. */
function watchedActivations(model: LoadedModel, sae: Sae, hook: string, batch: number[][], columns: tf.Tensor1D): tf.Tensor {
  const { logits, captured } = model.run(batch, { capture: [hook], lastPositionOnly: true });
  logits.dispose();
  try {
    const x = captured.get(hook)!; // [B, L, d_in]
    return tf.tidy(() => tf.gather(sae.encode(x), columns, 2)); // [B, L, n]
  } finally {
    for (const t of captured.values()) t.dispose();
  }
}

function flagOf(c: Context, data: Float32Array, b: number, L: number, n: number, j: number, pos: number, over: number, size: number, text: TokenTextCache): Flag {
  const [from, to] = contextSlice(L, pos, size);
  const values: number[] = [];
  for (let p = from; p < to; p++) values.push(c.keep[p] === 1 ? data[(b * L + p) * n + j]! : 0);
  const origin = c.origins[pos]!;
  return {
    tokens: text.texts(c.tokens.slice(from, to)),
    values,
    peakIndex: pos - from,
    peak: data[(b * L + pos) * n + j]!,
    doc: origin.doc,
    position: Math.max(0, origin.offset),
    tokensOver: over,
    scanned: { context: c.id, ids: c.tokens, at: pos },
  };
}

/** Drop kept contexts of feature j that the top-k heap no longer holds. */
function prune(heap: FeatureTopK, kept: Map<number, Flag>[], j: number): void {
  const live = new Set(heap.entries(j).map((e) => e.window));
  for (const id of kept[j]!.keys()) if (!live.has(id)) kept[j]!.delete(id);
}

interface ContextSource {
  contexts(): Iterable<Context>;
  /** Tokens the whole source holds, estimated for a corpus until it has been read. */
  expectedTokens(): number;
}

/**
 * Contexts of a corpus (windows cut as capture cuts them, in reading order) or of a prompt list
 * (one per prompt, cut to maxTokens in the given order, then sorted by length so prompts of one
 * length share forward passes; each keeps its index for ids and doc numbers).
 */
async function contextSource(model: LoadedModel, settings: WindowSettings, source: ScanSourceInput, maxTokens: number, ctx: ScanContext): Promise<ContextSource> {
  const special = new Set(settings.specialTokenIds);
  if (source.kind === 'prompts') {
    const maxPositions = model.config.maxPositions;
    const all = source.prompts.map((prompt, i): Context => {
      const tokens = encodePrompt(model, prompt);
      if (tokens.length === 0) throw new FeaturescopeError('invalid_input', `source.prompts.${i}: the prompt encodes to no tokens.`, `source.prompts.${i}`);
      if (maxPositions !== null && tokens.length > maxPositions) {
        throw new FeaturescopeError('invalid_input', `source.prompts.${i}: the prompt is ${tokens.length} tokens; this model reads at most ${maxPositions}. Split it, or scan the text as a corpus.`, `source.prompts.${i}`);
      }
      return { id: i, tokens, keep: Uint8Array.from(tokens, (id) => (special.has(id) ? 0 : 1)), origins: tokens.map((_, p) => ({ doc: i, offset: p })) };
    });
    const cut = cutToTokens(all, maxTokens);
    const total = cut.reduce((s, c) => s + scannedTokens(c), 0);
    cut.sort((a, b) => a.tokens.length - b.tokens.length || a.id - b.id);
    return { contexts: () => cut, expectedTokens: () => total };
  }
  const scan = await scanCorpus(source.corpus, { signal: ctx.signal });
  if (ctx.signal.aborted) throw cancelled();
  let bytesRead = 0;
  let tokensRead = 0;
  return {
    *contexts() {
      let id = 0;
      const tracker = new WindowOriginTracker(settings.bos, settings.bosTokenId);
      const encode = tracker.encoder((t) => model.tokenizer.encode(t, { addSpecialTokens: false }));
      const pieces = tracker.pieces(trackBytes(readCorpus(source.corpus, scan), scan, (b) => (bytesRead = b)));
      for (const w of makeWindows(pieces, encode, settings)) {
        for (const k of w.keep) tokensRead += k;
        yield { id: id++, tokens: w.tokens, keep: w.keep, origins: tracker.origins(w) };
      }
    },
    expectedTokens: () => (bytesRead > 0 ? Math.max(tokensRead, Math.round((tokensRead / bytesRead) * scan.bytes)) : Math.round(scan.bytes * GUESS_TOKENS_PER_BYTE)),
  };
}

/** The first contexts, in order, holding `maxTokens` scanned tokens; the last one may end early. */
function cutToTokens(contexts: Context[], maxTokens: number): Context[] {
  const out: Context[] = [];
  let left = maxTokens;
  for (const c of contexts) {
    if (left <= 0) break;
    const n = scannedTokens(c);
    if (n <= left) {
      out.push(c);
      left -= n;
      continue;
    }
    let end = 0;
    for (let seen = 0; seen < left; end++) seen += c.keep[end]!;
    out.push({ ...c, end });
    left = 0;
  }
  return out;
}

const scannedTokens = (c: Context): number => c.keep.reduce((a, k) => a + k, 0);

/** Passes pieces through, reporting how many corpus bytes come before the next one. */
function* trackBytes(pieces: Iterable<CorpusPiece>, scan: CorpusScan, onBytes: (bytes: number) => void): Generator<CorpusPiece> {
  const before = (c: CorpusCursor): number => scan.files.slice(0, c.file).reduce((s, f) => s + f.bytes, 0) + c.offset;
  for (const piece of pieces) {
    yield piece;
    onBytes(before(piece.next));
  }
}

function report(meter: ReturnType<ScanContext['meter']>, tokens: number, maxTokens: number, source: ContextSource, started: number, force = false): void {
  meter.setTotal(Math.max(tokens, Math.min(maxTokens, source.expectedTokens())));
  const seconds = (performance.now() - started) / 1000;
  meter.update(tokens, { message: `${tokens.toLocaleString('en-US')} tokens scanned`, metrics: { tokensPerSecond: seconds > 0 ? tokens / seconds : 0 }, force });
}

function cancelled(): FeaturescopeError {
  return new FeaturescopeError('cancelled', 'Scan cancelled; nothing was logged.');
}

function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
