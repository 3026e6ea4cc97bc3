import type { CallResult, FeaturescopeBridge } from '@shared/bridge';
import type { ServerFrame } from '@shared/wire';
import { WS_PATH } from '@shared/wire';

/**
 * Serve mode: the same bridge over a WebSocket to the page's own origin. The session cookie set
 * when the tokened URL was opened authenticates the upgrade. Reconnects if the server restarts.
 */

/**
 * The socket sits beside the page, under this launch's app path (`/s/<hex>/ws`): the session cookie
 * is scoped to that path, so an absolute `/ws` would reach the server without it.
 */
function socketUrl(): string {
  const url = new URL(WS_PATH.replace(/^\//, ''), location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  return url.href;
}

export function createWebSocketBridge(): FeaturescopeBridge {
  const listeners = new Set<(event: string, payload: unknown) => void>();
  const pending = new Map<number, (r: CallResult) => void>();
  let nextId = 1;
  let socket: WebSocket | undefined;
  let opened: Promise<WebSocket> | undefined;

  function connect(): Promise<WebSocket> {
    opened ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(socketUrl());
      ws.onopen = () => {
        socket = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new Error('Cannot reach the Featurescope server.'));
      ws.onmessage = (m) => {
        let frame: ServerFrame;
        try {
          frame = JSON.parse(String(m.data)) as ServerFrame;
        } catch {
          return; // the server only sends JSON; anything else is not ours to act on
        }
        if ('event' in frame) {
          for (const l of listeners) l(frame.event, frame.payload);
        } else {
          const settle = pending.get(frame.id);
          pending.delete(frame.id);
          settle?.(frame.ok ? { ok: true, value: frame.value } : { ok: false, error: frame.error });
        }
      };
      ws.onclose = () => {
        socket = undefined;
        opened = undefined;
        for (const settle of pending.values()) settle({ ok: false, error: { code: 'engine_unavailable', message: 'The connection to the Featurescope server closed.' } });
        pending.clear();
        for (const l of listeners) l('connection.lost', {});
        setTimeout(() => void connect().catch(() => undefined), 1000);
      };
    });
    return opened;
  }

  void connect().catch(() => undefined);

  return {
    transport: 'websocket',
    async call(command, input) {
      let ws: WebSocket;
      try {
        ws = socket ?? (await connect());
      } catch (err) {
        return { ok: false, error: { code: 'engine_unavailable', message: (err as Error).message } };
      }
      const id = nextId++;
      return new Promise<CallResult>((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, command, input }));
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
