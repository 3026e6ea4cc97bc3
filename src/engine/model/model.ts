// A transformer ready to run: config + lazily loaded weights + the family's forward, behind one
// interface with TransformerLens hook points. Every run is independent: interventions and hook
// functions are arguments, nothing is kept between runs except the weights.

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import type { WeightStore } from '../formats/sharded';
import { type Architecture, weightShapes } from './architecture';
import type { ModelConfig, ModelFamily } from './config';
import { type ForwardStep, hookNamesFor, transformerForward } from './forward';
import { GEMMA2 } from './gemma2';
import { GPT2 } from './gpt2';
import { compileInterventions, type HookBinding, type HookFn, type SaeInterventionHandler } from './interventions';
import { KvCache } from './kvcache';
import { ropeInverseFrequencies, ropeTables } from './layers';
import { LLAMA } from './llama';
import { masksByWindow, positionIds, type StepLayout } from './masking';
import { ReadProgress } from './readProgress';
import { transposeRows } from './transpose';
import { layerTensorNames, type MemoryLimits, type MemoryPlan, planMemory } from './memoryPlan';

export interface RunOptions {
  /** [batch][pos]: 1 for real tokens, 0 for padding (left or right). Default: all 1. */
  attentionMask?: number[][];
  /** Hook names whose activations to return (after any intervention at that hook). */
  capture?: string[];
  /** Validated against the Intervention schema; applied at their hooks in the order given. */
  interventions?: unknown[];
  /** Raw hook functions, applied after the interventions at the same hook. */
  hooks?: HookBinding[];
  /** Turns saeFeatures interventions into hook functions (from the SAE module). */
  saeHandler?: SaeInterventionHandler;
  /** Compute logits only for the last position ([batch, 1, d_vocab]). */
  lastPositionOnly?: boolean;
}

export interface RunResult {
  logits: tf.Tensor3D; // [batch, pos, d_vocab]
  /** Captured activations by hook name, [batch, pos, width]. The caller disposes them. */
  captured: Map<string, tf.Tensor>;
}

/** One forward step as generation drives it: given ids, layout and cache. */
export interface StepRequest {
  tokens: number[][];
  layout: StepLayout;
  cache: KvCache | null;
  bindings: Map<string, HookFn[]>;
  capture: Set<string>;
  lastPositionOnly: boolean;
}

const WEIGHTS_FILE = 'model.safetensors';
/**
 * Up to this many rows a streamed weight is used as stored, [out, in], with transposeB: on wasm
 * x[1, 2304] · W[9216, 2304]ᵀ took ~140 ms against ~800 ms for x · W[2304, 9216] plus ~450 ms to
 * transpose it; at 10 rows the two were even, and beyond that the transposed layout wins.
 */
const STORED_LAYOUT_MAX_ROWS = 16;

/** Where each family keeps its modules; the forward is the same for all. */
const ARCHITECTURES: Record<ModelFamily, Architecture> = { gpt2: GPT2, llama: LLAMA, gemma2: GEMMA2 };

export class TransformerModel {
  /** Weights kept in the backend until dispose() (all of them when the plan is resident). */
  private readonly weights = new Map<string, tf.Tensor>();
  /** A streamed layer's weights, disposed when the layer is done (plan mode 'stream'). */
  private readonly transient = new Map<string, tf.Tensor>();
  /** Names of the tensors that belong to a layer: the ones that stream. */
  private readonly layerTensors: Set<string>;
  readonly plan: MemoryPlan;
  private readonly progress: ReadProgress;
  private readonly architecture: Architecture;
  private readonly hookList: string[];
  private readonly hookSet: Set<string>;
  private readonly inverseFrequencies: Float32Array | null;
  /** Checkpoint name → name in the store (GPT-2 files may or may not carry "transformer."). */
  private readonly storeNames = new Map<string, string>();
  private disposed = false;

  constructor(
    readonly config: ModelConfig,
    private readonly store: WeightStore,
    limits: MemoryLimits,
  ) {
    this.architecture = ARCHITECTURES[config.family];
    this.hookList = hookNamesFor(config, this.architecture);
    this.hookSet = new Set(this.hookList);
    this.inverseFrequencies = config.rope === null ? null : ropeInverseFrequencies(config.headDim, config.rope.theta, config.rope.scaling);
    this.checkWeights();
    // Headers only: the plan is made before any tensor is read.
    this.plan = planMemory(this.architecture, config, store, (name) => this.storeNames.get(name) ?? name, limits);
    this.layerTensors = new Set(layerTensorNames(this.architecture, config).flatMap((names) => [...names]));
    this.progress = new ReadProgress(this.plan.storedBytes);
  }

