// The serve-mode WebSocket wire format: the same contract as the preload bridge, framed as JSON.
import type { CommandError } from './errors';

export type ClientFrame = { id: number; command: string; input: unknown };
export type ServerFrame =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: CommandError }
  | { event: string; payload: unknown };

export const WS_PATH = '/ws';
