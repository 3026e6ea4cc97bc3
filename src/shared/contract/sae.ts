import { z } from 'zod';
import { command, jobCommand } from './define';
import { AbsolutePath, JobRef } from './common';

/** Names become folder names in the workspace: keep them plain. */
export const WorkspaceName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ - only, starting with a letter or digit');

export const CorpusSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('txt'), path: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('jsonl'), path: z.string().min(1), textField: z.string().min(1).default('text') }).strict(),
  z.object({ kind: z.literal('folder'), path: z.string().min(1), recursive: z.boolean().default(false), extensions: z.array(z.string().regex(/^\.[A-Za-z0-9]+$/)).min(1).optional() }).strict(),
]);

export const CaptureInput = z
  .object({
    model: z.string().min(1).describe('Model folder'),
    corpus: CorpusSpec,
    hooks: z.array(z.string().min(1)).min(1).max(64).describe('Hook points to capture (TransformerLens names, e.g. blocks.2.hook_resid_post)'),
    name: WorkspaceName.describe("Folder name under the workspace's activations/; capturing again under the same name resumes"),
    contextLength: z.number().int().min(2).max(8192).optional().describe("Tokens per window (default: the model's context)"),
    bos: z.enum(['auto', 'prepend', 'separator', 'none']).default('auto').describe('Where the beginning-of-sequence token goes'),
    maskSpecialTokens: z.boolean().default(true).describe('Leave special tokens (BOS, separators) out of the store'),
    dtype: z.enum(['float32', 'float16']).default('float32').describe('Number format of the stored activations'),
    maxTokens: z.number().int().min(1).optional().describe('Stop after this many tokens (default: the whole corpus)'),
    batchSize: z.number().int().min(1).max(256).default(8).describe('Windows per forward pass'),
  })
  .strict();

export const CaptureResult = z.object({
  dir: z.string(),
  tokens: z.number(),
  stores: z.array(z.object({ hook: z.string(), storeDir: z.string(), tokens: z.number(), shards: z.number() })),
});

export const CaptureList = z.object({
  captures: z.array(
    z.object({
      name: z.string(),
      dir: z.string(),
      model: z.string().nullable(),
      updatedAt: z.number(),
      stores: z.array(
        z.object({
          hook: z.string(),
          storeDir: z.string(),
          tokens: z.number(),
          shards: z.number(),
          dIn: z.number().nullable(),
          dtype: z.string().nullable(),
          complete: z.boolean(),
          /** Why the store's manifest could not be read; null when it could. */
          problem: z.string().nullable(),
        }),
      ),
    }),
  ),
});

/**
 * The architectures sae.train trains, and what each needs from the user. Each name has one file in
 * src/engine/sae/architectures/ with its inference class and training recipe, listed in the
 * engine's registry (src/engine/sae/registry.ts), which tsc holds to exactly these names. The list
 * lives here because the host validates inputs without loading the engine's tfjs code.
 */
export const TRAIN_ARCHITECTURES = {
  topk: { needsK: true, label: 'topk' },
  batchtopk: { needsK: true, label: 'batchtopk' },
  standard: { needsK: false, label: 'standard (relu-l1)' },
  jumprelu: { needsK: false, label: 'jumprelu' },
  matryoshka_batchtopk: { needsK: true, label: 'matryoshka batchtopk' },
} as const satisfies Record<string, { needsK: boolean; label: string }>;
export type TrainArchitecture = keyof typeof TRAIN_ARCHITECTURES;
export const TRAIN_ARCHITECTURE_NAMES = Object.keys(TRAIN_ARCHITECTURES) as [TrainArchitecture, ...TrainArchitecture[]];

