// The only thing the sandboxed renderer gets from Node/Electron: one typed object with two methods.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CALL, IPC_EVENT, type CallResult, type FeaturescopeBridge } from '../shared/bridge';

const bridge = {
  transport: 'ipc',
  call: (command: string, input: unknown) => ipcRenderer.invoke(IPC_CALL, command, input) as Promise<CallResult>,
  subscribe(listener: (event: string, payload: unknown) => void) {
    const handler = (_e: IpcRendererEvent, event: string, payload: unknown) => listener(event, payload);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
} satisfies FeaturescopeBridge;

contextBridge.exposeInMainWorld('featurescope', bridge);
