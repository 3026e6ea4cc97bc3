// The sparse.train job: tokenizer and corpus → token windows → weight-sparse training (trainer.ts)
// with checkpoints under the workspace's model-checkpoints/<name>, then the trained GPT-2 saved as
// models/<name> (save-model.ts), opened once through the normal loader (which checks it like any
// model folder) and remembered in the catalog so the model picker lists it.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SPARSITY_CONFIG_KEY, type JobResult, type ParsedInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import type { CommandDeps } from '../handlers/registry';
import { allowedCorpus } from '../handlers/workspace';
import type { JobContext } from '../jobs/context';
import { countParams, engineConfig, type TinyModelSpec } from '../lm-train/gpt2-params';
import { patchWasmForTraining } from '../lm-train/wasm-training-kernels';
import { rememberModelOf } from '../session/remember-model';
import { refuseExistingModel, saveSparseModel } from './save-model';
import { sparsifiedMatrices } from './matrices';
import { trainingTokenizer } from './tokenizer-source';
import { trainSparse, type SparseSettings } from './trainer';
import { trainingWindows } from './training-windows';

/** Parameters, AdamW moments, gradients and activations must fit the backend's heap (4 GB on wasm). */
const MAX_PARAMETERS = 50_000_000;
/** Tokens read when maxTokens is not given: 200 MB of windows in memory. */
const DEFAULT_MAX_TOKENS = 50_000_000;
export const BUNDLED_TOKENIZER_MODEL = 'featurescope-tiny';

export async function runSparseTrainJob({ services, models }: CommandDeps, input: ParsedInput<'sparse.train'>, ctx: JobContext): Promise<JobResult<'sparse.train'>> {
  const corpus = allowedCorpus(services, input.corpus, ctx.caller);
  const modelDir = join(services.paths.workspace, 'models', input.name);
  refuseExistingModel(modelDir);
  const tok = trainingTokenizer(input, join(services.paths.bundledModels, BUNDLED_TOKENIZER_MODEL));
  const spec: TinyModelSpec = { vocabSize: tok.vocabSize, nPositions: input.contextLength, nEmbd: input.dModel, nLayer: input.layers, nHead: input.heads, endOfTextId: tok.endOfTextId };
  const activationTopK = input.activationTopK ?? null;
  // The forward trains with AbsTopK exactly as the saved config.json makes every later run apply it.
  const config = engineConfig(spec, { [SPARSITY_CONFIG_KEY]: { activation_topk: activationTopK } });
  const parameters = countParams(config);
  if (parameters > MAX_PARAMETERS) {
    throw new FeaturescopeError('invalid_input', `dModel: a model of ${parameters.toLocaleString('en-US')} parameters (vocabulary ${tok.vocabSize}, dModel ${input.dModel}, ${input.layers} layers) is more than the ${MAX_PARAMETERS.toLocaleString('en-US')} this trainer fits in memory; lower dModel or layers`, 'dModel');
  }
  // Tokenizing reads the whole corpus (up to maxTokens) before the first step.
  const readMeter = ctx.meter('tokens', input.maxTokens ?? 0);
  const windows = await trainingWindows(corpus, tok.tokenizer, {
    contextLength: input.contextLength,
    endOfTextId: tok.endOfTextId,
    maxTokens: input.maxTokens ?? DEFAULT_MAX_TOKENS,
    valWindows: input.valWindows,
    signal: ctx.signal,
    onProgress: (tokens) => readMeter.update(tokens, { message: 'tokenizing the corpus' }),
  });
  // Everything that decides the weights: a resumed checkpoint must have been trained with the same.
  const settings: SparseSettings = {
    steps: input.steps,
    batchSize: input.batchSize,
    targetFraction: input.targetFraction,
    minPerNeuron: input.minPerNeuron,
    sparsifyEmbeddings: input.sparsifyEmbeddings,
    activationTopK,
    lr: input.lr,
    warmupFraction: input.warmupFraction,
    weightDecay: input.weightDecay,
    seed: input.seed,
    dModel: input.dModel,
    layers: input.layers,
    heads: input.heads,
    contextLength: input.contextLength,
    vocabSize: tok.vocabSize,
    valWindows: input.valWindows,
    maxTokens: input.maxTokens ?? null,
    corpusSha256: windows.corpusSha256,
  };
  if (tf.getBackend() === 'wasm') patchWasmForTraining();
  const meter = ctx.meter('steps', input.steps);
  const trained = await trainSparse({
    config,
    settings,
    windows,
    checkpointDir: join(services.paths.workspace, 'model-checkpoints', input.name),
    checkpointEvery: input.checkpointEvery,
    evalEvery: input.evalEvery,
    restart: input.restart,
    signal: ctx.signal,
    onMetrics: (step, metrics) => meter.update(step, { metrics, message: `step ${step}: loss ${metrics.trainLoss?.toFixed(3)}` }),
  });
  try {
    saveSparseModel({
      dir: modelDir,
      spec,
      params: trained.params,
      sparsity: {
        method: 'topk-magnitude (Gao et al. 2025, Weight-sparse transformers have interpretable circuits)',
        target_fraction: input.targetFraction,
        nonzero_fraction: trained.metrics.nonzeroFraction ?? 1,
        min_per_neuron: input.minPerNeuron,
        anneal: 'linear from 1 to target_fraction over the first half of the steps',
        sparsified: sparsifiedMatrices(config, input.sparsifyEmbeddings).map((m) => m.label.replace(/^h\.\d+\./, 'h.*.')).filter((l, i, all) => all.indexOf(l) === i),
        sparsify_embeddings: input.sparsifyEmbeddings,
        lr_scaling: '1/sqrt(nonzero fraction)',
        gradient: 'normalised to RMS 1 before AdamW',
        activation_topk: activationTopK,
      },
      tokenizerPath: tok.tokenizerPath,
      tokenizerConfigPath: tok.tokenizerConfigPath,
      trainingLog: { settings, parameters, tokens: windows.tokens, trainWindows: windows.trainCount, validationWindows: windows.validationCount, steps: trained.step, resumedFromStep: trained.resumedFromStep, metrics: trained.metrics },
    });
  } finally {
    trained.dispose();
  }
  // The folder opens through the normal loader (every check a user's model gets) before it is listed.
  const model = await models.get(modelDir);
  rememberModelOf(services, model);
  return { path: modelDir, status: 'completed', step: trained.step, resumedFromStep: trained.resumedFromStep, parameters, settings, metrics: trained.metrics };
}
