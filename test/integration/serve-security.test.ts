import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Host } from '../../src/host/host';
import { runJob } from '../../src/host/run-job';
import { startServer, type ServeHandle } from '../../src/host/serve/server';
import { startTestHost } from './helpers';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function wsOutcome(port: number, headers: Record<string, string>, path = '/ws'): Promise<{ opened: boolean; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.on('error', () => resolve({ opened: false }));
  });
}

describe('serve mode only answers its own, tokened, loopback clients', () => {
  let host: Host;
  let dispose: () => Promise<void>;
  let server: ServeHandle;
  let token: string;
  let cookie: string;

  beforeAll(async () => {
    ({ host, dispose } = await startTestHost());
    server = await startServer(host, { rendererDir: host.paths.rendererDir });
    token = new URL(server.url).searchParams.get('token')!;
    const first = await get(server.port, `/?token=${token}`);
    cookie = String(first.headers['set-cookie']).split(';')[0]!;
  });
  afterAll(async () => {
    await server.close();
    await dispose();
  });

  it('binds 127.0.0.1 and uses a fresh 256-bit token per launch', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    const other = await startServer(host, { rendererDir: host.paths.rendererDir });
    expect(new URL(other.url).searchParams.get('token')).not.toBe(token);
    await other.close();
  });

  it('answers 401 without the token', async () => {
    expect((await get(server.port, '/')).status).toBe(401);
    expect((await get(server.port, '/?token=nope')).status).toBe(401);
    expect((await get(server.port, '/', { cookie: `featurescope_${server.port}=${'0'.repeat(64)}` })).status).toBe(401);
  });

  it('trades the token in the URL for an HttpOnly SameSite cookie scoped to this launch\'s app path, and serves the app there with a CSP', async () => {
    expect(server.appPath).toMatch(/^\/s\/[0-9a-f]{32}$/);
    const first = await get(server.port, `/?token=${token}`);
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe(`${server.appPath}/`);
    expect(String(first.headers['set-cookie'])).toBe(`featurescope_${server.port}=${token}; HttpOnly; SameSite=Strict; Path=${server.appPath}`);
    const page = await get(server.port, `${server.appPath}/`, { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="root">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    // The page's assets are relative, so they resolve under the app path, where the cookie goes.
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    expect((await get(server.port, `${server.appPath}/${script}`, { cookie })).headers['content-type']).toMatch(/javascript/);
    // Earlier versions served the app at the root: a script that sends the token itself still gets it there.
    expect((await get(server.port, '/', { cookie })).status).toBe(200);
  });

  it('keeps paths and queries through the token trade, and adds the slash to the bare app path', async () => {
    expect((await get(server.port, `/?token=${token}&view=jobs`)).headers.location).toBe(`${server.appPath}/?view=jobs`);
    expect((await get(server.port, `${server.appPath}/?token=${token}`)).headers.location).toBe(`${server.appPath}/`);
    const bare = await get(server.port, server.appPath, { cookie });
    expect([bare.status, bare.headers.location, bare.headers['set-cookie']]).toEqual([302, `${server.appPath}/`, undefined]);
    expect((await get(server.port, server.appPath)).status).toBe(401);
  });

  it('answers 403 to a wrong Host (DNS rebinding) even with the token', async () => {
    expect((await get(server.port, '/', { cookie, host: 'evil.example:80' })).status).toBe(403);
    expect((await get(server.port, '/', { cookie, host: `attacker.test:${server.port}` })).status).toBe(403);
    expect((await get(server.port, '/', { cookie, host: '127.0.0.1:1' })).status).toBe(403);
  });

  it('answers 403 to a foreign Origin even with the token', async () => {
    expect((await get(server.port, '/', { cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await get(server.port, '/', { cookie, origin: `http://localhost:${server.port}` })).status).toBe(200);
  });

  it('refuses cross-origin and tokenless WebSocket upgrades, accepts its own', async () => {
    expect(await wsOutcome(server.port, { cookie, origin: 'https://evil.example' })).toEqual({ opened: false, status: 403 });
    expect(await wsOutcome(server.port, { origin: `http://127.0.0.1:${server.port}` })).toEqual({ opened: false, status: 401 });
    expect(await wsOutcome(server.port, { cookie, origin: `http://127.0.0.1:${server.port}`, host: `evil.example:${server.port}` })).toEqual({ opened: false, status: 403 });
    expect(await wsOutcome(server.port, { cookie, origin: `http://127.0.0.1:${server.port}` })).toEqual({ opened: true });
    expect(await wsOutcome(server.port, { cookie, origin: `http://127.0.0.1:${server.port}` }, `${server.appPath}/ws`)).toEqual({ opened: true });
    expect(await wsOutcome(server.port, { cookie, origin: `http://127.0.0.1:${server.port}` }, '/elsewhere')).toEqual({ opened: false, status: 404 });
  });

  it('opens a WebSocket without an Origin (a script) only with the token itself, never on the cookie alone', async () => {
    expect(await wsOutcome(server.port, { cookie })).toEqual({ opened: false, status: 401 });
    expect(await wsOutcome(server.port, { cookie }, `${server.appPath}/ws`)).toEqual({ opened: false, status: 401 });
    expect(await wsOutcome(server.port, { authorization: `Bearer ${token}` })).toEqual({ opened: true });
    expect(await wsOutcome(server.port, { authorization: `Bearer ${'0'.repeat(64)}` })).toEqual({ opened: false, status: 401 });
    expect(await wsOutcome(server.port, {}, `/ws?token=${token}`)).toEqual({ opened: true });
    expect(await wsOutcome(server.port, {}, `/ws?token=nope`)).toEqual({ opened: false, status: 401 });
    expect(await wsOutcome(server.port, { authorization: `Bearer ${token}`, origin: 'null' })).toEqual({ opened: false, status: 403 });
  });

  it('carries commands and their errors over the WebSocket', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { cookie, origin: `http://127.0.0.1:${server.port}` } });
    await new Promise((r) => ws.on('open', r));
    const replies = new Map<number, unknown>();
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if ('id' in f) replies.set(f.id, f);
    });
    ws.send(JSON.stringify({ id: 1, command: 'app.doctor', input: {} }));
    ws.send(JSON.stringify({ id: 2, command: 'jobs.cancel', input: { jobId: 7 } }));
    const t0 = Date.now();
    while (replies.size < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect((replies.get(1) as { ok: boolean }).ok).toBe(true);
    expect(replies.get(2)).toEqual({ id: 2, ok: false, error: { code: 'invalid_input', field: 'jobId', message: expect.any(String) } });
    ws.close();
  });

  it('sends WebSocket commands as a browser caller: a report outside the workspace is refused there, not for the CLI', async () => {
    const outPath = join(tmpdir(), `featurescope-serve-${process.pid}-report.html`);
    const input = { sae: 1, watchlist: 'no-such-list', source: { kind: 'prompts' as const, prompts: ['a cat'] }, outPath };
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { cookie, origin: `http://127.0.0.1:${server.port}` } });
    await new Promise((r) => ws.on('open', r));
    const frames: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    ws.send(JSON.stringify({ id: 1, command: 'scan.run', input }));
    const failure = async (): Promise<{ code: string; message: string } | undefined> => {
      const started = frames.find((f) => f.id === 1) as { ok: boolean; value?: { jobId: string } } | undefined;
      const failed = frames.find((f) => f.event === 'job.failed' && (f.payload as { jobId: string }).jobId === started?.value?.jobId);
      return (failed?.payload as { error: { code: string; message: string } } | undefined)?.error;
    };
    const t0 = Date.now();
    while ((await failure()) === undefined && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    ws.close();
    expect((await failure())?.message).toContain(`outPath: ${outPath} is outside the workspace`);
    // The same input from the CLI may write there; it fails later, on the watchlist it names.
    await expect(runJob(host, 'scan.run', input)).rejects.toThrow(/no watchlist "no-such-list"/);
  });
});
