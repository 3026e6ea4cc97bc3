// Serve mode: the same host and the built renderer, on 127.0.0.1 only, for a browser
// (a GPU box over an SSH tunnel, and the end-to-end tests).
import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Host } from '../host';
import { RequestGuard } from './guard';
import { answerRequest, answerUpgrade, plain, refuseUpgrade, type ServeContext } from './routes';

export interface ServeHandle {
  /** The URL to open, with this launch's token. Print it to the user; never log it elsewhere. */
  url: string;
  port: number;
  /** Where the app lives for this launch (`/s/<hex>`); the tokened URL redirects there. */
  appPath: string;
  close(): Promise<void>;
}

/** Over this a WebSocket message is refused with close code 1009 (ws checks the announced length). */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const log = (message: string) => process.stderr.write(`featurescope serve: ${message}\n`);
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** A peer that hangs up mid-exchange is routine (a closed tab); anything else on a socket is worth a line. */
const logSocketError = (where: string) => (err: NodeJS.ErrnoException) => {
  if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') log(`${where} error: ${err.message}`);
};

export async function startServer(host: Host, opts: { port?: number; rendererDir: string }): Promise<ServeHandle> {
  const token = randomBytes(32).toString('hex'); // 256 bits, fresh per launch
  // A second random per launch, for the path: cookies are not port-scoped, and one scoped to this
  // path reaches no other server on 127.0.0.1 (which cannot know it). Not secret like the token:
  // it stays in the address bar.
  const appPath = `/s/${randomBytes(16).toString('hex')}`;
  let port = 0;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const ctx: ServeContext = { host, guard: new RequestGuard(token, () => port), wss, appPath, rendererDir: opts.rendererDir, port: () => port, log };

  // Every handler runs inside a guard: whatever a client sends, the answer is a status, never a throw
  // out of the process (which would take the engine and its jobs with it).
  const server = createServer((req, res) => {
    req.on('error', logSocketError('request'));
    res.on('error', logSocketError('response'));
    try {
      answerRequest(ctx, req, res);
    } catch (err) {
      log(`answered 400 to a request that failed: ${messageOf(err)}`);
      try {
        plain(res, 400, 'bad request');
      } catch {
        res.destroy(); // headers already on their way: all that is left is to drop the connection
      }
    }
  });
  server.on('upgrade', (req, socket, head) => {
    // Node hands the raw socket over without its own error listener.
    socket.on('error', logSocketError('upgrade socket'));
    try {
      answerUpgrade(ctx, req, socket, head);
    } catch (err) {
      log(`answered 400 to an upgrade that failed: ${messageOf(err)}`);
      refuseUpgrade(socket, 400);
    }
  });
  // Bytes that are not HTTP (bad request line, oversized headers, timeouts) never reach the handlers.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  });
  wss.on('error', (err) => log(`WebSocket server error: ${messageOf(err)}`));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log(`server error: ${messageOf(err)}`));
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    appPath,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
