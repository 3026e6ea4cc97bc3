import type { CommandName, CommandOutput, Commands, JobCommandName, JobResult, ParsedInput } from '../../shared/contract';
import type { CallerKind } from '../../shared/engine-protocol';
import type { JobContext } from '../jobs/context';
import type { EngineServices } from '../services';
import type { ModelCache } from '../session/model-cache';
import type { SaeCache } from '../session/sae-cache';

type EngineCommand = { [C in CommandName]: Commands[C]['runsIn'] extends 'engine' ? C : never }[CommandName];
type EngineCallName = Exclude<EngineCommand, JobCommandName>;

/** `caller` says whether a browser (paths confined) or the CLI (any path it names) sent the command. */
export type CallHandlers = { [C in EngineCallName]: (input: ParsedInput<C>, caller: CallerKind) => Promise<CommandOutput<C>> | CommandOutput<C> };
export type JobHandlers = { [C in JobCommandName]: (input: ParsedInput<C>, ctx: JobContext) => Promise<JobResult<C>> };

/** What each domain's command adapters (engine/<domain>/commands.ts) are built from. */
export interface CommandDeps {
  services: EngineServices;
  /** Loaded models, shared by every command so a model loads once. */
  models: ModelCache;
  /** Loaded SAEs of the catalog, likewise. */
  saes: SaeCache;
}
