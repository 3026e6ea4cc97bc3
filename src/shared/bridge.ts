import type { CallResult } from './call';

export type { CallResult } from './call';

/**
 * What the renderer talks to: the preload bridge under Electron, a WebSocket client in a browser.
 * Both carry the same contract as untyped messages (the host parses them); the renderer calls
 * through the shared typed call over this pipe (src/shared/call.ts).
 */
export interface FeaturescopeBridge {
  readonly transport: 'ipc' | 'websocket';
  /** No caller kind: the host's adapter (IPC, serve) marks whatever arrives this way 'browser'. */
  call(command: string, input: unknown): Promise<CallResult>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

export const IPC_CALL = 'featurescope:call';
export const IPC_EVENT = 'featurescope:event';
