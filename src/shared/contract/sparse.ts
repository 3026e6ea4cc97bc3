// Weight-sparse transformers (Gao et al. 2025; DESIGN.md §4b): sparse.train trains a GPT-2 from
// scratch on a corpus, keeping every weight matrix at one nonzero fraction, and saves it as an
// ordinary Hugging Face GPT-2 folder in the workspace (models/<name>/) with its sparsity settings
// in config.json under `featurescope_sparsity`.
import { z } from 'zod';
import { JobRef } from './common';
import { jobCommand } from './define';
import { CorpusSpec, WorkspaceName } from './sae';

/** config.json's key for the sparsity settings a model was trained with (README "Weight-sparse models"). */
export const SPARSITY_CONFIG_KEY = 'featurescope_sparsity';

export const SparseTrainInput = z
  .object({
    corpus: CorpusSpec,
    name: WorkspaceName.describe("Folder name under the workspace's models/; training again under the same name resumes its checkpoint when the settings are the same"),
    tokenizer: z.string().min(1).optional().describe('A tokenizer.json to train with (default: the tokenizer of --model)'),
    model: z.string().min(1).optional().describe("A model folder whose tokenizer to train with (default: the bundled model's)"),
    dModel: z.number().int().min(8).max(4096).default(128).describe('Width of the residual stream (n_embd)'),
    layers: z.number().int().min(1).max(48).default(2).describe('Transformer blocks (n_layer)'),
    heads: z.number().int().min(1).max(128).default(4).describe('Attention heads (n_head; must divide dModel)'),
    contextLength: z.number().int().min(2).max(2048).default(128).describe('Tokens per training window (n_positions)'),
    steps: z.number().int().min(1).max(10_000_000).describe('Training steps (AdamW updates)'),
    batchSize: z.number().int().min(1).max(512).default(16).describe('Windows per step'),
    targetFraction: z.number().gt(0).max(1).default(1 / 64).describe('Nonzero fraction every sparsified matrix ends at (e.g. 1/64 … 1/1024), reached linearly from dense over the first half of training'),
    minPerNeuron: z.number().int().min(0).max(1024).default(4).describe('Nonzero weights each neuron/channel keeps at least (the floor j)'),
    activationTopK: z.number().gt(0).max(1).optional().describe("AbsTopK activation sparsity: keep this fraction of each sublayer's residual read and write (the paper uses 1/4); default none"),
    sparsifyEmbeddings: z.boolean().default(false).describe('Also sparsify the (tied) token embedding/unembedding and the position table'),
    lr: z.number().positive().max(1).default(2e-3).describe('Base learning rate, before the 1/√(nonzero fraction) factor'),
    warmupFraction: z.number().min(0).max(0.5).default(0.01).describe('Share of the steps the learning rate warms up over (then it decays linearly to 0)'),
    weightDecay: z.number().min(0).max(1).default(0.1).describe('AdamW weight decay on the weight matrices'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0).describe('Random seed of initialisation and batch order'),
    checkpointEvery: z.number().int().min(1).default(50).describe('Steps between checkpoints'),
    evalEvery: z.number().int().min(1).default(50).describe('Steps between validation losses'),
    valWindows: z.number().int().min(1).max(1024).default(16).describe('Held-out windows of the corpus for the validation loss'),
    maxTokens: z.number().int().min(2).max(200_000_000).optional().describe('Read at most this many tokens of the corpus (default: all of it, up to 50M)'),
    restart: z.boolean().default(false).describe("Discard this name's checkpoint and train from step 0"),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.tokenizer !== undefined && t.model !== undefined) ctx.addIssue({ code: 'custom', path: ['tokenizer'], message: 'give a tokenizer.json or a model folder for its tokenizer, not both' });
    if (t.dModel % t.heads !== 0) ctx.addIssue({ code: 'custom', path: ['heads'], message: `must divide dModel (${t.dModel})` });
  });

export const SparseTrainResult = z.object({
  /** The Hugging Face GPT-2 folder (models/<name>/ in the workspace); opens like any model. */
  path: z.string(),
  status: z.enum(['completed']),
  step: z.number(),
  resumedFromStep: z.number().nullable(),
  parameters: z.number(),
  /** Every setting the run used, defaults filled in (also in config.json and each checkpoint). */
  settings: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  /** The last figures: trainLoss, valLoss, nonzeroFraction, lr, alive_L… */
  metrics: z.record(z.string(), z.number()),
});

export const sparseCommands = {
  'sparse.train': jobCommand({
    summary: 'Train a weight-sparse GPT-2 from scratch on a corpus into a Hugging Face model folder',
    input: SparseTrainInput,
    output: JobRef,
    result: SparseTrainResult,
  }),
};
