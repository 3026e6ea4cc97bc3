import type { CommandError } from './errors';

export type CallResult = { ok: true; value: unknown } | { ok: false; error: CommandError };

/**
 * What the renderer talks to: the preload bridge under Electron, a WebSocket client in a browser.
 * Both carry the same contract; the renderer's typed client sits on top of this untyped pipe.
 */
export interface FeaturescopeBridge {
  readonly transport: 'ipc' | 'websocket';
  call(command: string, input: unknown): Promise<CallResult>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

export const IPC_CALL = 'featurescope:call';
export const IPC_EVENT = 'featurescope:event';
