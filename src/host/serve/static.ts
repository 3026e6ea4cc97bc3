import { createReadStream, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

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

/** Serve a file from the built renderer; never a path outside it. Unknown paths get index.html (one-page app). */
export function serveStatic(rootDir: string, pathname: string, res: ServerResponse, headers: Record<string, string>): void {
  const rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  let file = join(rootDir, rel);
  if (!(file + sep).startsWith(rootDir + sep) && file !== rootDir) {
    res.writeHead(400).end('bad path');
    return;
  }
  if (!isFile(file)) file = join(rootDir, 'index.html');
  if (!isFile(file)) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('The renderer is not built: run "npm run build".');
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
