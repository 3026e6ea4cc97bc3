// The memory plan of a model, made from config.json and the weight headers before any tensor is
// read (issue #15): how many parameters and stored bytes, what stays resident in the backend and
// what streams in per layer, the expected peak, against the backend's limit and the machine's free
// memory. Resident when everything fits; streaming when only a layer at a time fits; refused,
// naming these numbers, when not even that does.
//
// Streaming keeps the checkpoint in its file (the OS page cache holds it, not our heap): a layer's
// tensors are read, widened to f32, brought into the backend when the layer runs and disposed
// after it. Embedding rows are always read from the stored table; the unembedding always runs in
// vocabulary chunks, so no [d_vocab, d_model] table is transposed or uploaded whole.

import { freemem } from 'node:os';
import { FeaturescopeError } from '../../shared/errors';
import type { MemoryPlan } from '../../shared/contract';
import { describePlan, formatBytes as gb } from '../../shared/memory-plan-text';
import type { WeightStore } from '../formats/sharded';
import { type Architecture, type BlockModules, weightShapes } from './architecture';
import type { ModelConfig } from './config';

export type { MemoryPlan };
export { describePlan, formatBytes } from '../../shared/memory-plan-text';

/** Vocabulary rows per unembedding chunk: 16,384 × 2304 × 4 B = 151 MB for Gemma-2-2B. */
export const VOCAB_CHUNK_ROWS = 16_384;
/** The run the working set is sized for: one row of 512 tokens (or the model's positions, if fewer). */
export const REFERENCE_TOKENS = 512;
/** wasm32 memory is addressed by 32 bits: tfjs-backend-wasm's heap tops out at 4 GiB. */
export const WASM_HEAP_LIMIT = 4 * 1024 ** 3;
/** Node, V8, tfjs and the engine's own code before any model (measured ~250 MB RSS, rounded up). */
const PROCESS_BASELINE_BYTES = 400 * 1024 ** 2;

export interface MemoryLimits {
  /** tfjs backend name ('wasm', 'tensorflow', 'cpu'). */
  backend: string;
  /** Bytes the backend can hold at once. */
  backendLimitBytes: number;
  /** Memory the machine can give this process now. */
  freeBytes: number;
}

/**
 * The limits of this process: wasm's 4 GiB heap (or free memory, if less); native and cpu
 * backends live in process memory, bounded by what is free. FEATURESCOPE_MEMORY_LIMIT (bytes, or
 * e.g. "2GB") lowers the backend's limit, to plan for a smaller machine or to test the plan.
 */
export function currentLimits(backend: string, env: NodeJS.ProcessEnv = process.env): MemoryLimits {
  const freeBytes = freemem();
  let backendLimitBytes = backend === 'wasm' ? Math.min(WASM_HEAP_LIMIT, freeBytes) : freeBytes;
  const override = env.FEATURESCOPE_MEMORY_LIMIT;
  if (override !== undefined && override !== '') backendLimitBytes = Math.min(backendLimitBytes, parseByteSize(override));
  return { backend, backendLimitBytes, freeBytes };
}

/** "123456", "512MB", "2GB", "1.5GiB" → bytes (decimal units for MB/GB, binary for MiB/GiB). */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KIB|MIB|GIB)?\s*$/i.exec(text);
  if (m === null) {
    throw new FeaturescopeError('invalid_input', `FEATURESCOPE_MEMORY_LIMIT: ${JSON.stringify(text)} is not a size; write bytes or e.g. 2GB, 512MB`, 'FEATURESCOPE_MEMORY_LIMIT');
  }
  const unit = (m[2] ?? 'B').toUpperCase();
  const scale: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 };
  return Math.floor(Number(m[1]) * (scale[unit] ?? 1));
}

interface TensorSize {
  name: string;
  elements: number;
  storedBytes: number;
}

/** Which checkpoint tensors each layer reads, from the family's module names. */
export function layerTensorNames(arch: Architecture, config: ModelConfig): Set<string>[] {
  const all = weightShapes(arch, config).map(([name]) => name);
  const layers: Set<string>[] = [];
  for (let L = 0; L < config.nLayers; L++) {
    const modules = moduleNames(arch.block(L)).map((m) => `${m}.`);
    layers.push(new Set(all.filter((name) => modules.some((m) => name.startsWith(m)))));
  }
  return layers;
}

function moduleNames(b: BlockModules): string[] {
  const qkv = typeof b.qkv === 'string' ? [b.qkv] : [b.qkv.q, b.qkv.k, b.qkv.v];
  return [b.ln1, ...qkv, b.o, b.attnOutNorm, b.ln2, b.mlpGate, b.mlpIn, b.mlpOut, b.mlpOutNorm].filter((m): m is string => m !== null);
}

/**
 * The plan for `config` with the tensors in `store` (names resolved by `storeName`), against
 * `limits`. Reads headers only.
 */
