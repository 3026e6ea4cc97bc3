// captureActivations: model + corpus → one activation store per hook, in one pass over the corpus.
//
//   scan corpus (sha256, validation) → pieces → token windows → batches of windows → model.run with
//   capture → kept rows appended to each hook's shard buffer → shard + manifest when a buffer fills
//
// A shard holds whole windows only and the manifest records the window cursor after its last one,
// so a capture stopped anywhere (cancel, crash, kill -9) restarts from the last complete shard and
// produces the same rows an uninterrupted run does. Cancel writes the rows already buffered as a
// (smaller) shard before stopping, so no finished forward pass is thrown away.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import { DiskFullError, formatBytes } from '../formats/atomic';
import { type LoadedModel, loadModel } from '../model/load';
import { CONFIG_FILE } from '../model/load';
import { batchRowsWithin } from '../model/memoryPlan';
import { type CorpusSpec, readCorpus, scanCorpus } from './corpus';
import { ActivationStoreWriter, rowsForBuffer, type StoreCursor, type StoreDtype, type StoreIdentity } from './store';
import { type BosMode, makeWindows, type TokenWindow } from './windows';
import { windowSettingsFor } from './model-windows';
import { TokenEstimate } from './token-estimate';

export interface CaptureOptions {
  /** Hugging Face model folder. */
  modelDir: string;
  corpus: CorpusSpec;
  /** TransformerLens hook names; one store per hook, in `outDir/<hook>/`. */
  hooks: string[];
  outDir: string;
  /** Tokens per window; default min(128, the model's positions). */
  contextLength?: number;
  /** 'auto' (default): 'prepend' if the tokenizer adds BOS, else 'separator' with EOS, else 'none'. */
  bos?: BosMode | 'auto';
  /** Leave special-token positions (BOS, separators, other special added tokens) out; default true. */
  maskSpecialTokens?: boolean;
  /** Stored precision; default 'float32'. */
  dtype?: StoreDtype;
  /** In-memory shard buffer per hook, in bytes; a shard holds at most this much. Default 64 MiB. */
  bufferBytes?: number;
  /** Windows per forward pass; default 8. */
  batchSize?: number;
  /** Stop once this many tokens are stored (per hook); default: the whole corpus. */
  maxTokens?: number;
  /** Continue a store in outDir made with the same settings (default true). */
  resume?: boolean;
  /** Largest piece of text tokenized at once, in bytes; default 16 KiB. */
  maxPieceBytes?: number;
}

export interface CaptureStoreResult {
  hook: string;
  storeDir: string;
  tokens: number;
  shards: number;
}

export interface CaptureResult {
  /** Store of the first hook (the only one when one hook is captured). */
  storeDir: string;
  tokens: number;
  shards: number;
  stores: CaptureStoreResult[];
}

/** The part of JobContext capture uses (engine/jobs/context.ts satisfies it). */
export interface CaptureContext {
  signal: AbortSignal;
  meter(unit: string, total: number): {
    update(done: number, extra?: { message?: string; metrics?: Record<string, number>; force?: boolean }): void;
    setTotal?(total: number): void;
  };
}

export interface CaptureDeps {
  /** An already loaded model for modelDir (the engine may keep one); loaded and disposed here otherwise. */
  model?: LoadedModel;
}

const DEFAULT_BUFFER_BYTES = 64 * 1024 * 1024;
const DEFAULT_BATCH = 8;

export async function captureActivations(opts: CaptureOptions, ctx: CaptureContext, deps: CaptureDeps = {}): Promise<CaptureResult> {
  checkOptions(opts);
  const model = deps.model ?? (await loadModel(opts.modelDir));
  try {
    return await capture(opts, ctx, model);
  } finally {
    if (deps.model === undefined) model.dispose();
  }
}

