import { createReadStream, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { decodePath } from './request-target';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/**
 * Serve a file from the built renderer; never a path outside it. Unknown paths get index.html (one-page
 * app). `pathname` is percent-encoded, relative to the app's root.
 */
export function serveStatic(rootDir: string, pathname: string, res: ServerResponse, headers: Record<string, string>): void {
  let file = fileInside(rootDir, pathname);
  if (file === null) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('400: bad path\n');
    return;
  }
  if (!isFile(file)) file = join(rootDir, 'index.html');
  if (!isFile(file)) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('The renderer is not built: run "npm run build".');
    return;
  }
  const stream = createReadStream(file);
  // The file can vanish or fail between stat and read (a rebuild): end this response, not the process.
  stream.on('error', () => res.destroy());
  res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
  stream.pipe(res);
}

/** The file a percent-encoded path names under rootDir, or null when it does not decode or leads outside. */
function fileInside(rootDir: string, pathname: string): string | null {
  const decoded = decodePath(pathname);
  if (decoded === null) return null;
  const file = join(rootDir, normalize(decoded).replace(/^([/\\])+/, ''));
  return (file + sep).startsWith(rootDir + sep) || file === rootDir ? file : null;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
