import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Why a request is refused, or null when it may pass. 403 for a foreign Host/Origin, 401 without the token. */
export type Refusal = { status: 401 | 403; reason: string } | null;

/**
 * Serve mode answers only requests meant for this server on loopback (Host: DNS rebinding),
 * from its own pages (Origin: cross-site requests and WebSockets), carrying this launch's token.
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

  check(req: IncomingMessage, { requireOrigin = false }: { requireOrigin?: boolean } = {}): Refusal {
    const host = req.headers.host;
    if (!host || !this.allowedHosts().includes(host.toLowerCase())) return { status: 403, reason: 'Host is not this server' };
    const origin = req.headers.origin;
    if (origin === undefined ? requireOrigin : !this.allowedHosts().some((h) => origin.toLowerCase() === `http://${h}`)) {
      return { status: 403, reason: 'Origin is not this server' };
    }
    if (!this.hasToken(req)) return { status: 401, reason: 'missing or wrong token' };
    return null;
  }

  /** The token in the query string (first visit), a cookie (later requests) or a Bearer header (scripts). */
  hasToken(req: IncomingMessage): boolean {
    return [this.queryToken(req), this.cookieToken(req), this.bearerToken(req)].some((t) => t !== undefined && this.matches(t));
  }

  queryToken(req: IncomingMessage): string | undefined {
    const url = new URL(req.url ?? '/', 'http://x');
    return url.searchParams.get('token') ?? undefined;
  }

  private cookieToken(req: IncomingMessage): string | undefined {
    const cookies = req.headers.cookie?.split(';') ?? [];
    for (const c of cookies) {
      const [name, ...rest] = c.trim().split('=');
      if (name === this.cookieName) return rest.join('=');
    }
    return undefined;
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
