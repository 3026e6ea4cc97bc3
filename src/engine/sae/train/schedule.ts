// Learning-rate and sparsity-coefficient schedules of the SAE recipes (DESIGN.md §3):
// lr warms up linearly over `warmupSteps`, stays flat, then decays linearly to 0 over the last
// `decayFraction` of the run (Anthropic April 2024: last 20%); the sparsity coefficient λ
// warms up linearly over the first `lambdaWarmupFraction` of the run (5%).

export interface ScheduleOptions {
  totalSteps: number;
  lr: number;
  warmupSteps: number;
  decayFraction: number;
  lambdaWarmupFraction: number;
}

/** lr for the update made at 0-based `step`. */
export function learningRate(o: ScheduleOptions, step: number): number {
  const warm = o.warmupSteps > 0 ? Math.min(1, (step + 1) / o.warmupSteps) : 1;
  const decaySteps = Math.floor(o.totalSteps * o.decayFraction);
  const decayStart = o.totalSteps - decaySteps;
  const decay = decaySteps > 0 && step >= decayStart ? Math.max(0, (o.totalSteps - step) / decaySteps) : 1;
  return o.lr * warm * decay;
}

/** Multiplier in [0, 1] on the sparsity coefficient at `step`. */
export function lambdaFactor(o: ScheduleOptions, step: number): number {
  const warmSteps = Math.floor(o.totalSteps * o.lambdaWarmupFraction);
  return warmSteps > 0 ? Math.min(1, (step + 1) / warmSteps) : 1;
}
