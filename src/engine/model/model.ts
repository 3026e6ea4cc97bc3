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

/** Where each family keeps its modules; the forward is the same for all. */
const ARCHITECTURES: Record<ModelFamily, Architecture> = { gpt2: GPT2, llama: LLAMA, gemma2: GEMMA2 };

export class TransformerModel {
  private readonly weights = new Map<string, tf.Tensor>();
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
  ) {
    this.architecture = ARCHITECTURES[config.family];
    this.hookList = hookNamesFor(config, this.architecture);
    this.hookSet = new Set(this.hookList);
    this.inverseFrequencies = config.rope === null ? null : ropeInverseFrequencies(config.headDim, config.rope.theta, config.rope.scaling);
    this.checkWeights();
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
    }
  }

  /** Frees the weights and closes the weight files; the model cannot run afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.weights.values()) t.dispose();
    this.weights.clear();
    this.store.close();
  }

  private assertAlive(): void {
    if (this.disposed) throw new FeaturescopeError('invalid_input', 'this model was unloaded; load it again');
  }

  /** Loads a tensor on first use and keeps it (outside any tidy scope) until dispose(). */
  private weight(name: string): tf.Tensor {
    const cached = this.weights.get(name);
    if (cached !== undefined) return cached;
    const stored = this.storeNames.get(name) ?? name;
    const t = tf.keep(tf.tensor(this.store.readFloat32(stored), this.store.shape(stored), 'float32'));
    this.weights.set(name, t);
    return t;
  }

  /** [out, in] → [in, out], kept instead of the stored layout (loaded once, on first use). */
  private weightTransposed(name: string): tf.Tensor {
    const key = `${name}:T`;
    const cached = this.weights.get(key);
    if (cached !== undefined) return cached;
    const stored = this.storeNames.get(name) ?? name;
    const raw = tf.tensor2d(this.store.readFloat32(stored), this.store.shape(stored) as [number, number], 'float32');
    const t = tf.keep(raw.transpose());
    raw.dispose();
    this.weights.set(key, t);
    return t;
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
