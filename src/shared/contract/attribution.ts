import { z } from 'zod';
import { command } from './define';

/** A token given as text (must encode to exactly one token) or as its id. */
const TokenRef = z.union([z.string().min(1), z.number().int().nonnegative()]);

export const AttributionInput = z
  .object({
    model: z.string().min(1),
    prompt: z.string().min(1).max(20_000),
    /** Same token length as the prompt; its activations are patched in. Absent: zero-ablation. */
    patchPrompt: z.string().min(1).max(20_000).optional(),
    metric: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('logprob'), token: TokenRef }).strict(),
      z.object({ kind: z.literal('logit-diff'), tokenA: TokenRef, tokenB: TokenRef }).strict(),
    ]),
    site: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('neurons'), layers: z.array(z.number().int().nonnegative()).max(256).optional() }).strict(),
      z.object({ kind: z.literal('sae'), saeId: z.number().int().positive() }).strict(),
    ]),
    method: z.enum(['gradient', 'integrated-gradients']).default('gradient'),
    steps: z.number().int().min(1).max(512).default(16),
    topN: z.number().int().min(1).max(500).default(50),
    /** Patch the top-N for real and report how well attribution predicted their effects. */
    verify: z.boolean().default(false),
  })
  .strict();

export const AttributionOutput = z.object({
  experiment: z.object({ id: z.number(), citeId: z.string() }),
  metricClean: z.number(),
  /** Units by |score|; score ≈ metric(unit patched) − metric(clean). */
  units: z.array(z.object({ hook: z.string(), index: z.number(), score: z.number(), measured: z.number().nullable() })),
  verification: z.object({ spearman: z.number(), pearson: z.number(), signAgreement: z.number(), forwards: z.number() }).nullable(),
});

export const attributionCommands = {
  'attribution.run': command({
    summary: 'Rank MLP neurons or SAE features by attribution patching (delta × gradient), optionally verified by real patches',
    runsIn: 'engine',
    input: AttributionInput,
    output: AttributionOutput,
  }),
};

export type AttributionInput = z.infer<typeof AttributionInput>;
export type AttributionOutput = z.infer<typeof AttributionOutput>;
