// Issue #19, finding 3: cookies are not port-scoped, so a session cookie with Path=/ went to every
// server on 127.0.0.1. In real Chromium: open the tokened address, then visit and fetch another local
// server; that server must receive no Featurescope cookie.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLiveServe, type LiveServe } from './serve-live';

let live: LiveServe;
let browser: Browser;
let other: Server;
let otherPort = 0;
const seenByOther: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  live = await startLiveServe();
  // A local dev server that logs every header it is sent.
  other = createServer((req, res) => {
    seenByOther.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/html', 'access-control-allow-origin': '*' }).end('<p>other server</p>');
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
  otherPort = (other.address() as AddressInfo).port;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => other?.close(r));
  await live?.stop();
});

it('the session cookie reaches this server only, never another server on 127.0.0.1', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(live.url.href);
  // The app is in and authenticated: its WebSocket works (the engine status comes over it).
  await expect.poll(() => page.getByTestId('status-engine').textContent(), { timeout: 60_000 }).toBe('engine ready');
  // The browser holds the session cookie, scoped to the app path it was redirected to.
  const session = (await context.cookies()).find((c) => c.name === `featurescope_${live.port}`);
  const appPath = new URL(page.url()).pathname;
  expect(appPath).toMatch(/^\/s\/[0-9a-f]{32}\/$/);
  expect(session?.path).toBe(appPath.replace(/\/$/, ''));

  // Everything a user or page might do next towards another local server: navigate to its root and to
  // paths like the app's own, and fetch it with credentials from its page. (The app's CSP forbids the
  // app itself to connect anywhere but its own server.)
  for (const path of ['/', '/ws', '/assets/x.js', '/s/', '/?token=x']) await page.goto(`http://127.0.0.1:${otherPort}${path}`);
  expect(await page.evaluate(async () => (await fetch('/api', { credentials: 'include' })).status)).toBe(200);
  await page.goto(`http://localhost:${otherPort}/`);

  expect(seenByOther.length).toBeGreaterThanOrEqual(6);
  // The paths on which the other server got a Featurescope cookie (listed, never the token itself).
  expect(seenByOther.filter(({ headers }) => /featurescope/i.test(headers.cookie ?? '')).map(({ url }) => url)).toEqual([]);
  await context.close();
});
