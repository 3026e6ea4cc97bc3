// Public surface of sparse probes: the L1 logistic regression path and probes over prompts.

export { accuracy, fitLassoPath, predictProbability, type LassoData, type LassoFit, type LassoPath, type LassoPathOptions } from './lasso';
export {
  fitProbe,
  groupedSplit,
  probeActivations,
  stratifiedSplit,
  trainProbe,
  type LabelledPrompt,
  type ProbeActivationOptions,
  type ProbePooling,
  type ProbeResult,
  type ProbeSplitOptions,
  type ProbeStep,
} from './probe';
