import { z } from 'zod';
import { ExperimentRef } from './records';
import { JobRef } from './common';
import { command, jobCommand } from './define';
import { HtmlReportPath } from './report-path';

const Pooling = z.enum(['mean', 'last']).default('mean').describe("How a prompt's token activations become one row: their mean, or the last token's");
const Cite = z.object({ id: z.number(), citeId: z.string() });

export const ProbeTrainInput = z
  .object({
    model: z.string().min(1),
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,60}$/, 'letters, digits, _ . - (1–60)').describe('Name of the probe in the experiment log and its probe:NAME tag'),
    hook: z.string().min(1).describe('Hook point whose activations are probed'),
    sae: z.number().int().positive().optional().describe("Probe this SAE's features at its hook (which must be the hook) instead of the hook's units"),
    pooling: Pooling,
    /** Labelled prompts, or a .jsonl file with text and label fields. */
    examples: z.union([z.array(z.object({ text: z.string().min(1).max(20_000), label: z.union([z.literal(0), z.literal(1)]) }).strict()).min(4).max(20_000), z.string().min(1)]),
    targetAccuracy: z.number().gt(0).max(1).default(0.9).describe('Held-out accuracy the smallest set of units must reach'),
    testFraction: z.number().gt(0).lt(1).default(0.25).describe('Fraction of the prompts held out for testing'),
    seed: z.number().int().nonnegative().default(0).describe('Seed of the train/test split'),
  })
  .strict();

export const ProbeTrainOutput = z.object({
  experiment: Cite,
  prompts: z.number(),
  width: z.number(),
  /** One entry per λ, high to low. */
  path: z.array(z.object({ lambda: z.number(), features: z.array(z.number()), trainAccuracy: z.number(), testAccuracy: z.number() })),
  smallest: z.object({ lambda: z.number(), testAccuracy: z.number(), features: z.array(z.object({ index: z.number(), coef: z.number() })) }).nullable(),
  /** SAE features tagged `probe:<name>` (none without an SAE). */
  tagged: z.array(z.number()),
});

export const AuditRunInput = z
  .object({
    model: z.string().min(1),
    sae: z.number().int().positive().optional().describe("Audit this SAE's features instead of MLP neurons"),
    layers: z.array(z.number().int().nonnegative()).max(256).optional().describe('MLP neurons of these layers (default: every layer)'),
    contrastSet: z.string().min(1).describe('A built-in contrast set by id (e.g. gendered) or a contrast-set JSON file'),
    pooling: Pooling,
    positions: z.enum(['context', 'all']).default('context').describe("Where the sides are compared: context (the tokens both share after the swapped words; default) or all (every token, the method before #18, which measures token identity too)"),
    topN: z.number().int().min(1).max(500).default(20).describe('Findings to report'),
    alpha: z.number().gt(0).lt(1).default(0.05).describe('Significance level (false discovery rate)'),
    minEffect: z.number().min(0).max(100).default(0.5).describe("Smallest |Cohen's d| (side b − side a over the pooled sd) a finding may have"),
    permutations: z.number().int().min(99).max(100_000).default(9999).describe('Sign-flip draws of the paired permutation test per unit (smallest p is 1 / (draws + 1))'),
    seed: z.number().int().nonnegative().default(0).describe('Seed of the probe split and permutations'),
    attributionPairs: z.number().int().min(0).max(5000).default(32).describe('Pairs used for the attribution column; 0 skips it'),
    outPath: HtmlReportPath.optional().describe('Also write the HTML report here (its folder is checked before the audit starts)'),
    force: z.boolean().default(false).describe('Replace the file at --out if it exists (otherwise the audit is refused before it starts)'),
  })
  .strict();

export const AuditFinding = z.object({
  hook: z.string(),
  index: z.number(),
  unitKind: z.enum(['neuron', 'sae-feature']),
  /** 'bias': encodes the attribute and drives the biased outcome (verified by patching); 'sensitive': encodes it only. */
  role: z.enum(['bias', 'sensitive']),
  /** The feature's label in the catalog (user label, else its explanation); null for neurons or unanalysed SAEs. */
  label: z.string().nullable(),
  meanA: z.number(),
  meanB: z.number(),
  meanDiff: z.number(),
  cohenD: z.number(),
  t: z.number(),
  p: z.number(),
  q: z.number(),
  attribution: z.number().nullable(),
  /** Measured outcome change of patching side b's value into side a at the compared positions; null when not verified. */
  measuredEffect: z.number().nullable(),
  effectQ: z.number().nullable(),
  probeWeight: z.number(),
  citeId: z.string(),
  tagged: z.boolean(),
  /** The tag set on the SAE feature (`bias` or `<attribute>-sensitive`); null when nothing was tagged. */
  tag: z.string().nullable(),
});

