import { fork } from 'node:child_process';
import { basename } from 'node:path';
import type { EngineToHost, HostToEngine } from '../shared/engine-protocol';

/** A running engine process, whichever way it was started (Electron utilityProcess or Node fork). */
export interface EngineProcess {
  readonly pid: number | undefined;
  send(message: HostToEngine): void;
  onMessage(listener: (message: EngineToHost) => void): void;
  /** Called once when the process is gone, with a human reason ("exited with code 1", "was killed by SIGKILL"). */
  onExit(listener: (reason: string) => void): void;
  /** Lines the engine wrote to stderr, for the reason shown when it dies. */
  onStderr(listener: (text: string) => void): void;
  kill(): void;
}

export type SpawnEngine = () => EngineProcess;

/** Plain Node: serve mode, CLI and tests fork the built engine entry with an IPC channel. */
export function forkNodeEngine(engineEntry: string, env: NodeJS.ProcessEnv = process.env): SpawnEngine {
  return () => {
    const child = fork(engineEntry, [], {
      serialization: 'advanced', // structured clone: typed arrays cross as typed arrays
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      // Named in writer leases, so a refused second writer is told which command holds the output.
      env: { ...env, FEATURESCOPE_HOST_COMMAND: describeCommand(process.argv) },
    });
    let exited = false;
    const exitListeners: Array<(reason: string) => void> = [];
    child.on('exit', (code, signal) => {
      if (exited) return;
      exited = true;
      const reason = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      for (const l of exitListeners) l(reason);
    });
    return {
      pid: child.pid,
      send: (m) => {
        if (child.connected) child.send(m);
      },
      onMessage: (listener) => child.on('message', (m) => listener(m as EngineToHost)),
      onExit: (listener) => exitListeners.push(listener),
      onStderr: (listener) => child.stderr?.on('data', (d: Buffer) => listener(d.toString('utf8'))),
      kill: () => {
        if (!exited) child.kill('SIGKILL');
      },
    };
  };
}

/** "featurescope analyze --sae s1 …" from this process's argv: the launcher's name, then its arguments. */
export function describeCommand(argv: readonly string[]): string {
  const script = argv[1] === undefined ? 'node' : basename(argv[1]).replace(/\.[cm]?js$/, '');
  const words = [script === 'cli' ? 'featurescope' : script, ...argv.slice(2)].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : JSON.stringify(w)));
  const text = words.join(' ');
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
