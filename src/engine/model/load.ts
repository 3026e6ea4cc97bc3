// Opening a model folder in Hugging Face layout: config.json, model.safetensors (or shards with
// model.safetensors.index.json), tokenizer.json (+ optional tokenizer_config.json).
// Every file is resolved inside the chosen folder; a symlink that leads out of it is refused.

import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';
import { WeightStore } from '../formats/sharded';
import { type ModelConfig, parseModelConfig } from './config';
import { checkConfigAgainstWeights } from './configWeights';
import { type GenerateOptions, type GeneratedToken, generateTokens, type StopReason } from './generate';
import * as tf from '@tensorflow/tfjs';
import { currentLimits, type MemoryLimits, type MemoryPlan, refusal } from './memoryPlan';
import { type RunOptions, type RunResult, TransformerModel } from './model';
import { ModelTokenizer, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from './tokenizer';

export const CONFIG_FILE = 'config.json';
const MAX_CONFIG_BYTES = 1024 * 1024;

export interface LoadedModel {
  readonly dir: string;
  readonly config: ModelConfig;
  readonly tokenizer: ModelTokenizer;
  /** TransformerLens hook names, in forward order. */
  hookNames(): string[];
  /** Number of stored parameters (a tied embedding counts once, as it is stored once). */
  parameterCount(): number;
  /** How the weights are held: resident or streamed per layer, expected peak, the limits. */
  readonly memoryPlan: MemoryPlan;
  /** Forward over a batch of token rows; the caller disposes `logits` and `captured`. */
  run(tokens: number[][], opts?: RunOptions): RunResult;
  /** Streams new tokens (KV cache); stops on an EOS token or after maxNewTokens. */
  generate(prompt: number[], opts: GenerateOptions): AsyncGenerator<GeneratedToken, StopReason>;
  /** Frees weights and closes files. */
  dispose(): void;
}

export interface LoadModelOptions {
  /**
   * Run weights that hold NaN or ±Inf instead of refusing them. Each tensor is checked as it is
   * first read (widened to f32); the refusal names the tensor and the first offending element.
   */
  allowNonFinite?: boolean;
  /** The limits to plan against; default: this process's backend and free memory (currentLimits). */
  memoryLimits?: MemoryLimits;
}

export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const root = folderRoot(dir);
  const configPath = fileInside(root, dir, CONFIG_FILE, true);
  const tokenizerPath = fileInside(root, dir, TOKENIZER_FILE, true);
  const tokenizerConfigPath = fileInside(root, dir, TOKENIZER_CONFIG_FILE, false);
  if (configPath === null || tokenizerPath === null) throw new Error('unreachable: required files are checked');

  const config = readConfig(configPath);
  const tokenizer = ModelTokenizer.fromFiles(tokenizerPath, tokenizerConfigPath);
  tokenizer.checkSpecialTokens(config.vocabSize);
  const model = openModel(root, config, options);
  const parameters = model.plan.parameters;
  const defaultStops = [...new Set([...config.eosTokenIds, ...(tokenizer.eosTokenId === null ? [] : [tokenizer.eosTokenId])])];
  return {
    dir: root,
    config,
    tokenizer,
    memoryPlan: model.plan,
    hookNames: () => model.hookNames(),
    parameterCount: () => parameters,
    run: (tokens, opts) => model.run(tokens, opts),
    generate: (prompt, opts) => generateTokens(model, prompt, { ...opts, stopTokens: opts.stopTokens ?? defaultStops }),
    dispose: () => model.dispose(),
  };
}

/** The memory plan of a model folder, from config.json and the weight headers (no tensor is read). */
export function planModelFolder(dir: string, limits: MemoryLimits = currentLimits(tf.getBackend())): MemoryPlan {
  const root = folderRoot(dir);
  const configPath = fileInside(root, dir, CONFIG_FILE, true);
  if (configPath === null) throw new Error('unreachable: required files are checked');
  const store = WeightStore.open(root);
  try {
    return buildModel(readConfig(configPath), store, limits).plan;
  } finally {
    store.close();
  }
}

/** config.json, every number bounded, before the weight headers are checked against it. */
function readConfig(configPath: string): ModelConfig {
  if (statSync(configPath).size > MAX_CONFIG_BYTES) {
    throw new FeaturescopeError('bad_file', `${CONFIG_FILE}: larger than ${MAX_CONFIG_BYTES} bytes; not a model config`);
  }
  return parseModelConfig(readFileSync(configPath, 'utf8'));
}

/** The model over its open weight files, refused with its memory plan when it cannot run here. */
function openModel(root: string, config: ModelConfig, options: LoadModelOptions): TransformerModel {
  const store = WeightStore.open(root, { allowNonFinite: options.allowNonFinite === true });
  let model: TransformerModel;
  try {
    model = buildModel(config, store, options.memoryLimits ?? currentLimits(tf.getBackend()));
  } catch (err) {
    store.close();
    throw err;
  }
  if (!model.plan.fits) {
    model.dispose();
    throw refusal(root, model.plan);
  }
  return model;
}

/** Header checks (config against weights, every tensor's shape and dtype) and the plan; reads no tensor. */
function buildModel(config: ModelConfig, store: WeightStore, limits: MemoryLimits): TransformerModel {
  checkConfigAgainstWeights(config, store);
  return new TransformerModel(config, store, limits);
}

function folderRoot(dir: string): string {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch {
    throw new FeaturescopeError('not_found', `${dir}: model folder does not exist`);
  }
  if (!statSync(root).isDirectory()) throw new FeaturescopeError('invalid_input', `${dir}: is a file; choose the model's folder`);
  return root;
}

/** The real path of `name` in the folder, refusing anything that resolves outside it. */
function fileInside(root: string, dir: string, name: string, required: boolean): string | null {
  const path = join(root, name);
  if (!existsSync(path)) {
    if (!required) return null;
    throw new FeaturescopeError('not_found', `${dir}: no ${name} in the model folder (a Hugging Face model folder has config.json, model.safetensors and tokenizer.json)`);
  }
  const real = realpathSync(path);
  if (!real.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new FeaturescopeError('bad_file', `${name}: is a link to a file outside the model folder; copy the file into the folder`);
  }
  if (!statSync(real).isFile()) throw new FeaturescopeError('bad_file', `${name}: is not a regular file`);
  return real;
}
