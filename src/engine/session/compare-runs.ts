// Ablation and steering experiments: a prompt run without and with its interventions, compared
// (KL and the tokens that moved), and a logged comparison checked against a new one.
import { RunInput, type ExperimentRunOutput, type RunOutput } from '../../shared/contract';
import type { Experiment } from '../../shared/contract/records';
import { FeaturescopeError } from '../../shared/errors';
import type { PromptRun } from './run-prompt';

export type RunComparison = Omit<ExperimentRunOutput, 'experiment'>;

/** KL(baseline ‖ intervened) over the whole vocabulary, and the tokens whose probability moved most. */
export function distributionShift(baseline: PromptRun, intervened: PromptRun): Pick<ExperimentRunOutput, 'kl' | 'changes'> {
  let kl = 0;
  for (let i = 0; i < baseline.logProbs.length; i++) {
    const lp = baseline.logProbs[i]!;
    if (lp > -Infinity) kl += Math.exp(lp) * (lp - intervened.logProbs[i]!);
  }
  const text = new Map([...baseline.output.next, ...intervened.output.next].map((t) => [t.id, t.text]));
  const changes = [...text.entries()]
    .map(([id, t]) => ({ id, text: t, before: Math.exp(baseline.logProbs[id]!), after: Math.exp(intervened.logProbs[id]!) }))
    .sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before))
    .slice(0, 10);
  return { kl: Math.max(0, kl), changes };
}

/** The run input an ablation or steering experiment logged, parsed again. */
export function loggedRunInput(logged: Experiment): RunInput {
  const parsed = RunInput.safeParse(logged.inputs);
  if (!parsed.success) throw new FeaturescopeError('bad_file', `${logged.citeId}: its logged inputs no longer parse (${parsed.error.issues[0]?.message}).`, 'ref');
  return parsed.data;
}

/** Whether a new comparison matches the logged one, and the note that says so. */
export function compareWithLog(logged: Experiment, now: RunComparison): { matches: boolean; note: string } {
  const before = logged.outputs as Partial<RunComparison>;
  const loggedKl = typeof before.kl === 'number' ? before.kl.toPrecision(4) : '—';
  return {
    matches: sameRun(before.baseline, now.baseline) && sameRun(before.intervened, now.intervened),
    note: `Replayed now: KL ${now.kl.toPrecision(4)} nats (logged ${loggedKl})`,
  };
}

/** Same tokens, same top predictions (to float noise), same continuation and probe. */
function sameRun(a: RunOutput | undefined, b: RunOutput): boolean {
  if (!a) return false;
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(x), Math.abs(y));
  return (
    a.tokens.length === b.tokens.length &&
    a.tokens.every((t, i) => t.id === b.tokens[i]!.id) &&
    a.next.length === b.next.length &&
    a.next.every((t, i) => t.id === b.next[i]!.id && close(t.prob, b.next[i]!.prob)) &&
    (a.continuation?.tokens.map((t) => t.id).join(',') ?? '') === (b.continuation?.tokens.map((t) => t.id).join(',') ?? '') &&
    (a.probe?.values ?? []).every((v, i) => close(v, b.probe!.values[i]!))
  );
}
