// The one typed call over the contract. Every client (renderer, CLI, jobs, tests) calls commands
// through it: the command's input type in, its output type out. Wire input (IPC, WebSocket frames)
// is untrusted and stays untyped until the host has parsed it; that is `CallUntrusted`.
import type { CommandInput, CommandName, CommandOutput } from './contract';
import type { CallerKind } from './engine-protocol';
import { FeaturescopeError, type CommandError } from './errors';

export type CallResult<T = unknown> = { ok: true; value: T } | { ok: false; error: CommandError };

/**
 * A command name and input nobody has checked yet: the host parses both against the contract.
 * `caller` is who sent it (src/shared/engine-protocol.ts); the adapter that received a message sets
 * it, never the message. Left out, the host takes it for 'browser', the least trusted.
 */
export type CallUntrusted = (command: string, input: unknown, caller?: CallerKind) => Promise<CallResult>;

/** The typed call: a command of the contract, an input of its schema, an answer of its output type. */
export type Call = <C extends CommandName>(command: C, input: CommandInput<C>, caller?: CallerKind) => Promise<CallResult<CommandOutput<C>>>;

/** Anything commands can be sent to: the host, the renderer's bridge. */
export interface Caller {
  call: Call;
}

/**
 * Type an untyped pipe. This is the one place an answer is taken to be of the command's output type;
 * that holds because the host parses every input against the same contract, and the handlers behind
 * it are typed against it (src/engine/handlers/registry.ts, the host's own handlers).
 */
export function typedCall(untrusted: CallUntrusted): Call {
  return <C extends CommandName>(command: C, input: CommandInput<C>, caller?: CallerKind) =>
    untrusted(command, input, caller) as Promise<CallResult<CommandOutput<C>>>;
}

/** The value of a call that must succeed; a failure is thrown as a FeaturescopeError (code, message, field kept). */
export async function callOrThrow<C extends CommandName>(caller: Caller, command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
  const r = await caller.call(command, input);
  if (!r.ok) throw new FeaturescopeError(r.error.code, r.error.message, r.error.field);
  return r.value;
}
