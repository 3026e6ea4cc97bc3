// Progress of reading a big model's weights (issue #15: a 5.2 GB folder printed nothing for 15
// minutes). The engine's stderr reaches the terminal of the CLI and of `serve` (the supervisor
// forwards it), so a forward that reads gigabytes says how far it is: bytes, rate, ETA.

import { formatBytes } from './memoryPlan';

/** Folders smaller than this load in seconds: no progress lines. */
export const PROGRESS_MIN_BYTES = 1e9;
const EVERY_MS = 2000;

export class ReadProgress {
  private done = 0;
  private started = 0;
  private lastLine = 0;

  constructor(
    /** Stored bytes one full read covers (the whole checkpoint). */
    private readonly total: number,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** A new forward starts: streamed weights are read again from the start. */
  begin(): void {
    this.done = 0;
    this.started = this.now();
    this.lastLine = this.started;
  }

  /** `bytes` more of the checkpoint were read (in its stored dtype). */
  add(bytes: number, what: string): void {
    if (this.total < PROGRESS_MIN_BYTES) return;
    this.done = Math.min(this.total, this.done + bytes);
    const t = this.now();
    if (t - this.lastLine < EVERY_MS) return;
    this.lastLine = t;
    const seconds = (t - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const eta = rate > 0 ? Math.round((this.total - this.done) / rate) : null;
    this.write(`model weights: read ${formatBytes(this.done)} of ${formatBytes(this.total)} (${formatBytes(rate)}/s${eta === null ? '' : `, ETA ${eta}s`}), at ${what}`);
  }
}
