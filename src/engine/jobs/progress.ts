import type { Progress } from '../../shared/contract';

/**
 * Turns "done of total" counts into Progress (fraction, rate, ETA) and throttles them:
 * a training loop may report every step, the UI needs a few updates a second.
 */
export class ProgressMeter {
  private readonly startedAt = performance.now();
  private lastEmit = -Infinity;

  constructor(
    private readonly unit: string,
    private total: number,
    private readonly emit: (p: Progress) => void,
    private readonly minIntervalMs = 200,
  ) {}

  setTotal(total: number): void {
    this.total = total;
  }

  update(done: number, extra: { message?: string; metrics?: Record<string, number>; force?: boolean } = {}): void {
    const now = performance.now();
    if (!extra.force && now - this.lastEmit < this.minIntervalMs && done < this.total) return;
    this.lastEmit = now;
    const seconds = (now - this.startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const left = Math.max(0, this.total - done);
    const progress: Progress = {
      fraction: this.total > 0 ? Math.min(1, Math.max(0, done / this.total)) : 0,
      done,
      total: this.total,
      unit: this.unit,
      rate,
      etaSeconds: rate > 0 && done > 0 ? left / rate : null,
    };
    if (extra.message !== undefined) progress.message = extra.message;
    if (extra.metrics !== undefined) progress.metrics = extra.metrics;
    this.emit(progress);
  }
}