/** How the audit was made: enough to name it in a report and run it again. */
export const AuditMethod = z.object({
  positions: z.enum(['context', 'all']),
  pooling: z.enum(['mean', 'last']),
  test: z.string(),
  permutations: z.number(),
  alpha: z.number(),
  minEffect: z.number(),
  minShare: z.number(),
  seed: z.number(),
  appVersion: z.string(),
});

export const AuditSaeInfo = z.object({ id: z.number(), name: z.string(), hook: z.string(), architecture: z.string(), width: z.number(), contentHash: z.string() });

export const AuditRunResult = z.object({
  /** The set audited (a file's own id, title and side names, not only its path). */
  contrastSet: z.object({ id: z.string(), title: z.string(), sideA: z.string(), sideB: z.string(), version: z.number(), attribute: z.string() }),
  model: z.string(),
  /** The audited SAE; null for MLP neurons. */
  sae: AuditSaeInfo.nullable(),
  method: AuditMethod,
  reportPath: z.string(),
  exportedTo: z.string().nullable(),
  pairs: z.number(),
  /** Pairs with shared tokens at the compared positions (the others are left out). */
  comparedPairs: z.number(),
  unitsTested: z.number(),
  /** Units with q < α before the effect-size floor. */
  significantBeforeFloor: z.number(),
  /** Units that encode the attribute: q < α and |d| ≥ minEffect. */
  significant: z.number(),
  /** Of those, the units that drive the biased outcome. */
  biasDrivers: z.number(),
  /** The outcome contrast and the model's own gap on it (side b − side a); null when the set has none. */
  outcome: z.object({ label: z.string(), gapMean: z.number(), gapP: z.number(), pairs: z.number() }).nullable(),
  /** Why the outcome was not measured (no outcome in the set, a word of several tokens for this model, no pair that lines up); null when it was. */
  outcomeNote: z.string().nullable(),
  findings: z.array(AuditFinding),
});

export const AuditReplayOutput = z.object({
  replayOf: z.string(),
  meanDiff: z.number(),
  t: z.number(),
  p: z.number(),
  /** Same pooled activations as logged (to float noise). */
  matches: z.boolean(),
  /** 'context': compared where both sides share their tokens; 'all-legacy': logged before #18, pooled over every token (swapped words included). */
  method: z.enum(['context', 'all', 'all-legacy']),
});

export const ContrastSetInfo = z.object({
  /** What audit.run takes as `contrastSet`. */
  id: z.string(),
  title: z.string(),
  sideA: z.string(),
  sideB: z.string(),
  pairs: z.number(),
  /** Whether the set names next tokens for attribution. */
  hasMetric: z.boolean(),
});

export const ProbeReplayOutput = z.object({
  replayOf: z.string(),
  /** The same units at every λ, the same accuracies, and the smallest set's coefficients within 1e-4 (relative). */
  matches: z.boolean(),
  /** λ steps whose unit set or accuracies differ from the log. */
  stepsDiffering: z.number(),
  /** Largest change of a smallest-set coefficient, relative to the largest |coefficient|; null when the smallest sets hold different units. */
  coefChange: z.number().nullable(),
});

export const auditCommands = {
  'audit.contrastSets': command({
    summary: 'The built-in contrast sets an audit can name by id (resources/contrast-sets)',
    runsIn: 'engine',
    input: z.object({}).strict(),
    output: z.array(ContrastSetInfo),
  }),
  'probe.train': command({
    summary: 'Sparse probe (lasso path) over neurons or SAE features at a hook on labelled prompts; logged, chosen SAE features tagged probe:<name>',
    runsIn: 'engine',
    input: ProbeTrainInput,
    output: ProbeTrainOutput,
  }),
  'probe.replay': command({
    summary: 'Re-train a logged sparse probe on its logged prompts and seed, and compare the path and smallest set with the log',
    runsIn: 'engine',
    input: z.object({ ref: ExperimentRef }).strict(),
    output: ProbeReplayOutput,
  }),
  'audit.run': jobCommand({
    summary: 'Bias audit over a contrast set: per-unit paired test, attribution and probe weight; tags, logs and writes an HTML report',
    input: AuditRunInput,
    output: JobRef,
    result: AuditRunResult,
  }),
  'audit.replay': command({
    summary: "Re-run one logged audit finding's activation evidence and compare it with the log",
    runsIn: 'engine',
    input: z.object({ ref: ExperimentRef }).strict(),
    output: AuditReplayOutput,
  }),
};

export type ProbeTrainInput = z.infer<typeof ProbeTrainInput>;
export type ProbeTrainOutput = z.infer<typeof ProbeTrainOutput>;
export type AuditRunInput = z.infer<typeof AuditRunInput>;
export type AuditRunResult = z.infer<typeof AuditRunResult>;
export type AuditReplayOutput = z.infer<typeof AuditReplayOutput>;
export type ProbeReplayOutput = z.infer<typeof ProbeReplayOutput>;
export type ContrastSetInfo = z.infer<typeof ContrastSetInfo>;