async function capture(opts: CaptureOptions, ctx: CaptureContext, model: LoadedModel): Promise<CaptureResult> {
  const hooks = opts.hooks;
  const known = new Set(model.hookNames());
  for (const h of hooks) {
    if (!known.has(h)) throw new FeaturescopeError('invalid_input', `hooks: ${JSON.stringify(h)} is not a hook point of this model; e.g. ${model.hookNames().slice(2, 5).join(', ')}`, 'hooks');
  }
  const settings = windowSettingsFor(model, opts);
  const widths = hookWidths(model, hooks);

  // Pass 1: hash and validate the corpus (a bad jsonl line fails here, before any forward pass).
  const scanMeter = ctx.meter('bytes', 0);
  const scan = await scanCorpus(opts.corpus, {
    signal: ctx.signal,
    onProgress: (done, total) => {
      scanMeter.setTotal?.(total);
      scanMeter.update(done, { message: 'hashing and checking the corpus' });
    },
  });

  const identityBase = {
    model: { name: basename(model.dir), family: model.config.family, config_sha256: sha256(readFileSync(join(model.dir, CONFIG_FILE))) },
    dtype: opts.dtype ?? 'float32',
    corpus: { kind: opts.corpus.kind, sha256: scan.sha256, bytes: scan.bytes, ...(opts.corpus.kind === 'jsonl' ? { text_field: opts.corpus.textField ?? 'text' } : {}) },
    window_settings: settings,
  } satisfies Omit<StoreIdentity, 'hook' | 'd_in'>;
  const bufferBytes = opts.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  // Every hook's shards hold the same windows, so a kill leaves their shard lists comparable.
  const capacity = Math.min(...widths.map((d) => rowsForBuffer(bufferBytes, d, identityBase.dtype)));
  if (capacity < settings.contextLength) {
    throw new FeaturescopeError('invalid_input', `bufferBytes: ${bufferBytes} bytes hold ${capacity} rows, less than one window of ${settings.contextLength} tokens`, 'bufferBytes');
  }
  const writers = hooks.map((hook, i) =>
    ActivationStoreWriter.open(join(opts.outDir, hook), { ...identityBase, hook, d_in: widths[i]! }, { bufferBytes, capacityRows: capacity, resume: opts.resume ?? true }),
  );
  let position = alignStores(writers);
  const result = (): CaptureResult => {
    const stores = writers.map((w, i) => ({ hook: hooks[i]!, storeDir: w.dir, tokens: w.manifest.tokens, shards: w.manifest.shards.length }));
    return { storeDir: stores[0]!.storeDir, tokens: stores[0]!.tokens, shards: stores[0]!.shards, stores };
  };
  if (writers.every((w) => w.manifest.complete)) return result();

  // Pass 2: windows → forward passes → shards.
  const startTokens = writers[0]!.manifest.tokens;
  const maxTokens = opts.maxTokens ?? Infinity;
  const estimate = new TokenEstimate(scan);
  estimate.reached(position);
  const meter = ctx.meter('tokens', Math.max(1, Math.round(estimate.total(startTokens, maxTokens) - startTokens)));
  const started = performance.now();
  let stored = startTokens;
  const report = (force = false): void => {
    const done = stored - startTokens;
    const seconds = (performance.now() - started) / 1000;
    meter.setTotal?.(Math.max(done, Math.round(estimate.total(stored, maxTokens) - startTokens)));
    meter.update(done, {
      message: `${stored.toLocaleString('en-US')} tokens stored`,
      metrics: { tokens: stored, shards: writers[0]!.manifest.shards.length, tokensPerSecond: seconds > 0 ? done / seconds : 0 },
      force,
    });
  };
  const encode = (text: string): number[] => {
    const ids = model.tokenizer.encode(text, { addSpecialTokens: false });
    estimate.encoded(ids.length);
    return ids;
  };
  const pieces = estimate.measure(readCorpus(opts.corpus, scan, position.corpus, { maxPieceBytes: opts.maxPieceBytes }));
  const windows = makeWindows(pieces, encode, settings, position);
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  let batch: TokenWindow[] = [];
  let batchRows = 0;

  const flush = (complete: boolean): void => {
    try {
      for (const w of writers) w.flush(position, complete);
    } catch (err) {
      if (err instanceof DiskFullError) throw diskFullDuringCapture(err, writers[0]!.manifest.tokens, remainingBytes());
      throw err;
    }
    estimate.reached(position);
    report(true);
  };
  /** Rough size of what is still to be written, for the full-disk message. */
  const remainingBytes = (): number => {
    const kept = writers[0]!.manifest.tokens;
    const perToken = widths.reduce((s, d) => s + d * (identityBase.dtype === 'float16' ? 2 : 4) + 4, 0);
    return Math.max(0, Math.round((estimate.total(stored, maxTokens) - kept) * perToken));
  };
  /** Runs the batch and appends its kept rows, cut at maxTokens. Returns true when maxTokens is reached. */
  const runBatch = (): boolean => {
    if (batch.length === 0) return false;
    const rowsAllowed = Math.min(batchRows, maxTokens - stored);
    const rows = forwardAndGather(model, hooks, widths, batch, rowsAllowed);
    writers.forEach((w, i) => w.append(rows.values[i]!, rows.tokenIds, batch.length));
    stored += rows.tokenIds.length;
    position = batch[batch.length - 1]!.next;
    estimate.reached(position);
    batch = [];
    batchRows = 0;
    return stored >= maxTokens;
  };

  for (const window of windows) {
    const rows = keptRows(window);
    const sameLength = batch.length === 0 || batch[0]!.tokens.length === window.tokens.length;
    // The memory plan bounds a batch too: a big model's activations must fit beside its weights.
    const rowsPerBatch = Math.min(batchSize, batchRowsWithin(model.memoryPlan, model.config, (batch[0] ?? window).tokens.length));
    if (batch.length >= rowsPerBatch || !sameLength || batchRows + rows > writers[0]!.freeRows) {
      if (runBatch()) {
        flush(true);
        return result();
      }
      if (rows > writers[0]!.freeRows) flush(false);
      report();
      await breathe();
      if (ctx.signal.aborted) return cancel(flush);
    }
    batch.push(window);
    batchRows += rows;
  }
  runBatch();
  flush(true);
  return result();
}

