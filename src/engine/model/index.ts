// Public surface of the model runtime: load a Hugging Face folder, run it with TransformerLens
// hook points and interventions, generate, tokenize.

export { type LoadedModel, type LoadModelOptions, loadModel, planModelFolder } from './load';
export { currentLimits, describePlan, type MemoryLimits, type MemoryPlan } from './memoryPlan';
export { type ModelConfig, type ModelFamily, type ModelType, parseModelConfig, SUPPORTED_MODEL_TYPES } from './config';
export type { RunOptions, RunResult } from './model';
export { type GenerateOptions, type GeneratedToken, type StopReason } from './generate';
export {
  compileInterventions,
  Intervention,
  InterventionTarget,
  type HookBinding,
  type HookContext,
  type HookFn,
  type SaeInterventionHandler,
} from './interventions';
export { ModelTokenizer, type EncodeOptions, type DecodeOptions } from './tokenizer';
export { topTokens, logSoftmax, type TokenProbability, chooseToken } from './sampling';
export { SeededRandom } from '../random';
