// Electron main: window, IPC and the engine's utilityProcess. All commands go through the
// same host router as serve mode and the CLI; this file only adapts it to Electron.
import { app, BrowserWindow, ipcMain, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { pathToFileURL } from 'node:url';
import { IPC_CALL, IPC_EVENT } from '../shared/bridge';
import { createHost, type Host } from '../host/host';
import { resolvePaths } from '../node/paths';
import { forkUtilityEngine } from './engine-process';
import { createMainWindow, rendererIndex } from './window';

let host: Host | undefined;
let mainWindow: BrowserWindow | undefined;

/** Only our own renderer page, in our own window, may call the host. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  if (!mainWindow || event.sender !== mainWindow.webContents) return false;
  const url = event.senderFrame?.url ?? '';
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  return devUrl ? url.startsWith(devUrl) : url === pathToFileURL(rendererIndex()).href;
}

function hardenAllWebContents(): void {
  app.on('web-contents-created', (_e, contents: WebContents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (e) => e.preventDefault());
  });
  // Nothing leaves the machine: refuse every request that is not to our own files or loopback.
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const u = details.url;
    const local = u.startsWith('file://') || u.startsWith('devtools://') || /^(https?|wss?):\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u);
    callback({ cancel: !local });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
}

app.whenReady().then(() => {
  hardenAllWebContents();
  const paths = resolvePaths(__dirname);
  host = createHost({ mode: 'desktop', paths, spawnEngine: forkUtilityEngine(paths.engineEntry) });
  ipcMain.handle(IPC_CALL, async (event, command: unknown, input: unknown) => {
    if (!isTrustedSender(event)) return { ok: false, error: { code: 'invalid_input', message: 'Calls are accepted only from the Featurescope window.' } };
    // The window is a browser caller: corpus paths limited to the workspace's corpus folders.
    return host!.callUntrusted(String(command), input, 'browser');
  });
  host.subscribe((event, payload) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT, event, payload);
  });
  mainWindow = createMainWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow();
  });
});

app.on('window-all-closed', () => {
  void host?.close().finally(() => app.quit());
});