  private get streaming(): boolean {
    return this.plan.mode === 'stream';
  }

  hookNames(): string[] {
    return [...this.hookList];
  }

  /** Runs the whole sequence batch; the caller disposes logits and captured tensors. */
  run(tokens: number[][], opts: RunOptions = {}): RunResult {
    this.checkTokens(tokens, 'tokens');
    const batch = tokens.length;
    const pos = tokens[0]?.length ?? 0;
    const mask = opts.attentionMask ?? tokens.map((row) => row.map(() => 1));
    this.checkMask(mask, batch, pos);
    const layout: StepLayout = { keyValid: mask, queryStart: 0, queryCount: pos };
    return this.step({
      tokens,
      layout,
      cache: null,
      bindings: this.bindHooks(opts),
      capture: this.checkCapture(opts.capture ?? []),
      lastPositionOnly: opts.lastPositionOnly ?? false,
    });
  }

  /** Interventions + raw hook functions grouped by hook name, with hook names checked. */
  bindHooks(opts: Pick<RunOptions, 'interventions' | 'hooks' | 'saeHandler'>): Map<string, HookFn[]> {
    const all = [...compileInterventions(opts.interventions ?? [], opts.saeHandler), ...(opts.hooks ?? [])];
    const out = new Map<string, HookFn[]>();
    all.forEach((b, i) => {
      if (!this.hookSet.has(b.hook)) {
        throw new FeaturescopeError('invalid_input', `hook ${JSON.stringify(b.hook)} (intervention or hook ${i}) is not a hook point of this model; e.g. ${this.hookList.slice(0, 3).join(', ')}`, 'hook');
      }
      out.set(b.hook, [...(out.get(b.hook) ?? []), b.fn]);
    });
    return out;
  }

  checkCapture(names: string[]): Set<string> {
    for (const n of names) {
      if (!this.hookSet.has(n)) throw new FeaturescopeError('invalid_input', `capture: ${JSON.stringify(n)} is not a hook point of this model`, 'capture');
    }
    return new Set(names);
  }

  /** One forward over `tokens` (the new positions of `layout`), through the family's forward. */
  step(req: StepRequest): RunResult {
    this.assertAlive();
    const { layout } = req;
    const positions = positionIds(layout);
    if (this.config.maxPositions !== null) {
      let top = 0;
      for (const row of positions) for (const p of row) top = Math.max(top, p);
      if (top >= this.config.maxPositions) {
        throw new FeaturescopeError('invalid_input', `tokens: position ${top} is beyond the model's ${this.config.maxPositions} learned positions`, 'tokens');
      }
    }
    this.checkGradientFits();
    this.progress.begin();
    const captured = new Map<string, tf.Tensor>();
    const hook = <T extends tf.Tensor>(name: string, act: T): T => {
      let out: tf.Tensor = act;
      for (const fn of req.bindings.get(name) ?? []) {
        out = fn(out, { hook: name, positionOffset: layout.queryStart });
        if (out.shape.join() !== act.shape.join()) {
          throw new FeaturescopeError('internal', `a hook at ${name} changed the activation's shape from [${act.shape}] to [${out.shape}]`);
        }
      }
      if (req.capture.has(name)) captured.set(name, tf.keep(out.clone()));
      return out as T;
    };
    try {
      const logits = tf.tidy(() => {
        const step: ForwardStep = {
          config: this.config,
          weight: (name) => this.weight(name),
          weightT: (name) => this.weightTransposed(name),
          embedRows: (name) => this.embedRows(name, req.tokens),
          unembed: (name, x) => this.unembed(name, x),
          endLayer: () => this.releaseLayer(),
          storedLayout: (rows) => this.streaming && rows <= STORED_LAYOUT_MAX_ROWS,
          ids: tf.tensor2d(req.tokens.flat(), [req.tokens.length, layout.queryCount], 'int32'),
          positions,
          masks: masksByWindow(layout, this.config.layerWindows),
          cache: req.cache,
          hook,
          lastOnly: req.lastPositionOnly,
        };
        const rope = this.inverseFrequencies === null ? null : ropeTables(positions, this.config.headDim, this.inverseFrequencies);
        return transformerForward(this.architecture, step, rope);
      });
      return { logits, captured };
    } catch (err) {
      for (const t of captured.values()) t.dispose();
      throw err;
    } finally {
      this.releaseLayer();
    }
  }