export function planMemory(arch: Architecture, config: ModelConfig, store: WeightStore, storeName: (name: string) => string, limits: MemoryLimits): MemoryPlan {
  const size = (name: string): TensorSize => {
    const stored = storeName(name);
    const e = store.entry(stored);
    const elements = e.shape.reduce((a, b) => a * b, 1);
    return { name, elements, storedBytes: e.end - e.begin };
  };
  const tensors = weightShapes(arch, config).map(([name]) => size(name));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const f32 = (t: TensorSize | undefined): number => (t?.elements ?? 0) * 4;

  const layers = layerTensorNames(arch, config);
  const inLayer = new Set(layers.flatMap((s) => [...s]));
  const layerBytes = layers.map((names) => [...names].reduce((n, name) => n + f32(byName.get(name)), 0));
  const largestLayerBytes = Math.max(0, ...layerBytes);
  // A transposed linear weight exists twice while it is made (stored layout, then [in, out]).
  const largestLayerTensorBytes = Math.max(0, ...[...inLayer].map((n) => f32(byName.get(n))));

  const embedName = `${arch.embed}.weight`;
  const headName = config.tieWordEmbeddings ? embedName : `${arch.lmHead}.weight`;
  const d = config.dModel;
  const chunkRows = Math.min(VOCAB_CHUNK_ROWS, config.vocabSize);
  const headChunkBytes = chunkRows * d * 4;
  const headBytes = config.vocabSize * d * 4;
  // Neither the embedding nor an untied head is kept whole outside its file; norms and a learned
  // position table are small and always resident.
  const alwaysResident = tensors.filter((t) => !inLayer.has(t.name) && t.name !== embedName && t.name !== headName).reduce((n, t) => n + f32(t), 0);

  const tokens = Math.min(REFERENCE_TOKENS, config.maxPositions ?? REFERENCE_TOKENS);
  const workingBytes = workingSetBytes(config, tokens, chunkRows);

  const residentBytes = alwaysResident + layerBytes.reduce((a, b) => a + b, 0) + headBytes;
  const residentPeak = residentBytes + Math.max(largestLayerTensorBytes, headChunkBytes) + workingBytes;
  const streamPeak = alwaysResident + Math.max(largestLayerBytes + largestLayerTensorBytes, 2 * headChunkBytes) + workingBytes;

  // Node-side: a tensor's stored bytes and its f32 widening exist together while it is read.
  const largestRead = Math.max(0, ...tensors.filter((t) => t.name !== embedName && t.name !== headName).map((t) => t.storedBytes + f32(t)), headChunkBytes * 1.5);
  const processPeak = (backendPeak: number): number => backendPeak + largestRead + PROCESS_BASELINE_BYTES;

  const storedBytes = tensors.reduce((n, t) => n + t.storedBytes, 0);
  const f32Bytes = tensors.reduce((n, t) => n + f32(t), 0);
  const parameters = tensors.reduce((n, t) => n + t.elements, 0);
  const dtypes = [...new Set(tensors.map((t) => store.dtype(storeName(t.name))))].sort();
  const fitsIn = (peak: number): boolean => peak <= limits.backendLimitBytes && processPeak(peak) <= limits.freeBytes;

  const mode: MemoryPlan['mode'] = fitsIn(residentPeak) ? 'resident' : 'stream';
  const peakBackendBytes = mode === 'resident' ? residentPeak : streamPeak;
  const fits = fitsIn(peakBackendBytes);
  return {
    mode,
    fits,
    parameters,
    storedDtypes: dtypes,
    storedBytes,
    f32Bytes,
    residentBytes: mode === 'resident' ? residentBytes : alwaysResident,
    streamedBytes: mode === 'resident' ? 0 : f32Bytes - alwaysResident,
    largestLayerBytes,
    vocabChunkRows: chunkRows,
    referenceTokens: tokens,
    workingBytes,
    peakBackendBytes,
    peakProcessBytes: processPeak(peakBackendBytes),
    backend: limits.backend,
    backendLimitBytes: limits.backendLimitBytes,
    freeBytes: limits.freeBytes,
  };
}

/**
 * How many rows of `rowTokens` tokens one forward may take within the plan: the backend's limit
 * less the plan's peak without its working set, divided by one row's working set (at least 1,
 * and a job's own batch size still caps it). Jobs that batch (capture) size their batches by it.
 */
export function batchRowsWithin(plan: MemoryPlan, config: ModelConfig, rowTokens: number): number {
  const headroom = plan.backendLimitBytes - (plan.peakBackendBytes - plan.workingBytes);
  const perRow = workingSetBytes(config, Math.max(1, rowTokens), plan.vocabChunkRows);
  return Math.max(1, Math.floor(headroom / perRow));
}

/**
 * Activations of one forward over `tokens` positions (batch 1) at their widest: the residual
 * stream and its copies, q/k/v, the MLP's hidden layer (gate, in, product), the attention
 * scores/probabilities and masks, and one vocabulary chunk of logits.
 */
export function workingSetBytes(c: ModelConfig, tokens: number, chunkRows: number): number {
  const qkv = (c.nHeads + 2 * c.nKvHeads) * c.headDim;
  const perToken = 8 * c.dModel + 2 * qkv + 3 * c.dMlp + chunkRows + c.vocabSize / tokens;
  const attention = 3 * c.nHeads * tokens * tokens + 2 * tokens * tokens;
  return 4 * (tokens * perToken + attention);
}

/** Thrown before any tensor is read when even streaming does not fit. */
export function refusal(dir: string, p: MemoryPlan): FeaturescopeError {
  const over =
    p.peakBackendBytes > p.backendLimitBytes
      ? `its streaming peak ${gb(p.peakBackendBytes)} is over the ${p.backend} backend's limit of ${gb(p.backendLimitBytes)}`
      : `its peak ${gb(p.peakProcessBytes)} is over the ${gb(p.freeBytes)} of free memory`;
  return new FeaturescopeError(
    'unsupported',
    `${dir}: this model cannot run here: ${over}. ${describePlan(p).join('. ')}. Free memory, use a machine with more, or a native backend (tfjs-node) whose limit is the machine's memory.`,
  );
}
