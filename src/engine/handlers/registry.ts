import type { CommandName, CommandOutput, Commands, JobCommandName, JobResult, ParsedInput } from '../../shared/contract';
import type { JobContext } from '../jobs/context';

type EngineCommand = { [C in CommandName]: Commands[C]['runsIn'] extends 'engine' ? C : never }[CommandName];
type EngineCallName = Exclude<EngineCommand, JobCommandName>;

export type CallHandlers = { [C in EngineCallName]: (input: ParsedInput<C>) => Promise<CommandOutput<C>> | CommandOutput<C> };
export type JobHandlers = { [C in JobCommandName]: (input: ParsedInput<C>, ctx: JobContext) => Promise<JobResult<C>> };
