import type { CommandInput, CommandName, CommandOutput, EventName, EventPayload } from '@shared/contract';
import type { FeaturescopeBridge } from '@shared/bridge';
import { typedCall } from '@shared/call';
import type { CommandError } from '@shared/errors';
import { createWebSocketBridge } from './websocket-bridge';

declare global {
  interface Window {
    featurescope?: FeaturescopeBridge;
  }
}

/** A failed command, as the renderer sees it: code, readable message, and the field to point at. */
export class CommandFailed extends Error {
  readonly code: CommandError['code'];
  readonly field: string | undefined;
  constructor(error: CommandError) {
    super(error.message);
    this.code = error.code;
    this.field = error.field;
  }
}

/** The preload bridge when we run in Electron, a WebSocket to our own origin in a browser. */
const bridge: FeaturescopeBridge = window.featurescope ?? createWebSocketBridge();

export const transport = bridge.transport;

/** The shared typed call (src/shared/call.ts) over the bridge's untyped pipe. */
const callBridge = typedCall((command, input) => bridge.call(command, input));

export async function call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
  const r = await callBridge(command, input);
  if (!r.ok) throw new CommandFailed(r.error);
  return r.value;
}

export function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return bridge.subscribe((name, payload) => {
    if (name === event) listener(payload as EventPayload<E>);
  });
}

/** Fires when the serve-mode connection drops (not an event of the contract: a fact of the transport). */
export function onConnectionLost(listener: () => void): () => void {
  return bridge.subscribe((name) => {
    if (name === 'connection.lost') listener();
  });
}
