// Shapes that go into and come out of the catalog. The catalog's writers parse their inputs with
// these, and commands use them for their inputs and outputs.
import { z } from 'zod';

const Id = z.number().int().positive();
const Idx = z.number().int().nonnegative();
const Finite = z.number().finite();
/** Free-form JSON object stored as text (configs, metrics, experiment inputs/outputs). */
const JsonObject = z.record(z.string(), z.unknown());
const Millis = z.number().int().nonnegative();

export const ModelInput = z
  .object({
    name: z.string().min(1),
    path: z.string().min(1),
    architecture: z.string().min(1),
    config: JsonObject,
  })
  .strict();

export const CorpusInput = z
  .object({
    name: z.string().min(1),
    sourcePath: z.string().min(1),
    /** Tokenizer name, context length, BOS handling… whatever is needed to re-tokenize identically. */
    tokenization: JsonObject,
    tokenCount: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  })
  .strict();

/** Where an SAE came from: enough to reproduce or at least cite it. */
export const SaeProvenance = z
  .object({
    model: z.string().min(1),
    hook: z.string().min(1),
    corpus: z.string().nullable(),
    seed: z.number().int().nullable(),
    appVersion: z.string().min(1),
    createdAt: Millis,
  })
  .strict();

export const SaeInput = z
  .object({
    name: z.string().min(1),
    modelId: Id.nullable(),
    hookName: z.string().min(1),
    architecture: z.string().min(1),
    dIn: z.number().int().positive(),
    dSae: z.number().int().positive(),
    cfg: JsonObject,
    /** SAELens metric names: l0, explained_variance, mse, dead_fraction, ce_loss_score, kl_div_score. */
    metrics: z.record(z.string(), Finite),
    provenance: SaeProvenance,
    weightsPath: z.string().min(1),
  })
  .strict();

/** Activation histogram of one feature: `counts[i]` values fell in bin i of [lo, hi] on `scale`. */
export const Histogram = z
  .object({
    scale: z.enum(['linear', 'log10']),
    lo: Finite,
    hi: Finite,
    counts: z.array(z.number().int().nonnegative()).min(1),
  })
  .strict();

export const ExampleKind = z.enum(['top', 'quantile']);

export const ExampleRecord = z
  .object({
    kind: ExampleKind,
    /** Quantile bucket (0 = lowest); always 0 for top examples. */
    bucket: z.number().int().nonnegative(),
    /** Order within (kind, bucket), 0 first. */
    rank: z.number().int().nonnegative(),
    /** Decoded token strings, as shown to the user. */
    tokens: z.array(z.string()).min(1).max(4096),
    /** Feature activation at each token (same length as tokens). */
    values: z.array(Finite),
    /** Where the context starts in the corpus: document index and token offset in it. */
    doc: z.number().int().nonnegative(),
    start: z.number().int().nonnegative(),
  })
  .strict()
  .refine((e) => e.values.length === e.tokens.length, { message: 'values must have one number per token', path: ['values'] });

export const TokenValue = z.tuple([z.string(), Finite]);

export const LogitEffects = z
  .object({
    /** Tokens whose logits W_dec·W_U raises most, biggest first. */
    promoted: z.array(TokenValue),
    /** Tokens whose logits it lowers most, most negative first. */
    suppressed: z.array(TokenValue),
  })
  .strict();

/**
 * How well a feature's automatic explanation predicts where it fires, on corpus windows its
 * examples were not taken from (migration 0010): a token is predicted when it is one of the
 * explanation's tokens, and fires when the feature reaches ½ of its max activation there.
 */
export const ExplanationScore = z
  .object({
    /** Predicted tokens that fire / predicted tokens; null when the explanation predicted none. */
    precision: z.number().min(0).max(1).nullable(),
    /** Firing tokens that were predicted / firing tokens; null when it never fired there. */
    recall: z.number().min(0).max(1).nullable(),
    /** 2·hits / (predicted + firing); null when there was neither. */
    f1: z.number().min(0).max(1).nullable(),
    /** Analysed tokens of the held-out windows. */
    heldOutTokens: z.number().int().min(0),
    /** Of those, where the feature fired at ½ of its max or more. */
    heldOutFirings: z.number().int().min(0),
  })
  .strict();