export const TrainInput = z
  .object({
    store: z.string().min(1).describe('An activation store folder (one hook), as written by capture (see `featurescope captures`)'),
    name: WorkspaceName.describe("Folder name under the workspace's saes/; training again under the same name resumes from its checkpoint when the settings are the same (else it is refused, naming them)"),
    architecture: z.enum(TRAIN_ARCHITECTURE_NAMES).default('topk').describe('SAE architecture (standard is ReLU with an L1 penalty)'),
    dSae: z.number().int().min(1).max(1 << 20).describe('Latents (features) of the SAE'),
    k: z.number().int().min(1).max(4096).optional().describe('Active latents per token (needed by topk and batchtopk)'),
    steps: z.number().int().min(1).max(10_000_000).describe('Training steps'),
    batchSize: z.number().int().min(1).max(65_536).default(1024).describe('Activations per step'),
    lr: z.number().positive().max(1).optional().describe("Learning rate (default: the architecture's recipe)"),
    l1Coefficient: z.number().nonnegative().optional().describe('L1 sparsity penalty (standard)'),
    l0Coefficient: z.number().nonnegative().optional().describe('L0 sparsity penalty (jumprelu)'),
    matryoshkaWidths: z
      .array(z.number().int().min(1).max(1 << 20))
      .min(1)
      .max(16)
      .optional()
      .describe('Nested prefix widths of a matryoshka_batchtopk SAE, increasing; dSae is added as the last (default: dSae/8, dSae/4, dSae/2)'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0).describe('Random seed of initialisation and batch order'),
    deadTokens: z.number().int().min(1).optional().describe('A latent is dead after this many tokens without firing; AuxK revives dead latents (default: a tenth of the run, at most 10M)'),
    checkpointEvery: z.number().int().min(1).default(200).describe('Steps between checkpoints'),
    evalWindows: z.number().int().min(0).max(4096).default(32).describe("Windows of the capture's corpus for the evaluation at the end (ce_loss_score, kl_div_score); 0 skips it"),
    restart: z
      .boolean()
      .default(false)
      .describe("Discard this name's checkpoint and train from step 0. Without it a rerun resumes the checkpoint, and is refused if its settings differ."),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (TRAIN_ARCHITECTURES[t.architecture].needsK && t.k === undefined) ctx.addIssue({ code: 'custom', path: ['k'], message: `${t.architecture} needs k (active latents per token)` });
    if (t.k !== undefined && t.k > t.dSae) ctx.addIssue({ code: 'custom', path: ['k'], message: 'k must not exceed dSae' });
    if (t.matryoshkaWidths !== undefined && t.architecture !== 'matryoshka_batchtopk') {
      ctx.addIssue({ code: 'custom', path: ['matryoshkaWidths'], message: 'nested widths (matryoshkaWidths) are only for matryoshka_batchtopk' });
    }
  });

export const TrainResult = z.object({
  saeId: z.number(),
  path: z.string(),
  status: z.enum(['completed', 'cancelled']),
  step: z.number(),
  resumedFromStep: z.number().nullable(),
  /** Every setting the run used, defaults filled in (as stored with the SAE and in its checkpoints). */
  settings: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  /** The last training step's figures (on training batches). */
  metrics: z.record(z.string(), z.number()),
  /** The SAE spliced into its model over the capture's corpus at the end (as sae.evaluate), stored with the SAE. */
  evaluation: z.object({ windows: z.number(), metrics: z.record(z.string(), z.number()) }).nullable(),
  /** Why there is no evaluation (asked for none, the model folder or corpus is gone…). */
  evaluationSkipped: z.string().nullable(),
});

/** An SAE run over a corpus through its model (analysis, evaluation). */
const SaeOnCorpus = z.object({
  saeId: z.number().int().positive(),
  corpus: CorpusSpec,
  model: z.string().min(1).optional().describe('Model folder (default: the model the SAE was trained on, when that folder is on this machine)'),
  contextLength: z.number().int().min(2).max(8192).optional().describe("Tokens per window (default: the model's context)"),
});

export const AnalyzeInput = SaeOnCorpus.extend({
  maxTokens: z.number().int().min(1).optional().describe('Stop after this many tokens (default: the whole corpus)'),
  topExamples: z.number().int().min(1).max(200).default(20).describe('Top-activating examples kept per feature'),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0).describe('Seed of the quantile example sampling'),
}).strict();

export const AnalyzeResult = z.object({
  analysisId: z.number(),
  features: z.number(),
  tokens: z.number(),
  deadFeatures: z.number(),
  /** Every 5th window, kept out of the examples, on which each explanation was scored, and their analysed tokens. */
  heldOutWindows: z.number().optional(),
  heldOutTokens: z.number().optional(),
});

export const EvaluateInput = SaeOnCorpus.extend({
  windows: z.number().int().min(1).max(4096).default(64).describe('Corpus windows to evaluate over'),
}).strict();

