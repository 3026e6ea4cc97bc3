// Public surface of causal attribution: attribution patching (gradient / integrated gradients),
// its verification by real patches, and delta patching between two prompts.

export { attribute, rankUnits, DEFAULT_IG_STEPS, type AttributeOptions, type AttributionMethod, type AttributionResult, type HookAttribution, type ScoredUnit } from './attribute';
export { measureUnitEffects, verifyAttribution, type MeasuredEffects, type UnitEffectOptions, type VerificationResult, type VerifiedUnit, type VerifyOptions } from './verify';
export { deltaPatch, klDivergence, type DeltaPatchOptions, type DeltaPatchResult, type PatchedUnit } from './patch';
export { type AttributionMetric } from './metric';
export { differenceMetricOf, logprobMetricOf, targetTokens, type TargetContext, type TargetRef } from './token-ref';
export { type AttributionSite, type UnitKind, type UnitRef } from './sites';
export { pearson, spearman } from './stats';
