import type { CallResult, FeaturescopeBridge } from '@shared/bridge';
import type { ServerFrame } from '@shared/wire';
import { WS_PATH } from '@shared/wire';

/**
 * Serve mode: the same bridge over a WebSocket to the page's own origin. The session cookie set
 * when the tokened URL was opened authenticates the upgrade. Reconnects if the server restarts.
 */
export function createWebSocketBridge(): FeaturescopeBridge {
  const listeners = new Set<(event: string, payload: unknown) => void>();
  const pending = new Map<number, (r: CallResult) => void>();
  let nextId = 1;
  let socket: WebSocket | undefined;
  let opened: Promise<WebSocket> | undefined;

  function connect(): Promise<WebSocket> {
    opened ??= new Promise<WebSocket>((resolve, reject) => {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const ws = new WebSocket(`${proto}//${location.host}${WS_PATH}`);
      ws.onopen = () => {
        socket = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new Error('Cannot reach the Featurescope server.'));
      ws.onmessage = (m) => {
        const frame = JSON.parse(String(m.data)) as ServerFrame;
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
