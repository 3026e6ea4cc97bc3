// One serve-mode WebSocket: JSON command frames in, replies and host events out.
import type { WebSocket } from 'ws';
import type { ClientFrame, ServerFrame } from '../../shared/wire';
import type { Host } from '../host';

/** Wire a freshly upgraded socket to the host. Nothing a client sends may throw out of here. */
export function attachClient(ws: WebSocket, host: Host, log: (message: string) => void): void {
  // ws reports protocol violations (a message over maxPayload, invalid UTF-8, a bad opcode or
  // fragment) as an 'error' after it has sent the close code (1009, 1007, 1002). Without a listener
  // the EventEmitter throws that error out of the process.
  ws.on('error', (err) => log(`closed a WebSocket: ${err.message}`));

  const send = (frame: ServerFrame) => {
    if (ws.readyState !== ws.OPEN) return;
    try {
      ws.send(JSON.stringify(frame));
    } catch (err) {
      log(`could not send a frame: ${(err as Error).message}`);
    }
  };
  const unsubscribe = host.subscribe((event, payload) => send({ event, payload }));
  ws.on('close', unsubscribe);

  ws.on('message', (data) => {
    let frame: ClientFrame;
    try {
      frame = JSON.parse(String(data)) as ClientFrame;
      if (typeof frame !== 'object' || frame === null || typeof frame.id !== 'number' || typeof frame.command !== 'string') throw new Error();
    } catch {
      ws.close(1003, 'frames must be JSON {id, command, input}');
      return;
    }
    const { id } = frame;
    // A browser: its corpus paths are confined to the workspace's corpus folders (engine/capture/corpus-access.ts).
    host.callUntrusted(frame.command, frame.input, 'browser').then(
      (result) => send({ id, ...result }),
      (err: unknown) => {
        // host.callUntrusted answers errors as results; a rejection is a bug, and must not become an unhandled one.
        log(`command ${JSON.stringify(frame.command.slice(0, 80))} threw: ${(err as Error)?.message ?? String(err)}`);
        send({ id, ok: false, error: { code: 'internal', message: 'The server failed on this command; see its log.' } });
      },
    );
  });
}