export const EvaluateResult = z.object({
  /** SAELens names: ce_loss_score, kl_div_score, ce_loss_clean/with_sae/zero_ablation, l0, mse, explained_variance, dead_fraction… */
  metrics: z.record(z.string(), z.number()),
  densityHistogram: z.object({ log10Edges: z.array(z.number()), counts: z.array(z.number()), dead: z.number() }),
});

export const SaeRenameResult = z.object({ saeId: z.number(), name: z.string(), previousName: z.string(), path: z.string() });

export const SaeDeleteResult = z.object({
  saeId: z.number(),
  name: z.string(),
  /** Catalog rows removed, by table (the SAE's own row under "saes"); logged experiments are kept, no longer linked. */
  rows: z.record(z.string(), z.number()),
  /** Folders of the workspace removed with it (its SAELens folder, its training checkpoints). */
  folders: z.array(z.string()),
});

export const saeCommands = {
  'sae.evaluate': jobCommand({
    summary: 'Evaluate an SAE spliced into its model: CE-loss and KL recovered, reconstruction, feature density',
    input: EvaluateInput,
    output: JobRef,
    result: EvaluateResult,
  }),
  'sae.analyze': jobCommand({
    summary: 'Analyse an SAE over a corpus: density, histograms, top and quantile examples, logit effects, explanations',
    input: AnalyzeInput,
    output: JobRef,
    result: AnalyzeResult,
  }),
  'capture.start': jobCommand({
    summary: 'Capture activations of a model over a corpus into an on-disk store',
    input: CaptureInput,
    output: JobRef,
    result: CaptureResult,
  }),
  'capture.list': command({
    summary: "List the workspace's activation captures (from this and earlier sessions), newest first",
    runsIn: 'engine',
    input: z.object({}).strict(),
    output: CaptureList,
  }),
  'sae.train': jobCommand({
    summary: 'Train a sparse autoencoder on captured activations',
    input: TrainInput,
    output: JobRef,
    result: TrainResult,
  }),
  'sae.export': command({
    summary: 'Export an SAE as a SAELens folder (cfg.json + sae_weights.safetensors) that SAELens loads',
    runsIn: 'engine',
    // From the app, dir must be inside the workspace; a non-empty folder is written into only with force.
    input: z.object({ saeId: z.number().int().positive(), dir: AbsolutePath, force: z.boolean().default(false) }).strict(),
    output: z.object({ dir: z.string(), files: z.array(z.string()) }),
  }),
  'sae.import': command({
    summary: 'Import an SAE: a SAELens folder, an EleutherAI sparsify folder, a Gemma Scope 2 folder, a Gemma Scope params.npz (pickled .pt files are refused)',
    runsIn: 'engine',
    input: z
      .object({
        path: z
          .string()
          .min(1)
          .describe('A SAELens folder (cfg.json + sae_weights.safetensors), a sparsify folder (cfg.json + sae.safetensors), a Gemma Scope 2 folder (config.json + params.safetensors) or a Gemma Scope params.npz'),
        name: WorkspaceName.describe("Name of the SAE in the workspace's saes/ and the catalog"),
        hookName: z.string().min(1).optional().describe('Hook point the SAE reads (needed for params.npz; with modelName, replaces what a folder says)'),
        modelName: z.string().min(1).optional().describe('Model the SAE belongs to (needed for params.npz; with hookName, replaces what a folder says)'),
      })
      .strict(),
    output: z.object({ saeId: z.number(), architecture: z.string(), dIn: z.number(), dSae: z.number(), hookName: z.string() }),
  }),
  'sae.rename': command({
    summary: 'Rename an SAE: its catalog name and its folders in the workspace (refused while a job uses it, or if the name is taken)',
    runsIn: 'engine',
    input: z.object({ saeId: z.number().int().positive(), name: WorkspaceName.describe('The new name') }).strict(),
    output: SaeRenameResult,
  }),
  'sae.delete': command({
    summary: "Delete an SAE: every catalog row of it in one transaction, then its folders (refused while a job uses it)",
    runsIn: 'engine',
    input: z.object({ saeId: z.number().int().positive() }).strict(),
    output: SaeDeleteResult,
  }),
};

export type CorpusSpec = z.infer<typeof CorpusSpec>;
export type CaptureInput = z.infer<typeof CaptureInput>;
export type TrainInput = z.infer<typeof TrainInput>;