export const FeatureRecord = z
  .object({
    idx: Idx,
    /** Fraction of corpus tokens on which the feature is active. */
    density: z.number().min(0).max(1),
    maxAct: Finite,
    meanAct: Finite,
    histogram: Histogram.nullable(),
    /** At most EXAMPLES_PER_FEATURE_MAX (1024): example ids are derived from the feature id. */
    examples: z.array(ExampleRecord).max(1024),
    logitEffects: LogitEffects.nullable(),
    /** The explanation's score on held-out windows; null or absent: not scored. */
    explanationScore: ExplanationScore.nullable().optional(),
    /** What tells it apart from features with the same explanation, e.g. `after " the"`; null or absent: none. */
    separator: z.string().max(200).nullable().optional(),
  })
  .strict();

export const ExperimentKind = z.enum(['ablation', 'steering', 'attribution', 'probe', 'audit', 'scan', 'circuit']);

export const ExperimentInput = z
  .object({
    kind: ExperimentKind,
    saeId: Id.nullable(),
    /** Everything needed to replay the run: model, SAE, prompt, interventions… */
    inputs: JsonObject,
    seed: z.number().int().nullable(),
    outputs: JsonObject,
    appVersion: z.string().min(1),
  })
  .strict();

/** `exp-000123` or the bare integer. */
export const ExperimentRef = z.union([Id, z.string().regex(/^exp-\d{6,}$/, 'must look like exp-000123')]);

export const SearchSort = z.enum(['idx', 'density', 'max_act', 'relevance', 'f1']);
/** Where a text search looks: `all` (default) also reads example text; the others never do. */
export const SearchScope = z.enum(['all', 'labels', 'explanations', 'tokens']);

export const SearchQuery = z
  .object({
    saeId: Id,
    q: z.string().max(500).optional().describe('Words to find in labels, explanations, top tokens and example text; a trailing * matches a prefix'),
    tags: z.array(z.string().min(1)).max(20).optional().describe('Only features carrying every one of these tags'),
    densityMin: z.number().min(0).max(1).optional().describe('Lowest firing density'),
    densityMax: z.number().min(0).max(1).optional().describe('Highest firing density'),
    maxActMin: Finite.optional().describe('Lowest max activation'),
    maxActMax: Finite.optional().describe('Highest max activation'),
    scope: SearchScope.optional().describe('Where --q looks: labels (user labels), explanations, tokens (top tokens) or all, which adds example text (default all)'),
    sort: SearchSort.optional().describe('Sort order; f1 is the explanation score, unscored features last (default: relevance when --q is given, idx otherwise)'),
    order: z.enum(['asc', 'desc']).optional().describe('Direction (default: idx ascending; density, max_act and f1 descending; relevance is always best first)'),
    limit: z.number().int().min(1).max(500).default(50).describe('Rows to return'),
    offset: z.number().int().min(0).max(1_000_000).default(0).describe('Rows to skip'),
  })
  .strict();

export const SearchRow = z.object({
  idx: Idx,
  density: z.number(),
  maxAct: z.number(),
  meanAct: z.number(),
  explanation: z.string(),
  topTokens: z.array(z.string()),
  userLabel: z.string().nullable(),
  /** The explanation's F1 on held-out windows; null: not scored (analysed before scores existed, or nothing to score). */
  explanationF1: z.number().nullable().optional(),
  /** What tells it apart from features with the same explanation, e.g. `after " the"`; null: none. */
  separator: z.string().nullable().optional(),
  /** bm25 of the feature's own document (label, explanation, top tokens; lower is better); null when only example text matched or q was absent. */
  score: z.number().nullable(),
});

export const SearchResult = z.object({
  /** Matching features, counted up to a reach past the page (search.ts TOTAL_STEP); exact unless totalIsLowerBound. */
  total: z.number().int(),
  /** More features may match than `total` (shown as "10,000+"): the count stopped at its reach, or a very common word's example text was read only in part. */
  totalIsLowerBound: z.boolean(),
  rows: z.array(SearchRow),
});

export const StoredExample = z.object({
  kind: ExampleKind,
  bucket: z.number().int(),
  rank: z.number().int(),
  maxAct: z.number(),
  tokens: z.array(z.string()),
  values: z.array(z.number()),
  doc: z.number().int(),
  start: z.number().int(),
});

