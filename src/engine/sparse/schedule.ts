// The two schedules of weight-sparse training (Gao et al. 2025): the nonzero fraction, annealed
// linearly from dense to the target over the first half of the steps, and the learning rate — a
// warmup then linear decay to 0, times 1/√(nonzero fraction) (sparser weights need larger steps).
// Both are functions of the step alone, so a resumed run follows the same curve.

export interface ScheduleSettings {
  steps: number;
  targetFraction: number;
  lr: number;
  warmupFraction: number;
}

/** The nonzero fraction the weights are projected to after `updates` optimizer steps. */
export function nonzeroFraction(updates: number, s: Pick<ScheduleSettings, 'steps' | 'targetFraction'>): number {
  const annealSteps = s.steps / 2;
  const progress = annealSteps > 0 ? Math.min(1, updates / annealSteps) : 1;
  return 1 - (1 - s.targetFraction) * progress;
}

/** The learning rate of the update that follows `step` earlier updates (0-based). */
export function learningRate(step: number, s: ScheduleSettings): number {
  const warmup = Math.round(s.warmupFraction * s.steps);
  const shape = step < warmup ? (step + 1) / warmup : Math.max(0, 1 - (step - warmup) / Math.max(1, s.steps - warmup));
  return (s.lr * shape) / Math.sqrt(nonzeroFraction(step, s));
}
