import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestTarget } from './request-target';

/** Why a request is refused, or null when it may pass. 403 for a foreign Host/Origin, 401 without the token. */
export type Refusal = { status: 401 | 403; reason: string } | null;

/**
 * Serve mode answers only requests meant for this server on loopback (Host: DNS rebinding),
 * from its own pages (Origin: cross-site requests and WebSockets), carrying this launch's token.
 * It reads headers and the parsed target only, and never throws on what a client sent.
 */
export class RequestGuard {
  constructor(
    private readonly token: string,
    private readonly port: () => number,
  ) {}

  get cookieName(): string {
    return `featurescope_${this.port()}`;
  }

  allowedHosts(): string[] {
    const p = this.port();
    return [`127.0.0.1:${p}`, `localhost:${p}`];
  }

  /**
   * Host, then Origin (when sent), then the token. A WebSocket upgrade passes `cookieNeedsOrigin`: a
   * browser always sends our Origin with it, so a client without one is a script and must carry the
   * token itself (Bearer header or ?token=); a cookie alone does not open a socket.
   */
  check(req: IncomingMessage, target: RequestTarget, { cookieNeedsOrigin = false }: { cookieNeedsOrigin?: boolean } = {}): Refusal {
    const host = req.headers.host;
    if (!host || !this.allowedHosts().includes(host.toLowerCase())) return { status: 403, reason: 'Host is not this server' };
    const origin = req.headers.origin;
    if (origin !== undefined && !this.allowedHosts().some((h) => origin.toLowerCase() === `http://${h}`)) {
      return { status: 403, reason: 'Origin is not this server' };
    }
    const candidates = [this.queryToken(target), this.bearerToken(req)];
    if (!cookieNeedsOrigin || origin !== undefined) candidates.push(...this.cookieTokens(req));
    if (!candidates.some((t) => t !== undefined && this.matches(t))) return { status: 401, reason: 'missing or wrong token (open the address `featurescope serve` printed)' };
    return null;
  }

  /** The token in the query string: the printed address, or a script's WebSocket URL. */
  queryToken(target: RequestTarget): string | undefined {
    return target.searchParams.get('token') ?? undefined;
  }

  /**
   * The cookie a browser gets for the token. Path is this launch's random app path: cookies are not
   * port-scoped, so with Path=/ the browser would hand the token to every server on 127.0.0.1.
   */
  sessionCookie(appPath: string): string {
    return `${this.cookieName}=${this.token}; HttpOnly; SameSite=Strict; Path=${appPath}`;
  }

  /** Every value sent under our cookie name (a stale one from an earlier launch on this port may come too). */
  private cookieTokens(req: IncomingMessage): string[] {
    const values: string[] = [];
    for (const c of req.headers.cookie?.split(';') ?? []) {
      const [name, ...rest] = c.trim().split('=');
      if (name === this.cookieName) values.push(rest.join('='));
    }
    return values;
  }

  private bearerToken(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
  }

  matches(candidate: string): boolean {
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
