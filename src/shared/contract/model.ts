import { z } from 'zod';
import { command } from './define';
import { Empty } from './common';

const finite = z.number().finite();

export const InterventionTarget = z.union([
  /** Units of the hook's last axis (MLP neurons at blocks.L.mlp.hook_post, residual dims elsewhere). */
  z.object({ neurons: z.array(z.number().int().nonnegative()).min(1) }).strict(),
  /** A direction in the hook's space. */
  z.object({ vector: z.array(finite).min(1) }).strict(),
  /** Latents of the SAE attached at the hook (handled by the SAE module). */
  z.object({ saeFeatures: z.array(z.number().int().nonnegative()).min(1) }).strict(),
]);

/** One edit of one hook for one run (TransformerLens run_with_hooks semantics: no state between runs). */
export const Intervention = z
  .object({
    hook: z.string().min(1),
    kind: z.enum(['ablate-zero', 'ablate-mean', 'clamp', 'add']),
    target: InterventionTarget,
    /** clamp: the value to set; add: the amount (neurons) or the vector's multiplier (default 1). */
    value: finite.optional(),
    /** Sequence indices (of the run's token rows, counting the prompt during generation); all if absent. */
    positions: z.array(z.number().int().nonnegative()).optional(),
    /** ablate-mean: the hook's mean activation, one number per unit of its last axis. */
    mean: z.array(finite).optional(),
  })
  .strict()
  .superRefine((iv, ctx) => {
    const isVector = 'vector' in iv.target;
    if (iv.kind === 'clamp' && iv.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'clamp needs a value' });
    if (iv.kind === 'add' && !isVector && iv.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'add on neurons or SAE features needs a value' });
    }
    if (iv.kind === 'ablate-mean' && iv.mean === undefined && !('saeFeatures' in iv.target)) {
      ctx.addIssue({ code: 'custom', path: ['mean'], message: 'ablate-mean needs the mean activation vector' });
    }
  });

/** How a model's weights will be held (engine/model/memoryPlan.ts), decided before any is read. */
export const MemoryPlan = z.object({
  /** resident: every weight stays in the backend; stream: each layer's weights come in when it runs. */
  mode: z.enum(['resident', 'stream']),
  /** False when even streaming exceeds a limit: the model is refused with this plan. */
  fits: z.boolean(),
  parameters: z.number(),
  storedDtypes: z.array(z.string()),
  /** Bytes of the checkpoint in its stored dtype. */
  storedBytes: z.number(),
  /** The same weights widened to f32 (what the backend computes in). */
  f32Bytes: z.number(),
  /** f32 bytes kept in the backend between runs. */
  residentBytes: z.number(),
  /** f32 bytes brought into the backend layer by layer in every forward. */
  streamedBytes: z.number(),
  largestLayerBytes: z.number(),
  /** Vocabulary rows per unembedding chunk. */
  vocabChunkRows: z.number(),
  /** Positions of the run the working set is sized for (batch 1). */
  referenceTokens: z.number(),
  workingBytes: z.number(),
  peakBackendBytes: z.number(),
  peakProcessBytes: z.number(),
  backend: z.string(),
  backendLimitBytes: z.number(),
  freeBytes: z.number(),
});

export const ModelInfo = z.object({
  /** The folder, absolute: the model's identity in commands. */
  path: z.string(),
  name: z.string(),
  bundled: z.boolean(),
  modelType: z.string(),
  nLayers: z.number(),
  dModel: z.number(),
  nHeads: z.number(),
  dMlp: z.number(),
  vocabSize: z.number(),
  /** Learned position table size, or null for RoPE models. */
  maxPositions: z.number().nullable(),
  parameters: z.number(),
  hookNames: z.array(z.string()),
  /** How its weights are held; absent from older engines. */
  memoryPlan: MemoryPlan.optional(),
});

const TokenText = z.object({ id: z.number(), text: z.string() });

export const RunOutput = z.object({
  model: z.string(),
  /** The prompt as the model saw it (BOS included where the tokenizer adds one). */
  tokens: z.array(TokenText),
  /** Next-token distribution after the last prompt token, most likely first. */
  next: z.array(TokenText.extend({ prob: z.number(), logit: z.number() })),
  captured: z.array(z.object({ hook: z.string(), shape: z.array(z.number()) })),
  continuation: z
    .object({
      text: z.string(),
      tokens: z.array(TokenText.extend({ logProb: z.number() })),
      stop: z.enum(['eos', 'max_tokens']),
    })
    .nullable(),
  /** The probed neuron's or feature's activation at each prompt token. */
  probe: z.object({ label: z.string(), values: z.array(z.number()) }).nullable(),
  seconds: z.number(),
  /** With allPositions: the top next tokens after every prompt position (the last one equals `next`). */
  positions: z.array(z.object({ position: z.number(), token: TokenText, next: z.array(TokenText.extend({ prob: z.number(), logit: z.number() })) })).optional(),
  /** Files model.run wrote (logits, dumpHooks): where, and each tensor's name and shape. */
  files: z.array(z.object({ path: z.string(), format: z.enum(['npy', 'safetensors']), tensors: z.array(z.object({ name: z.string(), shape: z.array(z.number()) })) })).optional(),
});

