// The run of a prompt without interventions, kept per loaded model, SAE and run settings. Every
// slider release in the playground is an experiment.run whose baseline half is the same as last
// time; only the intervened half has to be computed again. Replays do not read it: a replay
// exists to recompute.

import type { RunInput } from '../../shared/contract';
import type { LoadedModel } from '../model';
import type { Sae } from '../sae/sae';
import type { PromptRun } from './run-prompt';

export class BaselineCache {
  private readonly runs = new Map<string, Promise<PromptRun>>();
  /** Loaded objects by identity: a model or SAE loaded again (evicted, files changed) is a new key. */
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(private readonly capacity = 16) {}

  /** The cached baseline of `input` (its interventions ignored), or `compute()`'s, kept for next time. */
  get(model: LoadedModel, sae: Sae | undefined, input: RunInput, compute: () => Promise<PromptRun>): Promise<PromptRun> {
    const key = this.keyOf(model, sae, input);
    let run = this.runs.get(key);
    if (run) {
      this.runs.delete(key); // re-inserted below: most recently used last
    } else {
      run = compute();
      run.catch(() => this.runs.delete(key)); // a failure is not remembered
    }
    this.runs.set(key, run);
    while (this.runs.size > this.capacity) this.runs.delete(this.runs.keys().next().value as string);
    return run;
  }

  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(o, id);
    }
    return id;
  }

  /** Everything a baseline depends on: the loaded model and SAE, and every run setting but the interventions. */
  private keyOf(model: LoadedModel, sae: Sae | undefined, input: RunInput): string {
    const { interventions: _ignored, model: _path, sae: _saeId, ...settings } = input;
    return JSON.stringify([this.idOf(model), sae === undefined ? 0 : this.idOf(sae), canonical(settings)]);
  }
}

/** The value with object keys sorted, so two equal settings give one key whatever their key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}