  /** Frees the weights and closes the weight files; the model cannot run afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.weights.values()) t.dispose();
    this.weights.clear();
    this.releaseLayer();
    this.store.close();
  }

  private assertAlive(): void {
    if (this.disposed) throw new FeaturescopeError('invalid_input', 'this model was unloaded; load it again');
  }

  /**
   * A checkpoint tensor in the backend: loaded on first use and kept (outside any tidy scope)
   * until dispose(), or, for a layer's tensor when the plan streams, kept only until that layer
   * is done (releaseLayer).
   */
  private weight(name: string): tf.Tensor {
    return this.held(name, () => tf.tensor(this.store.readFloat32(this.storeName(name)), this.store.shape(this.storeName(name)), 'float32'), this.layerTensors.has(name));
  }

  /** [out, in] → [in, out], held instead of the stored layout (the transpose is made once per load). */
  private weightTransposed(name: string): tf.Tensor {
    return this.held(`${name}:T`, () => transposed(this.store.readFloat32(this.storeName(name)), this.store.shape(this.storeName(name))), this.layerTensors.has(name));
  }

  private held(key: string, make: () => tf.Tensor, layerScoped: boolean): tf.Tensor {
    const kept = this.weights.get(key) ?? this.transient.get(key);
    if (kept !== undefined) return kept;
    const t = tf.keep(make());
    this.progress.add(t.size * this.plan.storedBytes / Math.max(1, this.plan.parameters), key.split(':')[0] ?? key);
    (this.streaming && layerScoped ? this.transient : this.weights).set(key, t);
    return t;
  }

  /** Disposes the streamed layer's weights (nothing when the plan is resident). */
  private releaseLayer(): void {
    for (const t of this.transient.values()) t.dispose();
    this.transient.clear();
  }

  private storeName(name: string): string {
    return this.storeNames.get(name) ?? name;
  }

  /** Token embeddings [batch, pos, d_model], each distinct id's row read from the stored table. */
  private embedRows(name: string, tokens: number[][]): tf.Tensor3D {
    const stored = this.storeName(name);
    const d = this.config.dModel;
    const rows = new Map<number, Float32Array>();
    for (const id of new Set(tokens.flat())) rows.set(id, this.store.readRowsFloat32(stored, id, 1));
    const batch = tokens.length;
    const pos = tokens[0]?.length ?? 0;
    const out = new Float32Array(batch * pos * d);
    tokens.flat().forEach((id, i) => out.set(rows.get(id)!, i * d));
    return tf.tensor3d(out, [batch, pos, d]);
  }