/** What to read per token: one neuron (any hook unit) or one feature of the run's SAE. */
export const Probe = z.union([
  z.object({ hook: z.string().min(1), neuron: z.number().int().nonnegative() }).strict(),
  z.object({ feature: z.number().int().nonnegative() }).strict(),
]);

export const GenerateSettings = z
  .object({
    maxNewTokens: z.number().int().min(1).max(1024).default(32),
    /** 0 = greedy. */
    temperature: z.number().min(0).max(5).default(0),
    topP: z.number().gt(0).max(1).default(1),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  })
  .strict();

/** The most token ids a prompt given as ids may hold (the same order as a 100,000-character prompt). */
export const MAX_PROMPT_IDS = 100_000;

/** What `capture` takes to mean every hook point of the model. */
export const ALL_HOOKS = 'all';

/** One prompt through one model, with this run's interventions (no state is kept between runs). */
const RunFields = z
  .object({
    model: z.string().min(1).max(4096),
    /** Empty: generate from BOS alone, where the tokenizer adds one (as llama2.c samples). */
    prompt: z.string().max(100_000).optional().describe('The prompt (or give ids; empty: start from BOS alone, where the tokenizer adds one)'),
    ids: z
      .array(z.number().int().nonnegative())
      .min(1)
      .max(MAX_PROMPT_IDS)
      .optional()
      .describe('The prompt as token ids, used as given (no BOS is added), instead of prompt; each must be inside the vocabulary'),
    capture: z.array(z.string().min(1)).max(512).default([]).describe(`Hook points to capture; their shapes are printed (TransformerLens names; "${ALL_HOOKS}" is every hook)`),
    interventions: z.array(Intervention).max(256).default([]),
    topK: z.number().int().min(1).max(100).default(10).describe('Most likely next tokens to show'),
    generate: GenerateSettings.optional(),
    /** Catalog id of the SAE that saeFeatures interventions and feature probes refer to. */
    sae: z.number().int().positive().optional(),
    probe: Probe.optional(),
    allowNonFinite: z.boolean().optional().describe('Run weights holding NaN or ±Inf (refused by default, naming the tensor)'),
    allPositions: z.boolean().optional().describe('Show the top next tokens after every prompt position, not only the last'),
  })
  .strict();

/** A prompt is text or ids, exactly one of them. */
function onePrompt(r: { prompt?: string | undefined; ids?: number[] | undefined }, ctx: z.RefinementCtx): void {
  if ((r.prompt === undefined) === (r.ids === undefined)) ctx.addIssue({ code: 'custom', path: [r.prompt === undefined ? 'prompt' : 'ids'], message: 'give the prompt as text (prompt) or as token ids (ids), one of them' });
}

export const RunInput = RunFields.superRefine(onePrompt);

/**
 * model.run also writes what is too big for a reply into files, from the engine: paths the command
 * line names anywhere; an app or browser caller only inside the workspace (like exports).
 */
export const ModelRunInput = RunFields.extend({
  logits: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('Write the logits of every position, float32 [1, pos, vocab], to this .npy or .safetensors file (tensor "logits")'),
  dumpHooks: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('Write every captured hook, float32, named by its TransformerLens hook and in its captured shape ([1, pos, width]), to this .safetensors file'),
  force: z.boolean().default(false).describe('Replace an existing logits or dump-hooks file'),
})
  .strict()
  .superRefine(onePrompt);

export const modelCommands = {
  'model.list': command({
    summary: 'Models: the bundled default and every folder opened before',
    runsIn: 'engine',
    input: Empty,
    output: z.array(ModelInfo),
  }),
  'model.open': command({
    summary: 'Open a model folder (Hugging Face layout) and remember it in the workspace',
    runsIn: 'engine',
    input: z.object({ path: z.string().min(1).max(4096) }).strict(),
    output: ModelInfo,
  }),
  'model.plan': command({
    summary: "A model folder's memory plan (resident or streamed weights, expected peak, limits), from its headers only",
    runsIn: 'engine',
    input: z.object({ path: z.string().min(1).max(4096) }).strict(),
    output: MemoryPlan,
  }),
  'model.run': command({
    summary: 'Run a prompt: tokens, next-token distribution, captured hooks, optional continuation; interventions apply to this run only',
    runsIn: 'engine',
    input: ModelRunInput,
    output: RunOutput,
  }),
};

export type Intervention = z.infer<typeof Intervention>;
export type ModelInfo = z.infer<typeof ModelInfo>;
export type MemoryPlan = z.infer<typeof MemoryPlan>;
export type RunOutput = z.infer<typeof RunOutput>;
export type RunInput = z.infer<typeof RunInput>;
export type ModelRunInput = z.infer<typeof ModelRunInput>;

const TokenChange = z.object({ id: z.number(), text: z.string(), before: z.number(), after: z.number() });

/** A default-vs-intervened comparison, as logged in the experiment log. */
export const ExperimentRunOutput = z.object({
  experiment: z.object({ id: z.number(), citeId: z.string() }),
  baseline: RunOutput,
  intervened: RunOutput,
  /** KL(baseline ‖ intervened) of the next-token distribution after the prompt, in nats. */
  kl: z.number(),
  /** Next-token probabilities that moved most, with before/after. */
  changes: z.array(TokenChange),
});

export type ExperimentRunOutput = z.infer<typeof ExperimentRunOutput>;