/** The disk filled while writing a shard: where, how much is needed, and that the capture resumes. */
function diskFullDuringCapture(err: DiskFullError, keptTokens: number, restBytes: number): FeaturescopeError {
  const free = err.freeBytes === null ? '' : ` (${formatBytes(err.freeBytes)} free)`;
  return new FeaturescopeError(
    'failed',
    `No space left on the disk of ${dirname(err.path)}${free}: ${basename(err.path)} needs ${formatBytes(err.neededBytes)}, the rest of the capture about ${formatBytes(Math.max(restBytes, err.neededBytes))}. ` +
      `The ${keptTokens.toLocaleString('en-US')} tokens already in shards are kept: free some space and run the same capture again to resume from there.`,
  );
}

function cancel(flush: (complete: boolean) => void): never {
  flush(false);
  throw new FeaturescopeError('cancelled', 'Capture cancelled; the rows captured so far are saved and the same capture resumes from there.');
}

function keptRows(w: TokenWindow): number {
  let n = 0;
  for (const k of w.keep) n += k;
  return n;
}

/** One forward over equal-length windows; the kept positions' activations per hook, row-major. */
function forwardAndGather(model: LoadedModel, hooks: string[], widths: number[], batch: TokenWindow[], rowsAllowed: number): { values: Float32Array[]; tokenIds: Int32Array } {
  const L = batch[0]!.tokens.length;
  const picks: number[] = []; // flat index b·L + p of each kept position, in order
  const tokenIds: number[] = [];
  for (let b = 0; b < batch.length && picks.length < rowsAllowed; b++) {
    const w = batch[b]!;
    for (let p = 0; p < L && picks.length < rowsAllowed; p++) {
      if (w.keep[p] === 1) {
        picks.push(b * L + p);
        tokenIds.push(w.tokens[p]!);
      }
    }
  }
  const { logits, captured } = model.run(
    batch.map((w) => w.tokens),
    { capture: hooks, lastPositionOnly: true },
  );
  logits.dispose();
  try {
    const values = hooks.map((hook, i) => {
      const t = captured.get(hook) as tf.Tensor; // [batch, pos, width]
      const data = t.dataSync() as Float32Array;
      const d = widths[i]!;
      const out = new Float32Array(picks.length * d);
      picks.forEach((flat, r) => out.set(data.subarray(flat * d, (flat + 1) * d), r * d));
      return out;
    });
    return { values, tokenIds: Int32Array.from(tokenIds) };
  } finally {
    for (const t of captured.values()) t.dispose();
  }
}

/** Brings several hooks' stores to the same shard count (a kill can land between their manifests). */
function alignStores(writers: ActivationStoreWriter[]): StoreCursor {
  const shortest = writers.reduce((a, b) => (b.manifest.shards.length < a.manifest.shards.length ? b : a));
  if (writers.every((w) => w.manifest.complete)) return shortest.manifest.position;
  const count = shortest.manifest.shards.length;
  const position = shortest.manifest.position;
  for (const w of writers) {
    if (w.manifest.shards.length > count || w.manifest.complete) w.rewind(count, position);
  }
  return position;
}

/** Width of each hook's activation, from a one-token forward. */
function hookWidths(model: LoadedModel, hooks: string[]): number[] {
  const { logits, captured } = model.run([[0]], { capture: hooks, lastPositionOnly: true });
  logits.dispose();
  const widths = hooks.map((h) => captured.get(h)?.shape[2] ?? 0);
  for (const t of captured.values()) t.dispose();
  return widths;
}

function checkOptions(o: CaptureOptions): void {
  if (!Array.isArray(o.hooks) || o.hooks.length === 0) throw new FeaturescopeError('invalid_input', 'hooks: name at least one hook point', 'hooks');
  if (new Set(o.hooks).size !== o.hooks.length) throw new FeaturescopeError('invalid_input', 'hooks: each hook at most once', 'hooks');
  const positive = (v: number | undefined, field: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new FeaturescopeError('invalid_input', `${field}: must be a positive integer`, field);
  };
  positive(o.batchSize, 'batchSize');
  positive(o.bufferBytes, 'bufferBytes');
  positive(o.maxTokens, 'maxTokens');
  positive(o.contextLength, 'contextLength');
  if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float16') throw new FeaturescopeError('invalid_input', "dtype: must be 'float32' or 'float16'", 'dtype');
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
