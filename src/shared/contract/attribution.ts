import { z } from 'zod';
import { ExperimentRef } from './records';
import { command } from './define';

/**
 * A metric's target: a token id; "id:401" (or "id:401,29871") for ids written as text; or text,
 * which may span several tokens (then the metric reads the continuation the tokenizer writes for
 * it after the prompt, teacher-forced: Σ log p over its tokens).
 */
const TokenRef = z.union([z.string().min(1), z.number().int().nonnegative()]);

/**
 * logprob: log p(token) after the prompt (Σ over a continuation's tokens). logit-diff:
 * logit(A) − logit(B) for one token each, which equals log p(A) − log p(B); when either spans
 * several tokens, the difference of their continuations' log-probabilities.
 */
const Metric = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('logprob'), token: TokenRef }).strict(),
  z.object({ kind: z.literal('logit-diff'), tokenA: TokenRef, tokenB: TokenRef }).strict(),
]);

const Site = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('neurons'), layers: z.array(z.number().int().nonnegative()).max(256).optional() }).strict(),
  z.object({ kind: z.literal('sae'), saeId: z.number().int().positive() }).strict(),
]);

export const AttributionInput = z
  .object({
    model: z.string().min(1),
    prompt: z.string().min(1).max(20_000).describe('The prompt whose next-token metric is attributed'),
    patchPrompt: z.string().min(1).max(20_000).optional().describe("A prompt of the same token length whose activations are patched in (default: zero-ablation)"),
    metric: Metric,
    site: Site,
    method: z.enum(['gradient', 'integrated-gradients']).default('gradient').describe('Attribution method'),
    steps: z.number().int().min(1).max(512).default(16).describe('Integration steps of integrated-gradients'),
    topN: z.number().int().min(1).max(500).default(50).describe('Units to list'),
    verify: z.boolean().default(false).describe('Patch the top units for real and report how well attribution predicted their effects'),
  })
  .strict();

export const AttributionOutput = z.object({
  experiment: z.object({ id: z.number(), citeId: z.string() }),
  metricClean: z.number(),
  /** Units by |score|; score ≈ metric(unit patched) − metric(clean). */
  units: z.array(z.object({ hook: z.string(), index: z.number(), score: z.number(), measured: z.number().nullable() })),
  verification: z.object({ spearman: z.number(), pearson: z.number(), signAgreement: z.number(), forwards: z.number() }).nullable(),
});

export const PatchInput = z
  .object({
    model: z.string().min(1),
    sourcePrompt: z.string().min(1).max(20_000).describe('The prompt whose activations are copied…'),
    targetPrompt: z.string().min(1).max(20_000).describe('…into this one, at its last position (or the paired positions)'),
    site: Site,
    sourcePositions: z.array(z.number().int().nonnegative()).max(64).optional().describe('Token positions of the source prompt to copy from'),
    targetPositions: z.array(z.number().int().nonnegative()).max(64).optional().describe('Token positions of the target prompt to copy to, paired with the source positions'),
    topN: z.number().int().min(1).max(100_000).default(20).describe('Units with the largest deltas to move'),
    scale: z.number().finite().default(1).describe('Multiplier of the copied deltas'),
    metric: Metric.optional(),
    topK: z.number().int().min(1).max(100).default(10).describe('Next tokens to list before and after'),
  })
  .strict();

const TokenProb = z.object({ id: z.number(), text: z.string(), prob: z.number() });

export const PatchOutput = z.object({
  experiment: z.object({ id: z.number(), citeId: z.string() }),
  units: z.array(z.object({ hook: z.string(), index: z.number(), deltas: z.array(z.number()) })),
  source: z.array(TokenProb),
  before: z.array(TokenProb),
  after: z.array(TokenProb),
  klAfterBefore: z.number(),
  klSourceBefore: z.number(),
  klSourceAfter: z.number(),
  metric: z.object({ source: z.number(), before: z.number(), after: z.number() }).nullable(),
});

export const AttributionReplayOutput = z.object({
  replayOf: z.string(),
  /** Which command the logged run was. */
  of: z.enum(['attribution.run', 'attribution.patch']),
  /** Ranking: the same units in the same order, scores within 1e-4 (relative). Patch: the same top next tokens, probabilities within 1e-5. */
  matches: z.boolean(),
  /** Ranking: largest score change relative to the largest |score|. Patch: largest probability change. */
  difference: z.number(),
  /** Ranked units, or listed next tokens, no longer at their logged place. */
  reordered: z.number(),
});

export const attributionCommands = {
  'attribution.replay': command({
    summary: 'Re-run a logged attribution ranking or delta patch and compare it with the log',
    runsIn: 'engine',
    input: z.object({ ref: ExperimentRef }).strict(),
    output: AttributionReplayOutput,
  }),
  'attribution.patch': command({
    summary: 'Patch the top-N neuron or feature deltas of a source prompt into a target prompt and report the shift',
    runsIn: 'engine',
    input: PatchInput,
    output: PatchOutput,
  }),
  'attribution.run': command({
    summary: 'Rank MLP neurons or SAE features by attribution patching (delta × gradient), optionally verified by real patches',
    runsIn: 'engine',
    input: AttributionInput,
    output: AttributionOutput,
  }),
};

export type AttributionInput = z.infer<typeof AttributionInput>;
export type AttributionOutput = z.infer<typeof AttributionOutput>;
export type PatchOutput = z.infer<typeof PatchOutput>;
export type AttributionReplayOutput = z.infer<typeof AttributionReplayOutput>;
