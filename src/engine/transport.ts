// How the engine process talks to its host. Under Electron it is a utilityProcess with a
// parentPort; under plain Node it is a child_process fork with an IPC channel. Both carry
// structured-clone messages, so the rest of the engine never knows which one it runs in.
import type { EngineToHost, HostToEngine } from '../shared/engine-protocol';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export interface EngineTransport {
  send(message: EngineToHost): void;
  onMessage(listener: (message: HostToEngine) => void): void;
}

export function connectToHost(): EngineTransport {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (listener) => parentPort.on('message', (e) => listener(e.data as HostToEngine)),
    };
  }
  if (typeof process.send === 'function') {
    // The host exits → the IPC channel closes → so do we, instead of lingering as an orphan.
    process.on('disconnect', () => process.exit(0));
    return {
      send: (m) => process.send!(m),
      onMessage: (listener) => process.on('message', (m) => listener(m as HostToEngine)),
    };
  }
  throw new Error('The engine must be started by Featurescope (no IPC channel to a host).');
}
