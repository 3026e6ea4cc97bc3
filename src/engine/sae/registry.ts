// Every SAE architecture, by name: its inference class (found by the `architecture` field of
// cfg.json, as SAELens's registry does) and its training recipe (what sae.train's `architecture`
// picks). Each entry is one file under architectures/. batchtopk is a training recipe that saves
// as jumprelu, so it has no inference class; matryoshka_batchtopk runs as JumpReLU too but keeps
// its own class, which saves it as SAELens's matryoshka_batchtopk.
//
// The names are the contract's TRAIN_ARCHITECTURES: the `satisfies` below fails to compile if an
// architecture is missing here or is here without being in the contract.
import { FeaturescopeError } from '../../shared/errors';
import type { TrainArchitecture } from '../../shared/contract/sae';
import { batchtopkRecipe } from './architectures/batchtopk';
import { JumpReluSae, jumpreluRecipe } from './architectures/jumprelu';
import { MatryoshkaBatchTopKSae, matryoshkaRecipe } from './architectures/matryoshka';
import { StandardSae, standardRecipe } from './architectures/standard';
import { TopKSae, topkRecipe } from './architectures/topk';
import type { Sae, SaeClass, SaeConfig, SaeWeights } from './sae';
import type { RecipeSettings, TrainingRecipe } from './train/recipe';

interface Architecture {
  /** The class an SAE of this architecture loads as; absent when it saves as another. */
  readonly sae?: SaeClass;
  readonly recipe: TrainingRecipe<RecipeSettings>;
}

export const ARCHITECTURES = {
  topk: { sae: TopKSae, recipe: topkRecipe },
  batchtopk: { recipe: batchtopkRecipe },
  standard: { sae: StandardSae, recipe: standardRecipe },
  jumprelu: { sae: JumpReluSae, recipe: jumpreluRecipe },
  matryoshka_batchtopk: { sae: MatryoshkaBatchTopKSae, recipe: matryoshkaRecipe },
} as const satisfies { readonly [N in TrainArchitecture]: Architecture };

type Registry = typeof ARCHITECTURES;

/** Architectures an SAE can be saved and loaded as (those with an inference class). */
export type SaeArchitecture = { [N in keyof Registry]: Registry[N] extends { sae: SaeClass } ? N : never }[keyof Registry];

/** The settings type of one architecture's recipe. */
export type RecipeSettingsOf<N extends TrainArchitecture> = Registry[N]['recipe'] extends TrainingRecipe<infer S> ? S : never;

export function saeArchitectures(): SaeArchitecture[] {
  return (Object.keys(ARCHITECTURES) as TrainArchitecture[]).filter((n): n is SaeArchitecture => isSaeArchitecture(n));
}

export function isSaeArchitecture(name: string): name is SaeArchitecture {
  return Object.hasOwn(ARCHITECTURES, name) && (ARCHITECTURES[name as TrainArchitecture] as Architecture).sae !== undefined;
}

/** The inference class of an architecture; refuses one this build does not know. */
export function saeClass(architecture: string): SaeClass {
  const cls = isSaeArchitecture(architecture) ? ARCHITECTURES[architecture].sae : undefined;
  if (cls === undefined) {
    throw new FeaturescopeError(
      'unsupported',
      `SAE architecture ${JSON.stringify(architecture)} is not supported; known: ${saeArchitectures().join(', ')}`,
      'architecture',
    );
  }
  return cls;
}

/** Builds the SAE for cfg.architecture; it takes ownership of the weight tensors. */
export function createSae(cfg: SaeConfig, weights: SaeWeights): Sae {
  return new (saeClass(cfg.architecture))(cfg, weights);
}

/** The training recipe of an architecture; refuses one this build does not know. */
export function trainingRecipe(architecture: string): TrainingRecipe<RecipeSettings> {
  if (!Object.hasOwn(ARCHITECTURES, architecture)) {
    throw new FeaturescopeError('invalid_input', `unknown SAE architecture ${JSON.stringify(architecture)}; known: ${Object.keys(ARCHITECTURES).join(', ')}`, 'architecture');
  }
  return (ARCHITECTURES[architecture as TrainArchitecture] as Architecture).recipe;
}