  /**
   * x [batch, pos, d_model] @ headᵀ → logits [batch, pos, d_vocab], one vocabulary chunk of the
   * head at a time, each chunk read from the stored table and transposed on its own: the whole
   * [d_vocab, d_model] table is never transposed at once, and when the plan streams only one chunk
   * is in the backend at a time.
   */
  private unembed(name: string, x: tf.Tensor3D): tf.Tensor3D {
    const stored = this.storeName(name);
    const vocab = this.config.vocabSize;
    const rowsPerChunk = this.plan.vocabChunkRows;
    const [batch, pos, d] = x.shape;
    const x2 = x.reshape([batch * pos, d]); // [batch*pos, d_model]
    const parts: tf.Tensor2D[] = [];
    const asStored = this.streaming && batch * pos <= STORED_LAYOUT_MAX_ROWS;
    for (let start = 0; start < vocab; start += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, vocab - start);
      if (asStored) {
        const chunk = this.held(`${name}:${start}`, () => tf.tensor2d(this.store.readRowsFloat32(stored, start, count), [count, d]), true); // [count, d_model]
        parts.push(tf.matMul(x2, chunk as tf.Tensor2D, false, true)); // [batch*pos, count]
      } else {
        const load = (): tf.Tensor => transposed(this.store.readRowsFloat32(stored, start, count), [count, d]);
        const chunk = this.held(`${name}:T:${start}`, load, true) as tf.Tensor2D; // [d_model, count]
        parts.push(tf.matMul(x2, chunk)); // [batch*pos, count]
      }
      if (this.streaming) this.releaseLayer();
    }
    const logits = parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
    return logits.reshape([batch, pos, vocab]);
  }

  /**
   * A gradient through a streamed forward keeps every layer's weights alive until the backward
   * pass is done (tfjs saves each op's inputs for it), so it runs only if all of them fit in the
   * backend at once; otherwise it is refused here, before any weight is read.
   */
  private checkGradientFits(): void {
    if (!this.streaming || tf.engine().state.gradientDepth === 0) return;
    const need = this.plan.f32Bytes + this.plan.workingBytes;
    if (need > this.plan.backendLimitBytes) {
      throw new FeaturescopeError(
        'unsupported',
        `this model streams its weights layer by layer (memory plan), and a gradient (attribution's backward pass) needs all of them in the ${this.plan.backend} backend at once: ${(need / 1e9).toFixed(1)} GB, over its limit of ${(this.plan.backendLimitBytes / 1e9).toFixed(1)} GB; run attribution on a native backend (tfjs-node) or a smaller model`,
      );
    }
  }

  /** Every tensor the config implies must be in the files with its shape and a float dtype. */
  private checkWeights(): void {
    const c = this.config;
    for (const [name, shape] of weightShapes(this.architecture, c)) {
      const stored = this.resolveStoreName(name);
      if (stored === null) {
        throw new FeaturescopeError('bad_file', `${WEIGHTS_FILE}: tensor ${JSON.stringify(name)} is missing (config.json describes a ${c.modelType} model that needs it)`);
      }
      const actual = this.store.shape(stored);
      if (actual.join() !== shape.join()) {
        throw new FeaturescopeError('bad_file', `${WEIGHTS_FILE}: tensor ${JSON.stringify(stored)} has shape [${actual}], but config.json implies [${shape}]`);
      }
      const dtype = this.store.dtype(stored);
      if (!['F32', 'F16', 'BF16', 'F64'].includes(dtype)) {
        throw new FeaturescopeError('bad_file', `${WEIGHTS_FILE}: tensor ${JSON.stringify(stored)} has dtype ${dtype}; weights must be F32, F16 or BF16`);
      }
      this.storeNames.set(name, stored);
    }
  }

  private resolveStoreName(name: string): string | null {
    if (this.store.has(name)) return name;
    if (this.config.family === 'gpt2' && this.store.has(`transformer.${name}`)) return `transformer.${name}`;
    return null;
  }

  checkTokens(tokens: number[][], field: string): void {
    if (!Array.isArray(tokens) || tokens.length === 0) throw new FeaturescopeError('invalid_input', `${field}: needs at least one row of token ids`, field);
    const pos = tokens[0]?.length ?? 0;
    if (pos === 0) throw new FeaturescopeError('invalid_input', `${field}: rows must not be empty`, field);
    tokens.forEach((row, b) => {
      if (!Array.isArray(row) || row.length !== pos) throw new FeaturescopeError('invalid_input', `${field}.${b}: every row must have ${pos} tokens (pad and pass attentionMask)`, `${field}.${b}`);
      for (const id of row) {
        if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) {
          throw new FeaturescopeError('invalid_input', `${field}.${b}: token id ${id} is outside the vocabulary [0, ${this.config.vocabSize})`, `${field}.${b}`);
        }
      }
    });
  }

  private checkMask(mask: number[][], batch: number, pos: number): void {
    if (mask.length !== batch) throw new FeaturescopeError('invalid_input', `attentionMask: has ${mask.length} rows, tokens has ${batch}`, 'attentionMask');
    mask.forEach((row, b) => {
      if (row.length !== pos || row.some((m) => m !== 0 && m !== 1)) {
        throw new FeaturescopeError('invalid_input', `attentionMask.${b}: must be ${pos} values, each 0 or 1`, `attentionMask.${b}`);
      }
      if (!row.includes(1)) throw new FeaturescopeError('invalid_input', `attentionMask.${b}: row has no real token`, `attentionMask.${b}`);
    });
  }
}

/**
 * A row-major [rows, cols] f32 array as a [cols, rows] tensor, transposed in JS before upload: the
 * backend never holds both layouts, and a blocked copy is faster than the backend's transpose.
 */
function transposed(values: Float32Array, shape: number[]): tf.Tensor {
  const [rows = 0, cols = 0] = shape;
  return tf.tensor2d(transposeRows(values, rows, cols), [cols, rows], 'float32');
}
