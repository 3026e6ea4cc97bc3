// What serve mode answers to one HTTP request or WebSocket upgrade, once server.ts has put it
// inside its guard. Every refusal is a status: 400 for a target that does not parse, 403 for a
// foreign Host/Origin, 401 without the token, 404 for an unknown WebSocket path.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { WS_PATH } from '../../shared/wire';
import type { Host } from '../host';
import type { RequestGuard } from './guard';
import { parseRequestTarget } from './request-target';
import { securityHeaders } from './security-headers';
import { serveStatic } from './static';
import { attachClient } from './websocket-client';

export interface ServeContext {
  host: Host;
  guard: RequestGuard;
  wss: WebSocketServer;
  /** This launch's random path (`/s/<hex>`): the app, its WebSocket and the session cookie live under it. */
  appPath: string;
  rendererDir: string;
  port(): number;
  log(message: string): void;
}

export function answerRequest(ctx: ServeContext, req: IncomingMessage, res: ServerResponse): void {
  const target = parseRequestTarget(req.url);
  if (!target) return plain(res, 400, 'the request target is not a path on this server');
  const refusal = ctx.guard.check(req, target);
  if (refusal) return plain(res, refusal.status, refusal.reason);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const { pathname, searchParams } = target;
  const inApp = pathname.startsWith(`${ctx.appPath}/`);
  if (searchParams.has('token') || pathname === ctx.appPath) {
    // Into the app path; and trade a token in the address bar for a cookie scoped to that path, then
    // drop it from the URL (history, screenshots).
    const hadToken = searchParams.has('token');
    searchParams.delete('token');
    const query = searchParams.toString();
    const location = (inApp ? pathname : pathname === ctx.appPath ? `${ctx.appPath}/` : ctx.appPath + pathname) + (query ? `?${query}` : '');
    res.writeHead(302, { ...(hadToken ? { 'set-cookie': ctx.guard.sessionCookie(ctx.appPath) } : {}), location, 'referrer-policy': 'no-referrer' });
    res.end();
    return;
  }
  // A browser sends the cookie under the app path only; outside it only scripts get here (earlier
  // versions served the app at `/`, and scripts may still fetch it there with the token).
  serveStatic(ctx.rendererDir, inApp ? pathname.slice(ctx.appPath.length) : pathname, res, securityHeaders(ctx.port()));
}

export function answerUpgrade(ctx: ServeContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const target = parseRequestTarget(req.url);
  if (!target) return refuseUpgrade(socket, 400);
  // The app's own socket is under its path (so the browser sends the cookie); `/ws` stays for scripts.
  if (target.pathname !== ctx.appPath + WS_PATH && target.pathname !== WS_PATH) return refuseUpgrade(socket, 404);
  const refusal = ctx.guard.check(req, target, { cookieNeedsOrigin: true });
  if (refusal) return refuseUpgrade(socket, refusal.status);
  ctx.wss.handleUpgrade(req, socket, head, (ws) => attachClient(ws, ctx.host, ctx.log));
}

export function plain(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${status}: ${reason}\n`);
}

/** Answer an upgrade we will not perform with a bare HTTP status, then drop the connection. */
export function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}
