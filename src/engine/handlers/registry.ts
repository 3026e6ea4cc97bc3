import type { CommandName, CommandOutput, Commands, JobCommandName, JobResult, ParsedInput } from '../../shared/contract';
import type { CallerKind } from '../../shared/engine-protocol';
import type { JobContext } from '../jobs/context';

type EngineCommand = { [C in CommandName]: Commands[C]['runsIn'] extends 'engine' ? C : never }[CommandName];
type EngineCallName = Exclude<EngineCommand, JobCommandName>;

/** `caller` says whether a browser (paths confined) or the CLI (any path it names) sent the command. */
export type CallHandlers = { [C in EngineCallName]: (input: ParsedInput<C>, caller: CallerKind) => Promise<CommandOutput<C>> | CommandOutput<C> };
export type JobHandlers = { [C in JobCommandName]: (input: ParsedInput<C>, ctx: JobContext) => Promise<JobResult<C>> };
