// The experiment log's rows as the renderer reads them: inputs and outputs are logged JSON.
import type { CommandOutput, ExperimentRunOutput, Intervention, RunInput } from '@shared/contract';

export type LoggedExperiment = CommandOutput<'catalog.experiments'>[number];
/** What experiment.run logged: its parsed input and its outputs without the id. */
export type LoggedInputs = Partial<RunInput>;
export type LoggedOutputs = Partial<Omit<ExperimentRunOutput, 'experiment'>>;

export function interventionsOf(e: LoggedExperiment): Intervention[] {
  return ((e.inputs as LoggedInputs).interventions ?? []) as Intervention[];
}
