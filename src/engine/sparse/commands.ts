// Commands of weight-sparse models: sparse.train (a job: train-job.ts).
import type { CommandDeps, JobHandlers } from '../handlers/registry';
import { runSparseTrainJob } from './train-job';

export function sparseCommands(deps: CommandDeps): { jobs: Pick<JobHandlers, 'sparse.train'> } {
  return { jobs: { 'sparse.train': (input, ctx) => runSparseTrainJob(deps, input, ctx) } };
}
