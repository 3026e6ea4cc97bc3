import { basename } from 'node:path';
import type { ModelInfo } from '../../shared/contract';
import type { LoadedModel } from '../model';

/** What the UI and CLI show about a model, from its parsed config. */
export function describeModel(model: LoadedModel, bundled: boolean): ModelInfo {
  const c = model.config;
  return {
    path: model.dir,
    name: basename(model.dir),
    bundled,
    modelType: c.modelType,
    nLayers: c.nLayers,
    dModel: c.dModel,
    nHeads: c.nHeads,
    dMlp: c.dMlp,
    vocabSize: c.vocabSize,
    maxPositions: c.maxPositions,
    parameters: model.parameterCount(),
    hookNames: model.hookNames(),
    memoryPlan: model.memoryPlan,
  };
}
