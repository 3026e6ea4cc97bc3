// An SAE's figures grouped by where they come from, so none is read as another's: the evaluation
// (the SAE spliced into its model, over N tokens; `sae.evaluate` and the end of training), the
// analysis (the feature catalog, over N tokens), and training (the last batch, shown only where no
// evaluation replaced it). The catalog keeps them in one bag with SAELens names: an evaluation
// writes eval_tokens with its figures, an analysis writes analysis_tokens and analysis_dead_fraction.

export type FigureSource = 'evaluation' | 'analysis' | 'training';

export interface Figure {
  key: string;
  label: string;
  text: string;
  /** What it means, for a tooltip. */
  title: string;
}

export interface FigureGroup {
  source: FigureSource;
  /** Where the figures come from, in words: "evaluation over 4,096 tokens". */
  heading: string;
  figures: Figure[];
  /** Something left out and why (e.g. a dead fraction over too few tokens). */
  note?: string;
}

/**
 * A dead fraction ("no activation in N tokens") means something when the N tokens give each feature
 * this many activations on average (N × L0 / d_sae): a 4,096-token evaluation of a 2,048-wide
 * SAE with L0 16 gives 32, and called 33.5 % of its features dead where a 50k-token analysis
 * found 6.7 %.
 */
export const MIN_ACTIVATIONS_PER_FEATURE = 100;

const fixed = (digits: number) => (v: number) => v.toFixed(digits);
const percent = (v: number) => `${(v * 100).toFixed(v > 0 && v < 0.001 ? 3 : 1)}%`;
const tokens = (n: number) => `${Math.round(n).toLocaleString('en-US')} tokens`;

const EVALUATION: Array<[key: string, label: string, format: (v: number) => string, title: string]> = [
  ['ce_loss_score', 'CE recovered', fixed(3), 'fraction of the cross-entropy loss recovered with the SAE spliced in, against zero-ablation (1 = no loss)'],
  ['kl_div_score', 'KL score', fixed(3), '1 − KL(with SAE) / KL(zero-ablation) of the next-token distributions'],
  ['explained_variance', 'explained variance', fixed(3), '1 − FVU of the reconstruction'],
  ['l0', 'L0', fixed(1), 'active features per token'],
  ['mse', 'MSE', (v) => v.toPrecision(3), 'mean squared reconstruction error per element'],
];
const TRAINING: Array<[string, string, (v: number) => string, string]> = [
  ['explained_variance', 'explained variance', fixed(3), '1 − FVU on the last training batch'],
  ['l0', 'L0', fixed(1), 'active features per token on the last training batch'],
  ['mse', 'MSE', (v) => v.toPrecision(3), 'mean squared error per element on the last training batch'],
  ['loss', 'loss', (v) => v.toPrecision(3), "the training objective on the last batch (the architecture's loss, not an evaluation)"],
];

function pick(metrics: Record<string, number>, rows: typeof EVALUATION): Figure[] {
  return rows.filter(([key]) => Number.isFinite(metrics[key])).map(([key, label, format, title]) => ({ key, label, text: format(metrics[key]!), title }));
}

/** Activations per feature the evaluation's tokens give on average (null without L0). */
export function activationsPerFeature(metrics: Record<string, number>, dSae: number): number | null {
  const n = metrics.eval_tokens;
  const l0 = metrics.l0;
  return n === undefined || l0 === undefined || dSae <= 0 ? null : (n * l0) / dSae;
}

function deadFigure(fraction: number, over: string): Figure {
  return { key: 'dead_fraction', label: 'dead', text: percent(fraction), title: `features with no activation in ${over}` };
}

/** The evaluation's figures; its dead fraction only when `withDead` and over enough tokens. */
export function evaluationGroup(metrics: Record<string, number>, dSae: number, withDead: boolean): FigureGroup | null {
  const n = metrics.eval_tokens;
  if (n === undefined) return null;
  const group: FigureGroup = { source: 'evaluation', heading: `evaluation over ${tokens(n)}`, figures: pick(metrics, EVALUATION) };
  const perFeature = activationsPerFeature(metrics, dSae);
  if (withDead && metrics.dead_fraction !== undefined) {
    if (perFeature !== null && perFeature >= MIN_ACTIVATIONS_PER_FEATURE) group.figures.push(deadFigure(metrics.dead_fraction, tokens(n)));
    else group.note = `no dead fraction: ${tokens(n)} give each feature ${perFeature === null ? 'too few' : Math.round(perFeature)} activations on average (${MIN_ACTIVATIONS_PER_FEATURE} needed); analyse the SAE for one`;
  }
  return group;
}

/** What the analysis found: its dead fraction, over how many tokens. */
export function analysisGroup(metrics: Record<string, number>): FigureGroup | null {
  const n = metrics.analysis_tokens;
  const dead = metrics.analysis_dead_fraction;
  if (n === undefined || dead === undefined) return null;
  return { source: 'analysis', heading: `analysis over ${tokens(n)}`, figures: [deadFigure(dead, tokens(n))] };
}

/** The last training batch's figures (its dead count is per a training window, not shown). */
export function trainingGroup(metrics: Record<string, number>, batchTokens?: number): FigureGroup | null {
  const figures = pick(metrics, TRAINING);
  if (figures.length === 0) return null;
  return { source: 'training', heading: batchTokens === undefined ? 'training, last batch' : `training, last batch of ${tokens(batchTokens)}`, figures };
}

/**
 * The groups for an SAE as the catalog has it. An evaluation replaces training's figures of the
 * same names in the catalog, so training's are shown only when there is no evaluation (and only
 * if asked: the Features header shows evaluation and analysis only).
 */
export function catalogFigureGroups(metrics: Record<string, number>, dSae: number, opts: { training: boolean }): FigureGroup[] {
  const analysis = analysisGroup(metrics);
  const evaluation = evaluationGroup(metrics, dSae, analysis === null);
  const training = opts.training && evaluation === null ? trainingGroup(metrics) : null;
  return [evaluation, analysis, training].filter((g): g is FigureGroup => g !== null);
}
