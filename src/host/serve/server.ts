// Serve mode: the same host and the built renderer, on 127.0.0.1 only, for a browser
// (a GPU box over an SSH tunnel, and the end-to-end tests).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientFrame, ServerFrame } from '../../shared/wire';
import { WS_PATH } from '../../shared/wire';
import type { Host } from '../host';
import { RequestGuard } from './guard';
import { serveStatic } from './static';

export interface ServeHandle {
  /** The URL to open, with this launch's token. Print it to the user; never log it elsewhere. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export async function startServer(host: Host, opts: { port?: number; rendererDir: string }): Promise<ServeHandle> {
  const token = randomBytes(32).toString('hex'); // 256 bits, fresh per launch
  let port = 0;
  const guard = new RequestGuard(token, () => port);

  const securityHeaders = (): Record<string, string> => ({
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "img-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const refusal = guard.check(req);
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${refusal.status}: ${refusal.reason}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.searchParams.has('token')) {
      // Trade the token in the address bar for a cookie, then drop it from the URL (history, screenshots).
      url.searchParams.delete('token');
      res.writeHead(302, {
        'set-cookie': `${guard.cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        location: url.pathname + url.search,
        'referrer-policy': 'no-referrer',
      });
      res.end();
      return;
    }
    serveStatic(opts.rendererDir, url.pathname, res, securityHeaders());
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refusal = url.pathname === WS_PATH ? guard.check(req, { requireOrigin: false }) : { status: 404 as const, reason: 'not found' };
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal.status} ${refusal.status === 401 ? 'Unauthorized' : refusal.status === 403 ? 'Forbidden' : 'Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachClient(ws, host));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function attachClient(ws: WebSocket, host: Host): void {
  const send = (frame: ServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const unsubscribe = host.subscribe((event, payload) => send({ event, payload }));
  ws.on('close', unsubscribe);
  ws.on('message', async (data) => {
    let frame: ClientFrame;
    try {
      frame = JSON.parse(String(data)) as ClientFrame;
      if (typeof frame !== 'object' || frame === null || typeof frame.id !== 'number' || typeof frame.command !== 'string') throw new Error();
    } catch {
      ws.close(1003, 'frames must be JSON {id, command, input}');
      return;
    }
    const result = await host.callUntrusted(frame.command, frame.input);
    send({ id: frame.id, ...result });
  });
}
