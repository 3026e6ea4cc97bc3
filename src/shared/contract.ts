// The one contract between renderer, host (main / serve / CLI) and engine.
// Every command: name → zod input schema → output type; every event: name → payload.
// Domain files declare their part; this file is where they become one map.
import type { z } from 'zod';
import type { CommandSpec } from './contract/define';
import { appCommands } from './contract/app';
import { catalogCommands } from './contract/catalog';
import { modelCommands } from './contract/model';
import { convertCommands } from './contract/convert';
import { experimentCommands } from './contract/experiments';
import { saeCommands } from './contract/sae';
import { sparseCommands } from './contract/sparse';
import { attributionCommands } from './contract/attribution';
import { auditCommands } from './contract/audit';
import { watchCommands } from './contract/watch';
import { workspaceCommands } from './contract/workspace';
import { taskCommands } from './contract/tasks';
import { circuitCommands } from './contract/circuits';

export * from './contract/common';
export * from './contract/app';
export * from './contract/catalog';
export * from './contract/model';
export * from './contract/convert';
export * from './contract/experiments';
export * from './contract/sae';
export * from './contract/sparse';
export * from './contract/attribution';
export * from './contract/audit';
export * from './contract/watch';
export * from './contract/workspace';
export * from './contract/tasks';
export * from './contract/circuits';
export * from './contract/events';
export type { CommandSpec, RunsIn } from './contract/define';

export const commands = {
  ...appCommands,
  ...catalogCommands,
  ...modelCommands,
  ...convertCommands,
  ...experimentCommands,
  ...saeCommands,
  ...sparseCommands,
  ...attributionCommands,
  ...auditCommands,
  ...watchCommands,
  ...workspaceCommands,
  ...taskCommands,
  ...circuitCommands,
} satisfies Record<string, CommandSpec<z.ZodObject>>;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
/** What a caller may send (defaults still optional). */
export type CommandInput<C extends CommandName> = z.input<Commands[C]['input']>;
/** What a handler receives after parsing (defaults filled in). */
export type ParsedInput<C extends CommandName> = z.output<Commands[C]['input']>;
export type CommandOutput<C extends CommandName> = z.output<Commands[C]['output']>;
export type JobCommandName = { [C in CommandName]: Commands[C] extends { result: z.ZodType } ? C : never }[CommandName];
/** Commands the host answers itself (catalog reads, jobs, doctor); the rest go to the engine. */
export type HostCommandName = { [C in CommandName]: Commands[C]['runsIn'] extends 'host' ? C : never }[CommandName];
export type JobResult<C extends JobCommandName> = Commands[C] extends { result: infer R extends z.ZodType } ? z.output<R> : never;

export const commandNames = Object.keys(commands) as CommandName[];

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name);
}

export function isJobCommand(name: CommandName): name is JobCommandName {
  return 'result' in commands[name];
}

export function isHostCommand(name: CommandName): name is HostCommandName {
  return commands[name].runsIn === 'host';
}
