import type { Progress } from '../../shared/contract';
import type { CallerKind } from '../../shared/engine-protocol';
import { FeaturescopeError } from '../../shared/errors';
import { ProgressMeter } from './progress';

/** What a job handler gets: its id, a cancel signal, and ways to report. */
export interface JobContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  /** Who started the job: a browser's paths are confined (engine/paths), the CLI's are not. */
  readonly caller: CallerKind;
  /** A throttled progress meter counting `unit`s of `total`. */
  meter(unit: string, total: number): ProgressMeter;
  /** Tell readers the catalog changed (the engine is its only writer). */
  catalogChanged(tables: string[]): void;
  /** Throws a 'cancelled' error if the job was asked to stop; call it between steps. */
  throwIfCancelled(): void;
}

export function createJobContext(
  jobId: string,
  signal: AbortSignal,
  sendProgress: (p: Progress) => void,
  sendCatalogChanged: (tables: string[]) => void,
  caller: CallerKind = 'cli',
): JobContext {
  return {
    jobId,
    signal,
    caller,
    meter: (unit, total) => new ProgressMeter(unit, total, sendProgress),
    catalogChanged: sendCatalogChanged,
    throwIfCancelled() {
      if (signal.aborted) throw new FeaturescopeError('cancelled', 'The job was cancelled.');
    },
  };
}

/** Let the event loop breathe so cancel messages are seen between synchronous tfjs steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
