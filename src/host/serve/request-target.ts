// Parsing what a client put on the request line. Nothing here may throw: serve mode answers any
// byte sequence a page or script can send with a status, never by dying (`new URL('//[', base)` and
// `decodeURIComponent('%c0%ae')` both throw).

export interface RequestTarget {
  /** Percent-encoded, as it came (`/s/…/assets/x.js`). */
  pathname: string;
  searchParams: URLSearchParams;
}

/**
 * The path and query of an origin-form request target (`/path?query`), or null for anything else
 * (absolute-form, `*`, an empty or unparsable target). Parsed against our own origin so that a target
 * such as `//evil.example/x` stays a path on this server instead of naming another host.
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget | null {
  if (typeof raw !== 'string' || !raw.startsWith('/')) return null;
  try {
    const url = new URL(`http://127.0.0.1${raw}`);
    if (url.host !== '127.0.0.1') return null;
    return { pathname: url.pathname, searchParams: url.searchParams };
  } catch {
    return null;
  }
}

/** The decoded form of a percent-encoded path, or null when an escape is malformed (`%c0%ae`, `%zz`). */
export function decodePath(pathname: string): string | null {
  try {
    const decoded = decodeURIComponent(pathname);
    return decoded.includes('\0') ? null : decoded;
  } catch {
    return null;
  }
}
