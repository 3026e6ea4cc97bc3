// A finished training or evaluation job's headline figures, each line saying where it comes from:
// "training, last batch of N tokens" (measured on the last training batch) and "evaluation over N
// tokens" (the SAE spliced into its model at the end). The same wording as Home (ui/sae-figures).
import type { JobInfo } from '@shared/contract';
import { SaeFigures } from '../ui/SaeFigures';
import { evaluationGroup, trainingGroup, type FigureGroup } from '../ui/sae-figures';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const numbers = (v: unknown): Record<string, number> => Object.fromEntries(Object.entries(obj(v) ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number'));

/** The figure lines of a job's result (none for jobs that are not training or evaluation). */
export function jobFigureGroups(job: Pick<JobInfo, 'command' | 'result'>): FigureGroup[] {
  const result = obj(job.result);
  if (!result) return [];
  if (job.command === 'sae.train') {
    const settings = numbers(result.settings);
    const evaluation = obj(result.evaluation);
    return [trainingGroup(numbers(result.metrics), settings.batchSize), evaluation ? evaluationGroup(numbers(evaluation.metrics), settings.dSae ?? 0, false) : null].filter((g): g is FigureGroup => g !== null);
  }
  if (job.command === 'sae.evaluate') {
    const group = evaluationGroup(numbers(result.metrics), 0, false);
    return group ? [group] : [];
  }
  return [];
}

export function JobFigures({ job }: { job: Pick<JobInfo, 'command' | 'result'> }) {
  const groups = jobFigureGroups(job);
  if (groups.length === 0) return null;
  const skipped = job.command === 'sae.train' ? obj(job.result)?.evaluationSkipped : undefined;
  return (
    <div className="job-figures">
      <h4>Final figures</h4>
      <SaeFigures groups={groups} testId="job-figures" keyAttribute="data-figure" />
      {typeof skipped === 'string' && skipped !== '' ? <p className="muted">no evaluation: {skipped}</p> : null}
    </div>
  );
}