export const Note = z.object({ id: Id, text: z.string(), createdAt: Millis });

export const AnalysisState = z.enum(['running', 'complete', 'failed', 'superseded']);

export const AnalysisInfo = z.object({
  id: Id,
  saeId: Id,
  corpusId: Id.nullable(),
  state: AnalysisState,
  startedAt: Millis,
  endedAt: Millis.nullable(),
  featureCount: z.number().int(),
});

export const FeaturePage = z.object({
  sae: z.object({ id: Id, name: z.string(), hookName: z.string(), architecture: z.string(), dSae: z.number().int() }),
  analysis: AnalysisInfo,
  feature: z.object({
    idx: Idx,
    density: z.number(),
    maxAct: z.number(),
    meanAct: z.number(),
    histogram: Histogram.nullable(),
    topTokens: z.array(z.string()),
  }),
  label: z.object({ auto: z.string(), user: z.string().nullable(), updatedAt: Millis.nullable() }),
  /** The automatic explanation's score on held-out windows; null: not scored. */
  explanationScore: ExplanationScore.nullable().optional(),
  /** What tells it apart from the SAE's features with the same explanation, e.g. `after " the"`; null: none. */
  separator: z.string().nullable().optional(),
  examples: z.array(StoredExample),
  logitEffects: LogitEffects.nullable(),
  tags: z.array(z.string()),
  notes: z.array(Note),
});

/** An SAE as the catalog lists it. */
export const SaeSummary = z.object({
  id: z.number(),
  name: z.string(),
  hookName: z.string(),
  architecture: z.string(),
  dIn: z.number(),
  dSae: z.number(),
  metrics: z.record(z.string(), z.number()),
  provenance: z.record(z.string(), z.unknown()),
  /** The catalog's model row it was trained on (saes.model_id), or null when that folder was never opened here. */
  modelId: z.number().nullable(),
  /** The model it was trained on: that model row's folder, else what its provenance names (a folder, or an imported SAE's model name). */
  trainedOn: z.string().nullable(),
  /** The analysis readers see (complete), or null before the first one finishes. */
  analysis: AnalysisInfo.nullable(),
});

export const Experiment = z.object({
  id: Id,
  citeId: z.string(),
  kind: ExperimentKind,
  saeId: Id.nullable(),
  inputs: JsonObject,
  seed: z.number().int().nullable(),
  outputs: JsonObject,
  createdAt: Millis,
  appVersion: z.string(),
});

export type ModelInput = z.input<typeof ModelInput>;
export type CorpusInput = z.input<typeof CorpusInput>;
export type SaeProvenance = z.infer<typeof SaeProvenance>;
export type SaeInput = z.input<typeof SaeInput>;
export type Histogram = z.infer<typeof Histogram>;
export type ExampleKind = z.infer<typeof ExampleKind>;
export type ExampleRecord = z.infer<typeof ExampleRecord>;
export type TokenValue = z.infer<typeof TokenValue>;
export type LogitEffects = z.infer<typeof LogitEffects>;
export type FeatureRecord = z.infer<typeof FeatureRecord>;
export type ExperimentKind = z.infer<typeof ExperimentKind>;
export type ExperimentInput = z.input<typeof ExperimentInput>;
export type ExperimentRef = z.infer<typeof ExperimentRef>;
export type SearchSort = z.infer<typeof SearchSort>;
export type SearchScope = z.infer<typeof SearchScope>;
export type ExplanationScore = z.infer<typeof ExplanationScore>;
export type SearchQuery = z.input<typeof SearchQuery>;
export type SearchRow = z.infer<typeof SearchRow>;
export type SearchResult = z.infer<typeof SearchResult>;
export type StoredExample = z.infer<typeof StoredExample>;
export type Note = z.infer<typeof Note>;
export type AnalysisState = z.infer<typeof AnalysisState>;
export type AnalysisInfo = z.infer<typeof AnalysisInfo>;
export type FeaturePage = z.infer<typeof FeaturePage>;
export type Experiment = z.infer<typeof Experiment>;
export type SaeSummary = z.infer<typeof SaeSummary>;
