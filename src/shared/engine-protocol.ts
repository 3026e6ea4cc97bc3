// Messages between the host (Electron main, or the serve/CLI process) and the engine process.
// The same messages travel over Electron's utilityProcess port and over a Node child_process IPC
// channel; both use structured clone, so typed arrays cross without copying into JSON.
import type { BackendInfo, Progress } from './contract';
import type { CommandError } from './errors';

/**
 * Who sent a command. 'cli': the user typed it (the CLI, tests, scripts), so it may name any path.
 * 'browser': the renderer (serve mode's WebSocket clients, the Electron window), whose corpus paths
 * are limited to the workspace's corpus folders and whose outputs stay in the workspace.
 */
export type CallerKind = 'cli' | 'browser';

export type HostToEngine =
  /** A plain command: answered once with a reply carrying the same id. */
  | { kind: 'call'; id: number; command: string; input: unknown; caller?: CallerKind }
  /** Start a job the host has registered under jobId; the engine answers with job-* messages. */
  | { kind: 'job'; jobId: string; command: string; input: unknown; caller?: CallerKind }
  | { kind: 'cancel'; jobId: string };

export type EngineToHost =
  | { kind: 'ready'; backend: BackendInfo; pid: number }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: CommandError }
  | { kind: 'job-progress'; jobId: string; progress: Progress }
  | { kind: 'job-done'; jobId: string; result: unknown }
  | { kind: 'job-failed'; jobId: string; error: CommandError }
  | { kind: 'job-cancelled'; jobId: string }
  /** The engine wrote to the catalog; the host tells every reader. */
  | { kind: 'catalog-changed'; tables: string[] };
