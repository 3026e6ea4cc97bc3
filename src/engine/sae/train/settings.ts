// A training run's settings, every default filled in: what trainSae returns, what the catalog
// stores with the SAE and what each checkpoint records, so that a rerun under the same name
// resumes only a checkpoint trained with exactly the same settings.
//
// The defaults live here (the loop's) and in each architecture's file (its own, and its lr, Adam
// ε and gradient clip); nowhere else.
import { FeaturescopeError } from '../../../shared/errors';
import type { TrainArchitecture } from '../../../shared/contract/sae';
import { trainingRecipe, type RecipeSettingsOf } from '../registry';
import { withGiven, type RecipeSettings, type RunShape, type SettingValue } from './recipe';

/** What a run is: its data, shape and seed. */
export interface RunSettings extends RunShape {
  dIn: number;
  seed: number;
  hookName: string;
  modelName: string;
  /** The activation store the data comes from, when there is one. */
  store?: string;
}

/** Settings of the loop itself, the same for every architecture. */
export interface LoopSettings {
  /** Steps over which lr warms up linearly. */
  warmupSteps: number;
  /** Fraction of steps at the end over which lr decays to 0. */
  decayFraction: number;
  /** Fraction of steps over which the sparsity coefficient warms up. */
  lambdaWarmupFraction: number;
  /** A latent is dead when it has not fired in this many tokens. */
  deadTokens: number;
  adamBeta1: number;
  adamBeta2: number;
}

/** What a caller gives for architecture N: the run, and any setting it fixes. */
export type GivenSettings<N extends TrainArchitecture> = { architecture: N } & RunSettings & Partial<LoopSettings> & Partial<RecipeSettingsOf<N>>;

/** Every setting of a run. */
export type TrainSettings = { architecture: TrainArchitecture } & RunSettings & LoopSettings & RecipeSettings & Record<string, SettingValue>;

/** The loop's defaults for a run of this shape. */
function loopDefaults(run: RunShape): LoopSettings {
  return {
    warmupSteps: Math.min(1000, Math.floor(run.steps * 0.01)),
    decayFraction: 0.2,
    lambdaWarmupFraction: 0.05,
    // OpenAI's 10M-token window is longer than most runs here; a run that never reaches it would
    // call nothing dead and AuxK would never revive a latent. So: a tenth of the run, at most 10M.
    deadTokens: Math.min(10_000_000, Math.max(run.batchSize, Math.floor((run.steps * run.batchSize) / 10))),
    adamBeta1: 0.9,
    adamBeta2: 0.999,
  };
}

/** Fills in every default; throws on a bad value, naming the field. */
export function resolveSettings<N extends TrainArchitecture>(given: GivenSettings<N>): TrainSettings {
  for (const field of ['dIn', 'dSae', 'steps', 'batchSize'] as const) {
    const v = given[field];
    if (!Number.isInteger(v) || v < 1) throw new FeaturescopeError('invalid_input', `${field} must be a positive integer, got ${String(v)}`, field);
  }
  const recipe = trainingRecipe(given.architecture);
  const run: RunSettings = {
    dIn: given.dIn,
    dSae: given.dSae,
    steps: given.steps,
    batchSize: given.batchSize,
    seed: given.seed,
    hookName: given.hookName,
    modelName: given.modelName,
    ...(given.store === undefined ? {} : { store: given.store }),
  };
  const g = given as Readonly<Record<string, unknown>>;
  return { architecture: given.architecture, ...run, ...withGiven(loopDefaults(run), g), ...recipe.settings(run, g) } as TrainSettings;
}

export interface SettingDifference {
  field: string;
  before: SettingValue | undefined;
  now: SettingValue | undefined;
}

/** Fields whose values differ between two runs' settings (compared as JSON stores them). */
export function settingDifferences(before: Readonly<Record<string, unknown>>, now: object): SettingDifference[] {
  const stored = JSON.parse(JSON.stringify(now)) as Record<string, SettingValue>;
  const fields = [...new Set([...Object.keys(stored), ...Object.keys(before)])];
  return fields
    .filter((f) => !Object.is(before[f], stored[f]))
    .map((f) => ({ field: f, before: before[f] as SettingValue | undefined, now: stored[f] }));
}

/** "k 4 → 8, dSae 64 → 128" */
export function describeDifferences(diffs: readonly SettingDifference[]): string {
  const show = (v: SettingValue | undefined): string => (v === undefined ? '(not set)' : JSON.stringify(v));
  return diffs.map((d) => `${d.field} ${show(d.before)} → ${show(d.now)}`).join(', ');
}
