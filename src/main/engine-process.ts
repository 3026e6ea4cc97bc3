import { utilityProcess } from 'electron';
import type { EngineToHost } from '../shared/engine-protocol';
import type { SpawnEngine } from '../host/engine-process';

/** Under Electron the engine is a utilityProcess: a Node process Electron supervises, off the UI thread. */
export function forkUtilityEngine(engineEntry: string): SpawnEngine {
  return () => {
    const child = utilityProcess.fork(engineEntry, [], { serviceName: 'Featurescope engine', stdio: ['ignore', 'inherit', 'pipe'] });
    let exited = false;
    const exitListeners: Array<(reason: string) => void> = [];
    child.on('exit', (code) => {
      if (exited) return;
      exited = true;
      for (const l of exitListeners) l(`exited with code ${code}`);
    });
    return {
      get pid() {
        return child.pid;
      },
      send: (m) => child.postMessage(m),
      onMessage: (listener) => child.on('message', (m: unknown) => listener(m as EngineToHost)),
      onExit: (listener) => exitListeners.push(listener),
      onStderr: (listener) => child.stderr?.on('data', (d: Buffer) => listener(d.toString('utf8'))),
      kill: () => {
        if (!exited) child.kill();
      },
    };
  };
}
