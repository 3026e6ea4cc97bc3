// One class per architecture, found by the `architecture` field of cfg.json (as SAELens's
// registry does). batchtopk is a training recipe that saves as jumprelu, so it has no entry.
import { FeaturescopeError } from '../../shared/errors';
import { JumpReluSae } from './architectures/jumprelu';
import { StandardSae } from './architectures/standard';
import { TopKSae } from './architectures/topk';
import type { Sae, SaeArchitecture, SaeConfig, SaeWeights } from './sae';

type SaeClass = new (cfg: SaeConfig, weights: SaeWeights) => Sae;

const REGISTRY: ReadonlyMap<SaeArchitecture, SaeClass> = new Map<SaeArchitecture, SaeClass>([
  ['standard', StandardSae],
  ['topk', TopKSae],
  ['jumprelu', JumpReluSae],
]);

export function saeArchitectures(): SaeArchitecture[] {
  return [...REGISTRY.keys()];
}

export function isSaeArchitecture(name: string): name is SaeArchitecture {
  return REGISTRY.has(name as SaeArchitecture);
}

/** Builds the SAE for cfg.architecture; it takes ownership of the weight tensors. */
export function createSae(cfg: SaeConfig, weights: SaeWeights): Sae {
  const cls = REGISTRY.get(cfg.architecture);
  if (cls === undefined) {
    throw new FeaturescopeError(
      'unsupported',
      `SAE architecture ${JSON.stringify(cfg.architecture)} is not supported; known: ${saeArchitectures().join(', ')}`,
      'architecture',
    );
  }
  return new cls(cfg, weights);
}
